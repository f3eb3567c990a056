package vfs

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"testing"
)

func mustWrite(t *testing.T, m FS, name, data string, sync bool) {
	t.Helper()
	f, err := m.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// absent and empty are markers for the want column of the crash table.
const (
	absent = "<absent>"
	empty  = "<empty>"
)

func TestCrashClone(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, m *Mem)
		file  string
		want  string
	}{
		{"synced file and dir", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "x", true)
			must(t, m.SyncDir("/d"))
		}, "/d/a", "x"},
		{"create without syncdir is lost", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "x", true)
		}, "/d/a", absent},
		{"syncdir of another dir does not help", func(t *testing.T, m *Mem) {
			must(t, m.MkdirAll("/e", 0o755))
			mustWrite(t, m, "/d/a", "x", true)
			must(t, m.SyncDir("/e"))
		}, "/d/a", absent},
		{"unsynced data of a durable entry is lost", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "x", false)
			must(t, m.SyncDir("/d"))
		}, "/d/a", empty},
		{"writes after sync are lost", func(t *testing.T, m *Mem) {
			f, err := m.Create("/d/a")
			must(t, err)
			f.Write([]byte("ab"))
			must(t, f.Sync())
			f.Write([]byte("cd"))
			must(t, m.SyncDir("/d"))
		}, "/d/a", "ab"},
		{"overwrite in the middle after sync is lost", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "abcdef", true)
			must(t, m.SyncDir("/d"))
			f, err := m.OpenReadWrite("/d/a")
			must(t, err)
			f.Seek(2, io.SeekStart)
			f.Write([]byte("XY"))
			f.Close()
		}, "/d/a", "abcdef"},
		{"overwrite in the middle then sync", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "abcdef", true)
			must(t, m.SyncDir("/d"))
			f, err := m.OpenReadWrite("/d/a")
			must(t, err)
			f.Seek(2, io.SeekStart)
			f.Write([]byte("XY"))
			must(t, f.Sync())
		}, "/d/a", "abXYef"},
		{"unsynced truncate is undone", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "abcdef", true)
			must(t, m.SyncDir("/d"))
			f, _ := m.OpenReadWrite("/d/a")
			must(t, f.Truncate(2))
		}, "/d/a", "abcdef"},
		{"synced truncate then append", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "abcdef", true)
			must(t, m.SyncDir("/d"))
			f, _ := m.OpenReadWrite("/d/a")
			must(t, f.Truncate(2))
			f.Seek(0, io.SeekEnd)
			f.Write([]byte("Z"))
			must(t, f.Sync())
		}, "/d/a", "abZ"},
		{"recreate without sync keeps old contents", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "old", true)
			must(t, m.SyncDir("/d"))
			mustWrite(t, m, "/d/a", "new", false)
		}, "/d/a", "old"},
		{"rename durable after syncdir", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a.tmp", "new", true)
			must(t, m.Rename("/d/a.tmp", "/d/a"))
			must(t, m.SyncDir("/d"))
		}, "/d/a", "new"},
		{"renamed source gone after syncdir", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a.tmp", "new", true)
			must(t, m.SyncDir("/d"))
			must(t, m.Rename("/d/a.tmp", "/d/a"))
			must(t, m.SyncDir("/d"))
		}, "/d/a.tmp", absent},
		{"rename without syncdir keeps the old target", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "old", true)
			must(t, m.SyncDir("/d"))
			mustWrite(t, m, "/d/a.tmp", "new", true)
			must(t, m.Rename("/d/a.tmp", "/d/a"))
		}, "/d/a", "old"},
		{"rename of unsynced data is durable but empty", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a.tmp", "new", false)
			must(t, m.Rename("/d/a.tmp", "/d/a"))
			must(t, m.SyncDir("/d"))
		}, "/d/a", empty},
		{"remove without syncdir is undone", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "x", true)
			must(t, m.SyncDir("/d"))
			must(t, m.Remove("/d/a"))
		}, "/d/a", "x"},
		{"remove with syncdir is durable", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "x", true)
			must(t, m.SyncDir("/d"))
			must(t, m.Remove("/d/a"))
			must(t, m.SyncDir("/d"))
		}, "/d/a", absent},
		{"sync through a removed name still counts", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "x", true)
			must(t, m.SyncDir("/d"))
			f, _ := m.OpenReadWrite("/d/a")
			must(t, m.Remove("/d/a"))
			f.Seek(0, io.SeekEnd)
			f.Write([]byte("y"))
			must(t, f.Sync())
		}, "/d/a", "xy"},
		{"RemoveAll of a directory is durable at once", func(t *testing.T, m *Mem) {
			mustWrite(t, m, "/d/a", "x", true)
			must(t, m.SyncDir("/d"))
			must(t, m.RemoveAll("/d"))
		}, "/d/a", absent},
		{"directories are durable at once", func(t *testing.T, m *Mem) {
			must(t, m.MkdirAll("/d/sub", 0o755))
			mustWrite(t, m, "/d/sub/a", "x", true)
			must(t, m.SyncDir("/d/sub"))
		}, "/d/sub/a", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMem()
			must(t, m.MkdirAll("/d", 0o755))
			tc.setup(t, m)
			c := m.CrashClone()
			got, err := ReadFile(c, tc.file)
			switch tc.want {
			case absent:
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("want absent, got %q, %v", got, err)
				}
			case empty:
				if err != nil || len(got) != 0 {
					t.Fatalf("want empty, got %q, %v", got, err)
				}
			default:
				if err != nil || string(got) != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
			}
		})
	}
}

func TestCrashCloneIsIndependent(t *testing.T) {
	m := NewMem()
	must(t, m.MkdirAll("/d", 0o755))
	mustWrite(t, m, "/d/a", "one", true)
	must(t, m.SyncDir("/d"))
	c := m.CrashClone()

	// Changing the clone leaves the original alone and vice versa.
	mustWrite(t, c, "/d/a", "clone", true)
	mustWrite(t, m, "/d/b", "orig", true)
	if got, _ := ReadFile(m, "/d/a"); string(got) != "one" {
		t.Fatalf("original changed through the clone: %q", got)
	}
	if _, err := c.Stat("/d/b"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("clone sees the original's later file: %v", err)
	}
	// Everything in a clone is durable: cloning it again loses nothing that was synced.
	must(t, c.SyncDir("/d"))
	if got, _ := ReadFile(c.CrashClone(), "/d/a"); string(got) != "clone" {
		t.Fatalf("clone of a clone: %q", got)
	}
}

func TestMemIncrementalSyncKeepsEveryByte(t *testing.T) {
	// Interleave appends, overwrites, truncations and syncs and check the
	// synced image against the live one after every sync.
	m := NewMem()
	must(t, m.MkdirAll("/d", 0o755))
	f, err := m.Create("/d/a")
	must(t, err)
	must(t, m.SyncDir("/d"))
	for i := 0; i < 200; i++ {
		switch i % 5 {
		case 0, 1, 2:
			f.Seek(0, io.SeekEnd)
			f.Write([]byte{byte(i), byte(i >> 1), byte(i * 7)})
		case 3:
			f.Seek(int64(i%7), io.SeekStart)
			f.Write([]byte{0xee})
		case 4:
			st, _ := f.Stat()
			must(t, f.Truncate(st.Size()-1))
		}
		if i%3 == 0 {
			must(t, f.Sync())
			live, _ := ReadFile(m, "/d/a")
			crashed, _ := ReadFile(m.CrashClone(), "/d/a")
			if string(live) != string(crashed) {
				t.Fatalf("step %d: synced image %x differs from live %x", i, crashed, live)
			}
		}
	}
}

// fsCase runs behaviour every FS must share against each implementation.
func forEachFS(t *testing.T, fn func(t *testing.T, fsys FS, dir string)) {
	t.Run("os", func(t *testing.T) { fn(t, Default, t.TempDir()) })
	t.Run("mem", func(t *testing.T) {
		m := NewMem()
		must(t, m.MkdirAll("/tmp/x", 0o755))
		fn(t, m, "/tmp/x")
	})
	t.Run("inject", func(t *testing.T) {
		m := NewMem()
		must(t, m.MkdirAll("/tmp/x", 0o755))
		fn(t, Inject(m, func(Op, string) error { return nil }), "/tmp/x")
	})
}

func TestFSBehaviour(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys FS, dir string) {
		p := func(name string) string { return filepath.Join(dir, name) }
		for _, tc := range []struct {
			name string
			run  func(t *testing.T) error
		}{
			{"open missing", func(t *testing.T) error {
				_, err := fsys.Open(p("nope"))
				return wantIs(err, fs.ErrNotExist)
			}},
			{"create in missing dir", func(t *testing.T) error {
				_, err := fsys.Create(p("nodir/a"))
				return wantIs(err, fs.ErrNotExist)
			}},
			{"write read stat", func(t *testing.T) error {
				mustWrite(t, fsys, p("a"), "hello", true)
				st, err := fsys.Stat(p("a"))
				if err != nil || st.Size() != 5 || st.IsDir() {
					return errors.New("bad stat")
				}
				got, err := ReadFile(fsys, p("a"))
				if err != nil || string(got) != "hello" {
					return errors.New("bad contents " + string(got))
				}
				return nil
			}},
			{"read-only file refuses writes", func(t *testing.T) error {
				mustWrite(t, fsys, p("ro"), "x", false)
				f, err := fsys.Open(p("ro"))
				must(t, err)
				defer f.Close()
				if _, err := f.Write([]byte("y")); err == nil {
					return errors.New("write to a read-only file succeeded")
				}
				return nil
			}},
			{"open read-write starts at zero and truncates", func(t *testing.T) error {
				mustWrite(t, fsys, p("rw"), "abcdef", false)
				f, err := fsys.OpenReadWrite(p("rw"))
				must(t, err)
				f.Write([]byte("XY"))
				must(t, f.Truncate(4))
				buf := make([]byte, 10)
				n, err := f.ReadAt(buf, 0)
				f.Close()
				if n != 4 || !errors.Is(err, io.EOF) || string(buf[:n]) != "XYcd" {
					return errors.New("got " + string(buf[:n]))
				}
				return nil
			}},
			{"closed file refuses use", func(t *testing.T) error {
				f, err := fsys.Create(p("c"))
				must(t, err)
				must(t, f.Close())
				_, err = f.Write([]byte("x"))
				return wantIs(err, fs.ErrClosed)
			}},
			{"rename replaces", func(t *testing.T) error {
				mustWrite(t, fsys, p("r1"), "one", false)
				mustWrite(t, fsys, p("r2"), "two", false)
				must(t, fsys.Rename(p("r1"), p("r2")))
				got, _ := ReadFile(fsys, p("r2"))
				if string(got) != "one" {
					return errors.New("rename did not replace")
				}
				_, err := fsys.Stat(p("r1"))
				return wantIs(err, fs.ErrNotExist)
			}},
			{"rename missing", func(t *testing.T) error {
				return wantIs(fsys.Rename(p("nope"), p("x")), fs.ErrNotExist)
			}},
			{"remove missing", func(t *testing.T) error {
				return wantIs(fsys.Remove(p("nope")), fs.ErrNotExist)
			}},
			{"remove non-empty dir fails, RemoveAll works", func(t *testing.T) error {
				must(t, fsys.MkdirAll(p("t/u"), 0o755))
				mustWrite(t, fsys, p("t/u/f"), "x", false)
				if fsys.Remove(p("t")) == nil {
					return errors.New("removed a non-empty directory")
				}
				must(t, fsys.RemoveAll(p("t")))
				must(t, fsys.RemoveAll(p("t"))) // missing is fine
				_, err := fsys.Stat(p("t/u/f"))
				return wantIs(err, fs.ErrNotExist)
			}},
			{"readdir sorted with dirs", func(t *testing.T) error {
				must(t, fsys.MkdirAll(p("l/b"), 0o755))
				mustWrite(t, fsys, p("l/c"), "x", false)
				mustWrite(t, fsys, p("l/a"), "x", false)
				ents, err := fsys.ReadDir(p("l"))
				must(t, err)
				var names string
				for _, e := range ents {
					names += e.Name()
					if e.IsDir() {
						names += "/"
					}
					names += " "
				}
				if names != "a b/ c " {
					return errors.New("readdir: " + names)
				}
				return nil
			}},
			{"syncdir", func(t *testing.T) error {
				must(t, fsys.SyncDir(dir))
				return wantIs(fsys.SyncDir(p("nope")), fs.ErrNotExist)
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.run(t); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

func wantIs(err, target error) error {
	if !errors.Is(err, target) {
		return errors.Join(errors.New("want "+target.Error()+", got"), err)
	}
	return nil
}
