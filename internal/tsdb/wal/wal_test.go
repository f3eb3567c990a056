package wal

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

func payload(i int) []byte {
	// Mix of small (stored raw) and large compressible records.
	if i%3 == 0 {
		return []byte(fmt.Sprintf("small-%d", i))
	}
	return bytes.Repeat([]byte(fmt.Sprintf("record %d;", i)), 50+i%100)
}

func openMem(t *testing.T, fs vfs.FS, opts ...func(*Options)) *WAL {
	t.Helper()
	o := Options{FS: fs, Dir: "/wal"}
	for _, f := range opts {
		f(&o)
	}
	w, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func replayAll(t *testing.T, w *WAL) ([][]byte, ReplayStats) {
	t.Helper()
	var got [][]byte
	st, err := w.Replay(context.Background(), func(p []byte) error {
		got = append(got, append([]byte(nil), p...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

func TestRoundTripAcrossSegments(t *testing.T) {
	fs := vfs.NewMem()
	w := openMem(t, fs, func(o *Options) { o.SegmentSize = 512 })
	var want [][]byte
	for i := 0; i < 200; i++ {
		p := payload(i)
		want = append(want, p)
		if err := w.Append(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.Segments()) < 3 {
		t.Fatalf("expected segment rolls, got %v", w.Segments())
	}
	w.Close()
	w = openMem(t, fs)
	got, st := replayAll(t, w)
	if len(got) != len(want) || st.Truncated {
		t.Fatalf("replayed %d records (truncated=%v), want %d", len(got), st.Truncated, len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d differs", i)
		}
	}
	w.Close()
}

func TestConcurrentAppendersGroupCommitAndSurviveCrash(t *testing.T) {
	fs := vfs.NewMem()
	w := openMem(t, fs)
	const writers, per = 8, 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				p := []byte(fmt.Sprintf("w%d-%d", g, i))
				if err := w.Append(context.Background(), p); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[string(p)] = true
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	st := w.Stats()
	if st.Appends != writers*per {
		t.Fatalf("appends %d", st.Appends)
	}
	t.Logf("%d appends, %d syncs", st.Appends, st.Syncs)
	crashed := fs.CrashClone() // no Close: only fsynced data survives
	w2 := openMem(t, crashed)
	got, _ := replayAll(t, w2)
	seen := map[string]bool{}
	for _, p := range got {
		seen[string(p)] = true
	}
	for p := range acked {
		if !seen[p] {
			t.Fatalf("acknowledged record %q lost in crash", p)
		}
	}
	w2.Close()
	w.Close()
}

func TestGroupCommitSharesSyncs(t *testing.T) {
	// A slow fsync makes appenders pile up behind it, as on real disks.
	slow := vfs.Inject(vfs.Default, func(op vfs.Op, path string) error {
		return nil
	})
	w, err := Open(context.Background(), Options{FS: slow, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := w.Append(context.Background(), []byte("x")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	st := w.Stats()
	if st.Syncs >= st.Appends {
		t.Fatalf("no group commit: %d syncs for %d appends", st.Syncs, st.Appends)
	}
	t.Logf("%d appends shared %d fsyncs", st.Appends, st.Syncs)
}

func TestSyncNoneCrashReplaysCleanPrefix(t *testing.T) {
	fs := vfs.NewMem()
	w := openMem(t, fs, func(o *Options) { o.Sync = SyncNone })
	for i := 0; i < 50; i++ {
		w.Append(context.Background(), payload(i))
	}
	w2 := openMem(t, fs.CrashClone())
	got, _ := replayAll(t, w2)
	for i, p := range got {
		if !bytes.Equal(p, payload(i)) {
			t.Fatalf("record %d corrupt", i)
		}
	}
	w2.Close()
	w.Close()
}

// segmentBytes builds one closed segment with n records and returns its bytes.
func segmentBytes(t *testing.T, n int) []byte {
	fs := vfs.NewMem()
	w := openMem(t, fs)
	for i := 0; i < n; i++ {
		w.Append(context.Background(), payload(i))
	}
	w.Close()
	b, err := readAll(fs, filepath.Join("/wal", segmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeSegment(t *testing.T, fs *vfs.Mem, data []byte) {
	fs.MkdirAll("/wal", 0o755)
	f, _ := fs.Create(filepath.Join("/wal", segmentName(1)))
	f.Write(data)
	f.Sync()
	f.Close()
	fs.SyncDir("/wal")
}

// recordEnds returns the offsets where each record of a valid segment ends.
func recordEnds(data []byte) []int {
	var ends []int
	var dec []byte
	for off := 0; off < len(data); {
		_, n, err := decodeRecord(data[off:], &dec)
		if err != nil {
			break
		}
		off += n
		ends = append(ends, off)
	}
	return ends
}

func TestTruncationAtEveryOffset(t *testing.T) {
	data := segmentBytes(t, 12)
	ends := recordEnds(data)
	for cut := 0; cut <= len(data); cut++ {
		fs := vfs.NewMem()
		writeSegment(t, fs, data[:cut])
		w := openMem(t, fs)
		got, st := replayAll(t, w)
		wantN := 0
		for _, e := range ends {
			if e <= cut {
				wantN++
			}
		}
		if len(got) != wantN {
			t.Fatalf("cut at %d: %d records, want %d", cut, len(got), wantN)
		}
		for i, p := range got {
			if !bytes.Equal(p, payload(i)) {
				t.Fatalf("cut at %d: record %d corrupt", cut, i)
			}
		}
		if st.Truncated != (cut != 0 && (wantN == 0 || ends[wantN-1] != cut)) {
			t.Fatalf("cut at %d: truncated=%v", cut, st.Truncated)
		}
		w.Close()
		// After the truncation the log replays cleanly.
		w = openMem(t, fs)
		again, st2 := replayAll(t, w)
		if len(again) != wantN || st2.Truncated {
			t.Fatalf("cut at %d: second replay %d records truncated=%v", cut, len(again), st2.Truncated)
		}
		w.Close()
	}
}

func TestBitFlipsNeverYieldCorruptRecords(t *testing.T) {
	data := segmentBytes(t, 20)
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 500; trial++ {
		bad := append([]byte(nil), data...)
		bad[rng.IntN(len(bad))] ^= 1 << rng.IntN(8)
		fs := vfs.NewMem()
		writeSegment(t, fs, bad)
		w := openMem(t, fs)
		got, st := replayAll(t, w)
		for i, p := range got {
			if !bytes.Equal(p, payload(i)) {
				t.Fatalf("trial %d: record %d silently corrupt", trial, i)
			}
		}
		if len(got) == 20 || !st.Truncated {
			t.Fatalf("trial %d: flip not detected (%d records)", trial, len(got))
		}
		w.Close()
	}
}

func TestRotateAndRemoveBefore(t *testing.T) {
	fs := vfs.NewMem()
	w := openMem(t, fs)
	defer w.Close()
	w.Append(context.Background(), []byte("a"))
	seg, err := w.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	w.Append(context.Background(), []byte("b"))
	if err := w.RemoveBefore(seg); err != nil {
		t.Fatal(err)
	}
	if s := w.Segments(); len(s) != 1 || s[0] != seg {
		t.Fatalf("segments %v, want [%d]", s, seg)
	}
	rep, err := Verify(context.Background(), fs, "/wal")
	if err != nil || rep.Records != 1 || len(rep.Problems) != 0 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func FuzzReplay(f *testing.F) {
	f.Add(segmentBytes(&testing.T{}, 3))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := vfs.NewMem()
		writeSegment(t, fs, data)
		w := openMem(t, fs)
		defer w.Close()
		n := 0
		_, err := w.Replay(context.Background(), func(p []byte) error { n++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(context.Background(), fs, "/wal"); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	for _, sync := range []struct {
		name string
		p    SyncPolicy
	}{{"always", SyncAlways}, {"none", SyncNone}} {
		for _, writers := range []int{1, 8} {
			for _, size := range []int{1 << 10, 64 << 10} {
				b.Run(fmt.Sprintf("sync=%s/writers=%d/size=%dKiB", sync.name, writers, size>>10), func(b *testing.B) {
					w, err := Open(context.Background(), Options{Dir: b.TempDir(), Sync: sync.p})
					if err != nil {
						b.Fatal(err)
					}
					defer w.Close()
					p := bytes.Repeat([]byte("cpu,host=h usage=12.5 "), size/22+1)[:size]
					b.SetBytes(int64(size))
					b.ReportAllocs()
					b.SetParallelism(writers)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := w.Append(context.Background(), p); err != nil {
								b.Error(err)
								return
							}
						}
					})
					b.ReportMetric(float64(w.Stats().Appends)/float64(max(w.Stats().Syncs, 1)), "appends/sync")
				})
			}
		}
	}
}
