package tsdb

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fieldhub/fieldhub/internal/model"
	"github.com/fieldhub/fieldhub/internal/vfs"
)

// TestLastValuesColdMatchesScan writes random data with sparse fields,
// strings, rewrites of old times (overlapping parts) and deletes, reopens
// the engine so the last-value cache is empty, and checks LastValues (which
// then reads mostly block headers) against a full scan.
func TestLastValuesColdMatchesScan(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 3))
			fs := vfs.NewMem()
			e := openTest(t, fs, func(o *Options) { o.WALSync = "none" })
			ctx := context.Background()
			if err := e.CreateDatabase(ctx, "db", &RetentionPolicySpec{Name: "autogen", PartitionDuration: time.Hour}); err != nil {
				t.Fatal(err)
			}
			base := int64(1_700_000_000) * 1e9
			for round := 0; round < 4; round++ {
				var pts []any
				for i := 0; i < 3000; i++ {
					host := fmt.Sprintf("h%d", rng.IntN(8))
					ts := base + int64(rng.IntN(3*3600))*1e9
					var fields []any
					if rng.IntN(3) > 0 {
						fields = append(fields, "f", rng.Float64())
					}
					if rng.IntN(4) == 0 {
						fields = append(fields, "i", int64(rng.IntN(100)))
					}
					if rng.IntN(5) == 0 {
						fields = append(fields, "s", fmt.Sprint("v", rng.IntN(9)))
					}
					if rng.IntN(6) == 0 {
						fields = append(fields, "b", rng.IntN(2) == 0)
					}
					if len(fields) == 0 {
						fields = append(fields, "f", 1.0)
					}
					pts = append(pts, pt("m", []string{"host", host}, ts, fields...))
				}
				// Measurement n is written in time order: its blocks never
				// overlap, so the cache is filled from block headers.
				for i := 0; i < 2000; i++ {
					ts := base + int64(round*2000+i)*1e9
					fields := []any{"f", float64(i)}
					if i%7 == 0 {
						fields = append(fields, "s", fmt.Sprint("w", i))
					}
					if rng.IntN(3) == 0 {
						fields = append(fields, "i", int64(i))
					}
					pts = append(pts, pt("n", []string{"host", fmt.Sprintf("h%d", i%3)}, ts, fields...))
				}
				for _, p := range pts {
					write(t, e, "db", p.(model.Point))
				}
				if err := e.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				if round == 2 {
					expr := &TagExpr{Op: TagEq, Key: "host", Value: "h3"}
					if _, err := e.DeleteSeries(ctx, "db", "m", expr, base+3000e9, base+9000e9); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			e = openTest(t, fs, func(o *Options) { o.WALSync = "none" })
			defer e.Close()
			var ids []uint64
			for _, meas := range []string{"m", "n"} {
				series, err := e.SelectSeries(ctx, "db", "", meas, nil, math.MinInt64, math.MaxInt64)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range series {
					ids = append(ids, s.ID)
				}
			}
			want := map[uint64]map[string]Value{}
			err := e.ReadSeries(ctx, "db", "", ids, nil, math.MinInt64, math.MaxInt64, func(b *SeriesBatch) error {
				m := want[b.SeriesID]
				if m == nil {
					m = map[string]Value{}
					want[b.SeriesID] = m
				}
				for ci := range b.Columns {
					c := &b.Columns[ci]
					for i := len(b.Timestamps) - 1; i >= 0; i-- {
						if c.IsValid(i) {
							if old, ok := m[c.Name]; !ok || b.Timestamps[i] >= old.Time {
								m[c.Name] = columnValue(c, i, b.Timestamps[i])
							}
							break
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.LastValues(ctx, "db", "", ids)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				for f, w := range want[id] {
					g, ok := got[id][f]
					if !ok || g.Time != w.Time || g.F != w.F || g.I != w.I || g.B != w.B || string(g.S) != string(w.S) {
						t.Errorf("series %d field %s: cache %+v, scan %+v", id, f, g, w)
					}
				}
				if len(got[id]) != len(want[id]) {
					t.Errorf("series %d: cache has %d fields, scan %d", id, len(got[id]), len(want[id]))
				}
			}
		})
	}
}
