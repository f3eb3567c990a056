package tsdb

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// TestConcurrentWritesFlushesCompactionsAndReads runs writers, checkpoints,
// compactions and readers at once (meant for -race) and then checks that
// every committed point is there exactly once.
func TestConcurrentWritesFlushesCompactionsAndReads(t *testing.T) {
	e := openTest(t, vfs.NewMem())
	ctx := context.Background()
	e.CreateDatabase(ctx, "db", nil)
	const writers, batches, perBatch = 4, 40, 50
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				var pts []model.Point
				for i := 0; i < perBatch; i++ {
					ts := int64(b*perBatch+i) * 1e9
					pts = append(pts, pt("m", []string{"w", fmt.Sprint(w), "k", fmt.Sprint(i % 5)}, ts, "v", float64(ts), "n", int64(w)))
				}
				write(t, e, "db", pts...)
			}
		}(w)
	}
	var bg sync.WaitGroup
	bg.Add(2)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.Flush(ctx); err != nil {
				t.Error(err)
			}
			if err := e.Compact(ctx); err != nil {
				t.Error(err)
			}
		}
	}()
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ss, err := e.SelectSeries(ctx, "db", "", "m", nil, math.MinInt64, math.MaxInt64)
			if err != nil {
				t.Error(err)
				return
			}
			var ids []uint64
			for _, s := range ss {
				ids = append(ids, s.ID)
			}
			if err := e.ReadSeries(ctx, "db", "", ids, nil, math.MinInt64, math.MaxInt64, func(b *SeriesBatch) error {
				for i := 1; i < len(b.Timestamps); i++ {
					if b.Timestamps[i] <= b.Timestamps[i-1] {
						t.Errorf("series %d: timestamps out of order", b.SeriesID)
					}
				}
				return nil
			}); err != nil {
				t.Error(err)
				return
			}
			if _, err := e.LastValues(ctx, "db", "", ids); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	bg.Wait()
	got := dump(t, e, "db", "m")
	n := 0
	for _, rows := range got {
		n += len(rows)
	}
	if want := writers * batches * perBatch; n != want {
		t.Fatalf("%d points after concurrent load, want %d", n, want)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}
