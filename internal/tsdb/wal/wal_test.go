package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

const testDir = "/data/wal"

// payload returns a deterministic mix of record shapes: tiny (stored raw),
// compressible (stored s2) and incompressible (stored raw after a failed try).
func payload(i int) []byte {
	switch i % 4 {
	case 0:
		return fmt.Appendf(nil, "small-%d", i)
	case 1:
		return bytes.Repeat(fmt.Appendf(nil, "cpu,host=h%d usage=%d;", i, i), 20+i%50)
	case 2:
		b := make([]byte, 300+i%700)
		r := rand.New(rand.NewPCG(uint64(i), 1))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		return b
	}
	if i%8 == 3 {
		return nil // empty records are legal
	}
	return bytes.Repeat([]byte{byte(i)}, 2000)
}

func openWAL(t testing.TB, fsys vfs.FS, opts ...func(*Options)) *WAL {
	t.Helper()
	o := Options{FS: fsys, Dir: testDir}
	for _, f := range opts {
		f(&o)
	}
	w, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func replayAll(t testing.TB, w *WAL) ([][]byte, ReplayStats) {
	t.Helper()
	var got [][]byte
	st, err := w.Replay(context.Background(), func(p []byte) error {
		got = append(got, bytes.Clone(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

// reopenReplay opens the log in fsys, replays it and closes it again.
func reopenReplay(t testing.TB, fsys vfs.FS) ([][]byte, ReplayStats) {
	t.Helper()
	w := openWAL(t, fsys)
	defer w.Close()
	return replayAll(t, w)
}

func appendN(t testing.TB, w *WAL, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := w.Append(context.Background(), payload(i)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

func checkPrefix(t testing.TB, got [][]byte, from int) {
	t.Helper()
	for i, p := range got {
		if !bytes.Equal(p, payload(from+i)) {
			t.Fatalf("record %d: got %d bytes, want payload(%d) of %d bytes", i, len(p), from+i, len(payload(from+i)))
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sync    SyncPolicy
		segSize int64
	}{
		{"always", SyncAlways, 0},
		{"interval", SyncInterval, 0},
		{"none", SyncNone, 0},
		{"always/small-segments", SyncAlways, 2048},
		{"none/small-segments", SyncNone, 2048},
		{"none/tiny-segments", SyncNone, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := vfs.NewMem()
			w := openWAL(t, fsys, func(o *Options) { o.Sync, o.SegmentSize = tc.sync, tc.segSize })
			const n = 200
			appendN(t, w, 0, n)
			st := w.Stats()
			var payloadBytes int64
			for i := range n {
				payloadBytes += int64(len(payload(i)))
			}
			if st.Appends != n || st.PayloadBytes != payloadBytes || st.BytesWritten != w.Size() || st.Failed {
				t.Fatalf("stats %+v, size %d, want %d appends of %d payload bytes", st, w.Size(), n, payloadBytes)
			}
			if st.BytesWritten >= payloadBytes {
				t.Errorf("no compression: %d bytes written for %d payload bytes", st.BytesWritten, payloadBytes)
			}
			if tc.segSize != 0 && len(w.Segments()) < 3 {
				t.Fatalf("expected segment rolls, got %v", w.Segments())
			}
			if tc.segSize == 1 && int64(len(w.Segments())) != n {
				t.Fatalf("one record per segment expected, got %d segments", len(w.Segments()))
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, rst := reopenReplay(t, fsys)
			if len(got) != n || rst.Records != n || rst.Truncated || rst.DroppedBytes != 0 || rst.Bytes != st.BytesWritten {
				t.Fatalf("replay stats %+v with %d records, want %d records of %d bytes", rst, len(got), n, st.BytesWritten)
			}
			checkPrefix(t, got, 0)
		})
	}
}

func TestRecordEncoding(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rand.Uint32())
	}
	for _, tc := range []struct {
		name      string
		payload   []byte
		wantFlags byte
	}{
		{"empty", nil, 0},
		{"below compression threshold", bytes.Repeat([]byte("a"), minCompress-1), 0},
		{"compressible", bytes.Repeat([]byte("a"), minCompress), flagCompressed},
		{"incompressible", random, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := encodeRecord([]byte("prefix"), tc.payload)
			if string(rec[:6]) != "prefix" {
				t.Fatal("dst prefix clobbered")
			}
			rec = rec[6:]
			h := parseHeader(rec)
			if h.flags != tc.wantFlags || int(h.length) != len(rec)-headerLen {
				t.Fatalf("header %+v for %d record bytes", h, len(rec))
			}
			if h.flags == flagCompressed && len(rec)-headerLen >= len(tc.payload) {
				t.Fatalf("compressed record does not shrink: %d >= %d", len(rec)-headerLen, len(tc.payload))
			}
			var dec []byte
			got, err := decodeBody(h, rec[headerLen:], &dec)
			if err != nil || !bytes.Equal(got, tc.payload) {
				t.Fatalf("decode: %v", err)
			}
		})
	}
}

func TestAppendTooLarge(t *testing.T) {
	w := openWAL(t, vfs.NewMem())
	defer w.Close()
	err := w.Append(context.Background(), make([]byte, MaxPayload+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

// runWriters starts writers goroutines that each append perWriter records
// "w<g>-<i>" and record every acknowledged one. It returns once all are done.
func runWriters(t *testing.T, w *WAL, writers, perWriter int, acked *sync.Map) {
	t.Helper()
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				p := fmt.Appendf(nil, "w%d-%d", g, i)
				if i%10 == 0 {
					p = append(p, bytes.Repeat([]byte{'x'}, 600)...) // exercise compression
				}
				if err := w.Append(context.Background(), p); err != nil {
					t.Errorf("writer %d append %d: %v", g, i, err)
					return
				}
				acked.Store(string(p), true)
			}
		}()
	}
	wg.Wait()
}

// checkReplayed checks that replayed records are distinct, in order per
// writer, and include every acknowledged record in acked.
func checkReplayed(t *testing.T, got [][]byte, acked map[string]bool) {
	t.Helper()
	seen := map[string]bool{}
	last := map[string]int{}
	for _, p := range got {
		key := string(p)
		if seen[key] {
			t.Fatalf("record %.20q replayed twice", key)
		}
		seen[key] = true
		var g, i int
		if _, err := fmt.Sscanf(key, "w%d-%d", &g, &i); err != nil {
			t.Fatalf("replayed a record that was never appended: %.40q", key)
		}
		if prev, ok := last[fmt.Sprint(g)]; ok && i <= prev {
			t.Fatalf("writer %d: record %d replayed after %d", g, i, prev)
		}
		last[fmt.Sprint(g)] = i
	}
	for p := range acked {
		if !seen[p] {
			t.Fatalf("acknowledged record %.20q lost", p)
		}
	}
}

func syncMapKeys(m *sync.Map) map[string]bool {
	out := map[string]bool{}
	m.Range(func(k, _ any) bool { out[k.(string)] = true; return true })
	return out
}

func TestConcurrentAppendersWithRotations(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncInterval, SyncNone} {
		t.Run(policy.String(), func(t *testing.T) {
			fsys := vfs.NewMem()
			w := openWAL(t, fsys, func(o *Options) {
				o.Sync, o.SegmentSize, o.SyncInterval = policy, 4<<10, time.Millisecond
			})
			stop := make(chan struct{})
			rotated := make(chan int)
			go func() {
				n := 0
				defer func() { rotated <- n }()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := w.Rotate(); err != nil {
						t.Error(err)
						return
					}
					n++
					time.Sleep(time.Millisecond)
				}
			}()
			var acked sync.Map
			runWriters(t, w, 8, 150, &acked)
			close(stop)
			t.Logf("%d rotations, stats %+v", <-rotated, w.Stats())
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, st := reopenReplay(t, fsys)
			if st.Truncated || len(got) != 8*150 {
				t.Fatalf("replayed %d records, stats %+v", len(got), st)
			}
			checkReplayed(t, got, syncMapKeys(&acked))
		})
	}
}

func TestGroupCommitSharesFsyncs(t *testing.T) {
	// A slow fsync, as on a real disk, makes appenders queue behind it.
	slow := vfs.Inject(vfs.NewMem(), func(op vfs.Op, path string) error {
		if op == vfs.OpSync {
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	w := openWAL(t, slow)
	var acked sync.Map
	runWriters(t, w, 8, 50, &acked)
	st := w.Stats()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d appends, %d writes, %d fsyncs", st.Appends, st.Writes, st.Syncs)
	if st.Appends != 400 || st.Syncs*2 > st.Appends || st.Writes*2 > st.Appends {
		t.Fatalf("appends are not grouped: %d appends, %d writes, %d fsyncs", st.Appends, st.Writes, st.Syncs)
	}
}

func TestGroupCommitOnRealDisk(t *testing.T) {
	w, err := Open(context.Background(), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var acked sync.Map
	runWriters(t, w, 8, 50, &acked)
	st := w.Stats()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d appends, %d writes, %d fsyncs taking %v", st.Appends, st.Writes, st.Syncs, st.SyncTime)
	if st.Syncs >= st.Appends {
		t.Fatalf("no group commit: %d fsyncs for %d appends", st.Syncs, st.Appends)
	}
}

func TestCrashKeepsEveryAcknowledgedRecord(t *testing.T) {
	mem := vfs.NewMem()
	w := openWAL(t, mem, func(o *Options) { o.SegmentSize = 8 << 10 })
	var acked sync.Map
	done := make(chan struct{})
	go func() {
		defer close(done)
		runWriters(t, w, 8, 400, &acked)
	}()
	// Crash repeatedly while appenders and segment rolls are in flight: the
	// records acknowledged before each crash must all be in its clone.
	crashes := 0
	for running := true; running; crashes++ {
		select {
		case <-done:
			running = false
		default:
		}
		before := syncMapKeys(&acked)
		clone := mem.CrashClone()
		got, st := reopenReplay(t, clone)
		if st.Truncated {
			t.Fatalf("crash %d: a fsync-only crash left a damaged record: %+v", crashes, st)
		}
		checkReplayed(t, got, before)
	}
	t.Logf("%d crashes checked", crashes)
	w.Close()
}

func TestCrashWithSyncNoneReplaysCleanPrefix(t *testing.T) {
	mem := vfs.NewMem()
	w := openWAL(t, mem, func(o *Options) { o.Sync, o.SegmentSize = SyncNone, 4<<10 })
	for i := range 300 {
		appendN(t, w, i, i+1)
		if i%37 == 0 {
			got, st := reopenReplay(t, mem.CrashClone())
			if st.Truncated {
				t.Fatalf("after %d appends: truncated %+v", i+1, st)
			}
			checkPrefix(t, got, 0)
			// Rolled segments were synced, so at most the current one is lost.
			if int64(len(got)) > int64(i+1) {
				t.Fatalf("replayed %d records after %d appends", len(got), i+1)
			}
		}
	}
	got, _ := reopenReplay(t, mem.CrashClone())
	if len(got) == 300 || len(got) == 0 {
		t.Fatalf("SyncNone crash kept %d of 300 records; want some but not all", len(got))
	}
	w.Close()
	got, _ = reopenReplay(t, mem)
	if len(got) != 300 {
		t.Fatalf("after Close: %d records", len(got))
	}
}

func TestSyncIntervalFsyncsInTheBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := vfs.NewMem()
		var syncs []time.Duration
		w := openWAL(t, mem, func(o *Options) {
			o.Sync = SyncInterval
			o.OnSync = func(d time.Duration) { syncs = append(syncs, d) }
		})
		appendN(t, w, 0, 10)
		if st := w.Stats(); st.Syncs != 0 || len(syncs) != 0 {
			t.Fatalf("interval policy fsynced in Append: %+v", st)
		}
		if got, _ := reopenReplay(t, mem.CrashClone()); len(got) != 0 {
			t.Fatalf("%d records durable before the first interval", len(got))
		}
		time.Sleep(DefaultSyncInterval + time.Millisecond)
		synctest.Wait()
		if st := w.Stats(); st.Syncs != 1 || len(syncs) != 1 {
			t.Fatalf("after one interval: %+v, OnSync saw %d", st, len(syncs))
		}
		if got, _ := reopenReplay(t, mem.CrashClone()); len(got) != 10 {
			t.Fatalf("after the background fsync a crash kept %d of 10 records", len(got))
		}
		// Nothing new to sync: the next tick does no fsync.
		time.Sleep(DefaultSyncInterval)
		synctest.Wait()
		if st := w.Stats(); st.Syncs != 1 {
			t.Fatalf("idle tick fsynced: %+v", st)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// segmentBytes returns the one segment holding records payload(0..n-1).
func segmentBytes(t testing.TB, n int) []byte {
	t.Helper()
	fsys := vfs.NewMem()
	w := openWAL(t, fsys, func(o *Options) { o.Sync = SyncNone })
	appendN(t, w, 0, n)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := vfs.ReadFile(fsys, filepath.Join(testDir, segmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// memWithSegments returns a filesystem whose WAL dir holds the given segments, numbered from 1.
func memWithSegments(t testing.TB, segs ...[]byte) *vfs.Mem {
	t.Helper()
	fsys := vfs.NewMem()
	if err := fsys.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, data := range segs {
		if err := vfs.WriteFile(fsys, filepath.Join(testDir, segmentName(uint64(i+1))), data, true); err != nil {
			t.Fatal(err)
		}
	}
	return fsys
}

// recordEnds returns the offset at which each record of a valid segment ends.
func recordEnds(t testing.TB, data []byte) []int64 {
	t.Helper()
	var ends []int64
	for off := 0; off < len(data); {
		h := parseHeader(data[off:])
		off += headerLen + int(h.length)
		ends = append(ends, int64(off))
	}
	return ends
}

func TestTruncationAtEveryOffset(t *testing.T) {
	data := segmentBytes(t, 16)
	ends := recordEnds(t, data)
	for cut := int64(0); cut <= int64(len(data)); cut++ {
		fsys := memWithSegments(t, data[:cut])
		got, st := reopenReplay(t, fsys)
		var good int64
		wantN := 0
		for _, e := range ends {
			if e <= cut {
				wantN, good = wantN+1, e
			}
		}
		want := ReplayStats{Records: int64(wantN), Bytes: good, Segments: 1, DroppedBytes: cut - good, Truncated: cut != good}
		if st != want || len(got) != wantN {
			t.Fatalf("cut at %d: stats %+v with %d records, want %+v", cut, st, len(got), want)
		}
		checkPrefix(t, got, 0)
		// The truncation is durable and the log now replays cleanly, even after a crash.
		got, st = reopenReplay(t, fsys.CrashClone())
		if len(got) != wantN || st.Truncated || st.Bytes != good {
			t.Fatalf("cut at %d: second replay %+v", cut, st)
		}
	}
}

func TestTruncationRemovesLaterSegments(t *testing.T) {
	seg := segmentBytes(t, 8)
	ends := recordEnds(t, seg)
	cut := ends[4] + 3 // inside record 5
	fsys := memWithSegments(t, seg, seg[:cut], seg, seg)
	w := openWAL(t, fsys)
	defer w.Close()
	got, st := replayAll(t, w)
	want := ReplayStats{Records: 8 + 5, Bytes: int64(len(seg)) + ends[4], Segments: 2, DroppedBytes: 3 + 2*int64(len(seg)), Truncated: true}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	checkPrefix(t, got[:8], 0)
	checkPrefix(t, got[8:], 0)
	if segs := w.Segments(); !slices.Equal(segs, []uint64{1, 2, 5}) {
		t.Fatalf("segments after truncation %v, want [1 2 5]", segs)
	}
	if size := w.Size(); size != int64(len(seg))+ends[4] {
		t.Fatalf("size %d", size)
	}
}

func TestBitFlipsStopAtTheDamagedRecord(t *testing.T) {
	const n = 24
	data := segmentBytes(t, n)
	ends := recordEnds(t, data)
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 400 {
		bad := bytes.Clone(data)
		at := rng.IntN(len(bad))
		bad[at] ^= 1 << rng.IntN(8)
		// The damaged record is the one the flipped byte belongs to.
		idx, _ := slices.BinarySearch(ends, int64(at+1))
		start := int64(0)
		if idx > 0 {
			start = ends[idx-1]
		}
		got, st := reopenReplay(t, memWithSegments(t, bad))
		want := ReplayStats{Records: int64(idx), Bytes: start, Segments: 1, DroppedBytes: int64(len(bad)) - start, Truncated: true}
		if st != want || len(got) != idx {
			t.Fatalf("trial %d: flip at %d (record %d): stats %+v, want %+v", trial, at, idx, st, want)
		}
		checkPrefix(t, got, 0)
	}
}

func TestReplayGarbage(t *testing.T) {
	valid := segmentBytes(t, 3)
	for _, tc := range []struct {
		name string
		data []byte
		want int64 // records
	}{
		{"empty", nil, 0},
		{"zeros", make([]byte, 100), 0},
		{"ones", bytes.Repeat([]byte{0xff}, 100), 0},
		{"huge length", []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 1, 2, 3}, 0},
		{"unknown flags", func() []byte {
			b := encodeRecord(nil, []byte("hello"))
			b[8] = 0x80
			return b
		}(), 0},
		{"compressed flag on raw bytes", func() []byte {
			b := []byte{5, 0, 0, 0, 0, 0, 0, 0, flagCompressed, 'h', 'e', 'l', 'l', 'o'}
			copy(b[4:], le32(recordCRC(flagCompressed, b[9:])))
			return b
		}(), 0},
		{"compressed length bomb", func() []byte {
			body := []byte{0xff, 0xff, 0xff, 0xff, 0x0f} // varint decoded length of ~4 GiB
			b := append([]byte{byte(len(body)), 0, 0, 0, 0, 0, 0, 0, flagCompressed}, body...)
			copy(b[4:], le32(recordCRC(flagCompressed, body)))
			return b
		}(), 0},
		{"valid then zeros", append(bytes.Clone(valid), make([]byte, 50)...), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st := reopenReplay(t, memWithSegments(t, tc.data))
			if st.Records != tc.want || int64(len(got)) != tc.want || st.Truncated != (len(tc.data) > 0 && tc.want == 0 || tc.name == "valid then zeros") {
				t.Fatalf("stats %+v", st)
			}
			checkPrefix(t, got, 0)
		})
	}
}

func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }

func TestReplayReadErrorIsNotDamage(t *testing.T) {
	data := segmentBytes(t, 5)
	mem := memWithSegments(t, data)
	boom := errors.New("disk on fire")
	fsys := vfs.Inject(mem, func(op vfs.Op, path string) error {
		if op == vfs.OpRead {
			return boom
		}
		return nil
	})
	w := openWAL(t, fsys)
	_, err := w.Replay(context.Background(), func([]byte) error { return nil })
	w.Close()
	if !errors.Is(err, boom) {
		t.Fatalf("replay: %v", err)
	}
	if got, _ := vfs.ReadFile(mem, filepath.Join(testDir, segmentName(1))); !bytes.Equal(got, data) {
		t.Fatal("a read error changed the segment")
	}
}

func TestReplayCallbackErrorStops(t *testing.T) {
	mem := memWithSegments(t, segmentBytes(t, 5))
	w := openWAL(t, mem)
	defer w.Close()
	stop := errors.New("stop")
	n := 0
	_, err := w.Replay(context.Background(), func([]byte) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("err %v after %d records", err, n)
	}
}

func TestRotateAndRemoveBefore(t *testing.T) {
	fsys := vfs.NewMem()
	w := openWAL(t, fsys)
	appendN(t, w, 0, 3)
	seg, err := w.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if seg != 2 {
		t.Fatalf("rotate returned %d, want 2", seg)
	}
	appendN(t, w, 3, 5)
	if s := w.Segments(); !slices.Equal(s, []uint64{1, 2}) {
		t.Fatalf("segments %v", s)
	}
	// Nothing at or above seg, and never the current segment, is removed.
	if err := w.RemoveBefore(1); err != nil || len(w.Segments()) != 2 {
		t.Fatalf("RemoveBefore(1): %v, %v", err, w.Segments())
	}
	if err := w.RemoveBefore(seg); err != nil {
		t.Fatal(err)
	}
	if err := w.RemoveBefore(1 << 60); err != nil {
		t.Fatal(err)
	}
	if s := w.Segments(); !slices.Equal(s, []uint64{2}) {
		t.Fatalf("segments %v, want [2]", s)
	}
	ents, _ := fsys.ReadDir(testDir)
	if len(ents) != 1 || ents[0].Name() != segmentName(2) {
		t.Fatalf("files %v", ents)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The removal is durable, and only the records after the rotation remain.
	w = openWAL(t, fsys.CrashClone())
	got, _ := replayAll(t, w)
	checkPrefix(t, got, 3)
	if len(got) != 2 {
		t.Fatalf("%d records after RemoveBefore", len(got))
	}
	var size int64
	for _, n := range w.Segments() {
		st, _ := fsys.Stat(filepath.Join(testDir, segmentName(n)))
		if st != nil {
			size += st.Size()
		}
	}
	if w.Size() != size {
		t.Fatalf("Size %d, files hold %d", w.Size(), size)
	}
	w.Close()
}

func TestRotateIsDurableUnderSyncNone(t *testing.T) {
	mem := vfs.NewMem()
	w := openWAL(t, mem, func(o *Options) { o.Sync = SyncNone })
	defer w.Close()
	appendN(t, w, 0, 10)
	if _, err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	got, _ := reopenReplay(t, mem.CrashClone())
	if len(got) != 10 {
		t.Fatalf("crash after Rotate kept %d of 10", len(got))
	}
}

func TestIOFailureIsSticky(t *testing.T) {
	for _, tc := range []struct {
		name   string
		op     vfs.Op
		err    func() error
		replay int // records replayed after reopening
	}{
		{"write", vfs.OpWrite, func() error { return errors.New("no space") }, 5},
		{"torn write", vfs.OpWrite, func() error { return &vfs.PartialWrite{N: 5, Err: errors.New("no space")} }, 5},
		{"fsync", vfs.OpSync, func() error { return errors.New("EIO") }, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewMem()
			var armed bool
			var mu sync.Mutex
			fsys := vfs.Inject(mem, func(op vfs.Op, path string) error {
				mu.Lock()
				defer mu.Unlock()
				if armed && op == tc.op {
					return tc.err()
				}
				return nil
			})
			w := openWAL(t, fsys)
			appendN(t, w, 0, 5)
			mu.Lock()
			armed = true
			mu.Unlock()
			err := w.Append(context.Background(), payload(5))
			if !errors.Is(err, ErrFailed) {
				t.Fatalf("append during failure: %v", err)
			}
			mu.Lock()
			armed = false
			mu.Unlock()
			if err := w.Append(context.Background(), payload(6)); !errors.Is(err, ErrFailed) {
				t.Fatalf("append after failure: %v", err)
			}
			if _, err := w.Rotate(); !errors.Is(err, ErrFailed) {
				t.Fatalf("rotate after failure: %v", err)
			}
			if !w.Stats().Failed {
				t.Fatal("stats do not show the failure")
			}
			if err := w.Close(); !errors.Is(err, ErrFailed) {
				t.Fatalf("close: %v", err)
			}
			got, _ := reopenReplay(t, mem)
			if len(got) < tc.replay {
				t.Fatalf("replayed %d, want at least %d", len(got), tc.replay)
			}
			checkPrefix(t, got, 0)
		})
	}
}

func TestAppendContextCancellation(t *testing.T) {
	mem := vfs.NewMem()
	inSync := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	fsys := vfs.Inject(mem, func(op vfs.Op, path string) error {
		if op == vfs.OpSync && filepath.Dir(path) == testDir {
			once.Do(func() {
				close(inSync)
				<-release
			})
		}
		return nil
	})
	w := openWAL(t, fsys)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Append(cancelled, []byte("never")); !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a cancelled ctx: %v", err)
	}
	first := make(chan error)
	go func() { first <- w.Append(context.Background(), []byte("first")) }()
	<-inSync // the first append's fsync is now stuck

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	buf := []byte("second")
	if err := w.Append(ctx, buf); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("append while the fsync hangs: %v", err)
	}
	copy(buf, "XXXXXX") // the WAL must hold its own copy
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := reopenReplay(t, mem)
	if len(got) != 2 || string(got[0]) != "first" || string(got[1]) != "second" {
		t.Fatalf("replayed %q; the abandoned record should still have been written", got)
	}
}

func TestCloseIsIdempotentAndFinal(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncInterval, SyncNone} {
		t.Run(policy.String(), func(t *testing.T) {
			before := runtime.NumGoroutine()
			mem := vfs.NewMem()
			w := openWAL(t, mem, func(o *Options) { o.Sync, o.SyncInterval = policy, time.Millisecond })
			appendN(t, w, 0, 3)
			var wg sync.WaitGroup
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := w.Close(); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			// Close waited for the WAL's goroutine.
			// (The closers themselves may take a moment to exit after wg.Done.)
			for i := 0; runtime.NumGoroutine() > before; i++ {
				if i == 100 {
					t.Fatalf("%d goroutines after Close, %d before Open", runtime.NumGoroutine(), before)
				}
				time.Sleep(time.Millisecond)
			}
			if err := w.Append(context.Background(), []byte("x")); !errors.Is(err, ErrClosed) {
				t.Fatalf("append after close: %v", err)
			}
			if _, err := w.Rotate(); !errors.Is(err, ErrClosed) {
				t.Fatalf("rotate after close: %v", err)
			}
			if _, err := w.Replay(context.Background(), nil); !errors.Is(err, ErrClosed) {
				t.Fatalf("replay after close: %v", err)
			}
			// Close synced everything, whatever the policy.
			got, _ := reopenReplay(t, mem.CrashClone())
			if len(got) != 3 {
				t.Fatalf("after Close a crash kept %d of 3", len(got))
			}
		})
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero but dir", Options{Dir: "/w"}, true},
		{"no dir", Options{}, false},
		{"bad policy", Options{Dir: "/w", Sync: 7}, false},
		{"negative interval", Options{Dir: "/w", SyncInterval: -1}, false},
		{"negative segment size", Options{Dir: "/w", SegmentSize: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.EnsureDefaults()
			err := o.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrOptions)) {
				t.Fatalf("validate: %v", err)
			}
			if tc.ok && (o.FS == nil || o.SyncInterval != DefaultSyncInterval || o.SegmentSize != DefaultSegmentSize || o.Logger == nil) {
				t.Fatalf("defaults not applied: %+v", o)
			}
			if _, err := Open(context.Background(), Options{FS: vfs.NewMem(), Dir: tc.opts.Dir, Sync: tc.opts.Sync,
				SyncInterval: tc.opts.SyncInterval, SegmentSize: tc.opts.SegmentSize}); tc.ok == false && err == nil {
				t.Fatal("Open accepted bad options")
			}
		})
	}
}

func TestOpenIgnoresForeignFilesAndContinuesNumbering(t *testing.T) {
	mem := memWithSegments(t, segmentBytes(t, 2), segmentBytes(t, 3))
	for _, name := range []string{"notes.txt", "12.wal", "000000000000000x.wal"} {
		if err := vfs.WriteFile(mem, filepath.Join(testDir, name), []byte("junk"), true); err != nil {
			t.Fatal(err)
		}
	}
	w := openWAL(t, mem)
	defer w.Close()
	if s := w.Segments(); !slices.Equal(s, []uint64{1, 2, 3}) {
		t.Fatalf("segments %v", s)
	}
	got, st := replayAll(t, w)
	if len(got) != 5 || st.Segments != 2 || st.Truncated {
		t.Fatalf("replay %+v", st)
	}
}

func TestVerify(t *testing.T) {
	data := segmentBytes(t, 6)
	mem := memWithSegments(t, data, data[:len(data)-1])
	rep, err := Verify(context.Background(), mem, testDir)
	if err != nil || rep.Segments != 2 || rep.Records != 11 || len(rep.Problems) != 1 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	// Verify changes nothing.
	if got, _ := vfs.ReadFile(mem, filepath.Join(testDir, segmentName(2))); len(got) != len(data)-1 {
		t.Fatal("verify modified a segment")
	}
	if _, err := Verify(context.Background(), mem, "/nope"); err == nil {
		t.Fatal("verify of a missing dir succeeded")
	}
}
