package vfs

import (
	"errors"
	"io"
	"testing"
)

func TestInject(t *testing.T) {
	boom := errors.New("boom")
	ops := []struct {
		op  Op
		run func(fsys FS) error
	}{
		{OpCreate, func(fsys FS) error { _, err := fsys.Create("/d/new"); return err }},
		{OpOpen, func(fsys FS) error { _, err := fsys.Open("/d/f"); return err }},
		{OpRead, func(fsys FS) error {
			f, _ := fsys.Open("/d/f")
			defer f.Close()
			_, err := f.ReadAt(make([]byte, 1), 0)
			return err
		}},
		{OpWrite, func(fsys FS) error {
			f, _ := fsys.OpenReadWrite("/d/f")
			defer f.Close()
			_, err := f.Write([]byte("x"))
			return err
		}},
		{OpSync, func(fsys FS) error {
			f, _ := fsys.OpenReadWrite("/d/f")
			defer f.Close()
			return f.Sync()
		}},
		{OpTrunc, func(fsys FS) error {
			f, _ := fsys.OpenReadWrite("/d/f")
			defer f.Close()
			return f.Truncate(0)
		}},
		{OpClose, func(fsys FS) error {
			f, _ := fsys.Open("/d/f")
			return f.Close()
		}},
		{OpRename, func(fsys FS) error { return fsys.Rename("/d/f", "/d/g") }},
		{OpRemove, func(fsys FS) error { return fsys.Remove("/d/f") }},
		{OpRemoveAll, func(fsys FS) error { return fsys.RemoveAll("/d") }},
		{OpMkdir, func(fsys FS) error { return fsys.MkdirAll("/e", 0o755) }},
		{OpReadDir, func(fsys FS) error { _, err := fsys.ReadDir("/d"); return err }},
		{OpStat, func(fsys FS) error { _, err := fsys.Stat("/d/f"); return err }},
		{OpSyncDir, func(fsys FS) error { return fsys.SyncDir("/d") }},
	}
	for _, tc := range ops {
		t.Run(string(tc.op), func(t *testing.T) {
			m := NewMem()
			must(t, m.MkdirAll("/d", 0o755))
			mustWrite(t, m, "/d/f", "data", true)
			var seen []Op
			fsys := Inject(m, func(op Op, path string) error {
				seen = append(seen, op)
				if op == tc.op {
					return boom
				}
				return nil
			})
			if err := tc.run(fsys); !errors.Is(err, boom) {
				t.Fatalf("%s: got %v, want the injected error (ops seen %v)", tc.op, err, seen)
			}
			// Every other op passes straight through.
			clean := Inject(m, func(op Op, path string) error { return nil })
			if err := tc.run(clean); err != nil {
				t.Fatalf("%s without injection: %v", tc.op, err)
			}
		})
	}
}

func TestInjectPartialWrite(t *testing.T) {
	m := NewMem()
	must(t, m.MkdirAll("/d", 0o755))
	fail := true
	fsys := Inject(m, func(op Op, path string) error {
		if op == OpWrite && fail {
			return &PartialWrite{N: 3}
		}
		return nil
	})
	f, err := fsys.Create("/d/f")
	must(t, err)
	n, err := f.Write([]byte("abcdef"))
	if n != 3 || !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("torn write: n=%d err=%v", n, err)
	}
	fail = false
	f.Write([]byte("Z"))
	f.Close()
	if got, _ := ReadFile(m, "/d/f"); string(got) != "abcZ" {
		t.Fatalf("contents %q", got)
	}
}
