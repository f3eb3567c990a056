package wal

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// benchPayload is line-protocol-shaped text with varying numbers, so s2
// compresses it about as well as a real engine record.
func benchPayload(size int) []byte {
	var b bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	for b.Len() < size {
		fmt.Fprintf(&b, "cpu,host=h%d,region=eu usage_user=%.2f,usage_system=%.2f %d\n",
			r.IntN(100), r.Float64()*100, r.Float64()*100, 1700000000000000000+r.Int64N(1e12))
	}
	return b.Bytes()[:size]
}

// BenchmarkAppend measures Append on a real temporary directory. records/s
// counts every writer; appends/sync shows how well group commit groups.
func BenchmarkAppend(b *testing.B) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncNone} {
		for _, writers := range []int{1, 8} {
			for _, size := range []int{1 << 10, 64 << 10} {
				name := fmt.Sprintf("sync=%s/writers=%d/size=%dKiB", policy, writers, size>>10)
				b.Run(name, func(b *testing.B) { benchAppend(b, policy, writers, size) })
			}
		}
	}
}

func benchAppend(b *testing.B, policy SyncPolicy, writers, size int) {
	w, err := Open(context.Background(), Options{Dir: b.TempDir(), Sync: policy})
	if err != nil {
		b.Fatal(err)
	}
	p := benchPayload(size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := w.Append(context.Background(), p); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	st := w.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(st.Appends)/float64(max(st.Syncs, 1)), "appends/sync")
	b.ReportMetric(float64(st.PayloadBytes)/float64(max(st.BytesWritten, 1)), "compression")
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReplay measures reading back a segment of 1 KiB records.
func BenchmarkReplay(b *testing.B) {
	dir := b.TempDir()
	w, err := Open(context.Background(), Options{Dir: dir, Sync: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	p := benchPayload(1 << 10)
	const n = 10000
	for range n {
		if err := w.Append(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n << 10)
	b.ReportAllocs()
	for b.Loop() {
		w, err := Open(context.Background(), Options{Dir: dir, Sync: SyncNone})
		if err != nil {
			b.Fatal(err)
		}
		st, err := w.Replay(context.Background(), func([]byte) error { return nil })
		if err != nil || st.Records < n {
			b.Fatal(st, err)
		}
		segs := w.Segments()
		w.Close()
		// Each Open starts an empty segment; drop it so every round reads the same.
		if err := os.Remove(filepath.Join(dir, segmentName(segs[len(segs)-1]))); err != nil {
			b.Fatal(err)
		}
	}
}
