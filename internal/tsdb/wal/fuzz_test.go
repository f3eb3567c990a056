package wal

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fieldhub/fieldhub/internal/vfs"
)

// FuzzReplay replays an arbitrary first segment followed by a valid one and
// checks that replay never fails or panics on garbage, reports consistent
// stats, leaves exactly the good prefix on disk and replays it again unchanged.
// Seed corpus: testdata/fuzz/FuzzReplay.
func FuzzReplay(f *testing.F) {
	f.Add(segmentBytes(f, 3))
	f.Add([]byte{})
	f.Add(make([]byte, headerLen))
	f.Add(encodeRecord(nil, bytes.Repeat([]byte("compressible "), 40)))
	valid := segmentBytes(f, 2)
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memWithSegments(t, data, valid)
		w := openWAL(t, mem)
		var got [][]byte
		st, err := w.Replay(context.Background(), func(p []byte) error {
			got = append(got, bytes.Clone(p))
			return nil
		})
		if err != nil {
			t.Fatalf("replay of garbage returned an error instead of truncating: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if st.Records != int64(len(got)) {
			t.Fatalf("stats say %d records, callback saw %d", st.Records, len(got))
		}
		size1 := int64(len(data))
		if st.Truncated {
			if st.Bytes > size1 || st.DroppedBytes != size1-st.Bytes+int64(len(valid)) {
				t.Fatalf("inconsistent truncation stats %+v for a %d-byte segment", st, size1)
			}
			if b, _ := vfs.ReadFile(mem, filepath.Join(testDir, segmentName(1))); !bytes.Equal(b, data[:st.Bytes]) {
				t.Fatalf("segment 1 holds %d bytes after truncation, want the %d-byte good prefix", len(b), st.Bytes)
			}
			if _, err := mem.Stat(filepath.Join(testDir, segmentName(2))); err == nil {
				t.Fatal("segment after the damage was not removed")
			}
		} else if st.DroppedBytes != 0 || st.Bytes != size1+int64(len(valid)) || !slices.EqualFunc(got[len(got)-2:], [][]byte{payload(0), payload(1)}, bytes.Equal) {
			t.Fatalf("clean replay with stats %+v", st)
		}
		again, st2 := reopenReplay(t, mem)
		if st2.Truncated || !slices.EqualFunc(again, got, bytes.Equal) {
			t.Fatalf("second replay differs: %+v", st2)
		}
		if rep, err := Verify(context.Background(), mem, testDir); err != nil || len(rep.Problems) != 0 {
			t.Fatalf("verify after replay: %+v %v", rep, err)
		}
	})
}

// FuzzAppendReplay appends records cut from the input (the first byte picks
// record and segment sizes) and checks that replay returns exactly them.
func FuzzAppendReplay(f *testing.F) {
	f.Add([]byte{7, 'a', 'b', 'c'})
	f.Add(append([]byte{200}, bytes.Repeat([]byte("cpu,host=a usage=1 "), 100)...))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		recSize := int(in[0]%64)*16 + 1
		segSize := int64(in[0]) * 8
		data := in[1:]
		mem := vfs.NewMem()
		w := openWAL(t, mem, func(o *Options) { o.Sync, o.SegmentSize = SyncNone, segSize })
		var want [][]byte
		for len(data) > 0 || len(want) == 0 {
			n := min(recSize, len(data))
			want = append(want, data[:n])
			if err := w.Append(context.Background(), data[:n]); err != nil {
				t.Fatal(err)
			}
			data = data[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, st := reopenReplay(t, mem)
		if st.Truncated || !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("replayed %d records (stats %+v), want %d", len(got), st, len(want))
		}
	})
}
