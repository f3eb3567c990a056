package vfs

import (
	"errors"
	"io"
	"io/fs"
	"testing"
)

func readFile(t *testing.T, m FS, name string) (string, error) {
	t.Helper()
	f, err := m.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

func writeFile(t *testing.T, m FS, name, data string, sync bool) {
	t.Helper()
	f, err := m.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(data))
	if sync {
		f.Sync()
	}
	f.Close()
}

func TestCrashCloneDurability(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(m *Mem)
		file  string
		want  string // "" = absent
	}{
		{"synced file and dir", func(m *Mem) { writeFile(t, m, "/d/a", "x", true); m.SyncDir("/d") }, "/d/a", "x"},
		{"unsynced dir entry lost", func(m *Mem) { writeFile(t, m, "/d/a", "x", true) }, "/d/a", ""},
		{"unsynced data lost", func(m *Mem) { writeFile(t, m, "/d/a", "x", false); m.SyncDir("/d") }, "/d/a", "<empty>"},
		{"partial sync keeps synced prefix", func(m *Mem) {
			f, _ := m.Create("/d/a")
			f.Write([]byte("ab"))
			f.Sync()
			f.Write([]byte("cd"))
			m.SyncDir("/d")
		}, "/d/a", "ab"},
		{"rename durable after syncdir", func(m *Mem) {
			writeFile(t, m, "/d/a.tmp", "new", true)
			m.Rename("/d/a.tmp", "/d/a")
			m.SyncDir("/d")
		}, "/d/a", "new"},
		{"rename not durable without syncdir", func(m *Mem) {
			writeFile(t, m, "/d/a", "old", true)
			m.SyncDir("/d")
			writeFile(t, m, "/d/a.tmp", "new", true)
			m.Rename("/d/a.tmp", "/d/a")
		}, "/d/a", "old"},
		{"remove not durable without syncdir", func(m *Mem) {
			writeFile(t, m, "/d/a", "x", true)
			m.SyncDir("/d")
			m.Remove("/d/a")
		}, "/d/a", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMem()
			m.MkdirAll("/d", 0o755)
			tc.setup(m)
			c := m.CrashClone()
			got, err := readFile(t, c, tc.file)
			switch {
			case tc.want == "":
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("want absent, got %q %v", got, err)
				}
			case tc.want == "<empty>":
				if err != nil || got != "" {
					t.Fatalf("want empty, got %q %v", got, err)
				}
			default:
				if err != nil || got != tc.want {
					t.Fatalf("got %q %v, want %q", got, err, tc.want)
				}
			}
		})
	}
}

func TestMemBasics(t *testing.T) {
	m := NewMem()
	if _, err := m.Create("/missing/a"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("create in missing dir: %v", err)
	}
	m.MkdirAll("/a/b", 0o755)
	writeFile(t, m, "/a/b/f", "hello", true)
	f, _ := m.OpenReadWrite("/a/b/f")
	f.Truncate(2)
	buf := make([]byte, 5)
	n, err := f.ReadAt(buf, 0)
	if n != 2 || err != io.EOF || string(buf[:2]) != "he" {
		t.Fatalf("ReadAt after truncate: %d %v %q", n, err, buf[:n])
	}
	f.Close()
	if _, err := f.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	ents, _ := m.ReadDir("/a")
	if len(ents) != 1 || ents[0].Name() != "b" || !ents[0].IsDir() {
		t.Fatalf("readdir: %v", ents)
	}
	if err := m.Remove("/a/b"); err == nil {
		t.Fatal("removed a non-empty dir")
	}
	m.RemoveAll("/a")
	if _, err := m.Stat("/a/b/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after RemoveAll: %v", err)
	}
}

func TestInject(t *testing.T) {
	boom := errors.New("boom")
	m := NewMem()
	m.MkdirAll("/d", 0o755)
	fsys := Inject(m, func(op Op, path string) error {
		if op == OpSync {
			return boom
		}
		return nil
	})
	f, err := fsys.Create("/d/a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); !errors.Is(err, boom) {
		t.Fatalf("sync: %v", err)
	}
}
