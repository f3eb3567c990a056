package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mem is an in-memory filesystem for tests that models what survives a crash.
//
// Rules (a strict reading of POSIX, close to ext4 with data=ordered):
//   - file contents become durable only through File.Sync; CrashClone keeps the
//     contents as of each file's last Sync;
//   - a directory entry (create, rename, remove) becomes durable only through
//     SyncDir of its parent; until then a crash restores the entry's previous
//     durable state (absent, the old name, or still present);
//   - directories themselves are durable once created (MkdirAll).
type Mem struct {
	// mu guards every field and every inode.
	mu   sync.Mutex
	cur  map[string]*inode // the namespace as the running process sees it
	dur  map[string]*inode // the namespace a crash would leave
	dirs map[string]bool
}

type inode struct {
	data   []byte
	synced []byte
	mtime  time.Time
}

// NewMem returns an empty in-memory filesystem with a root directory "/".
func NewMem() *Mem {
	return &Mem{cur: map[string]*inode{}, dur: map[string]*inode{}, dirs: map[string]bool{"/": true, ".": true}}
}

func clean(name string) string { return filepath.Clean(name) }

// CrashClone returns a new filesystem holding only what was durable in m: the
// state after a power loss. m is unchanged.
func (m *Mem) CrashClone() *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := NewMem()
	for d := range m.dirs {
		c.dirs[d] = true
	}
	clones := map[*inode]*inode{}
	for p, in := range m.dur {
		n := clones[in]
		if n == nil {
			n = &inode{data: append([]byte(nil), in.synced...), mtime: in.mtime}
			n.synced = append([]byte(nil), n.data...)
			clones[in] = n
		}
		c.cur[p], c.dur[p] = n, n
	}
	return c
}

func (m *Mem) parentExists(name string) error {
	if !m.dirs[filepath.Dir(name)] {
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return nil
}

// Create implements FS.
func (m *Mem) Create(name string) (File, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.parentExists(name); err != nil {
		return nil, err
	}
	if m.dirs[name] {
		return nil, &fs.PathError{Op: "create", Path: name, Err: errors.New("is a directory")}
	}
	in := m.cur[name]
	if in == nil {
		in = &inode{}
		m.cur[name] = in
	}
	in.data = in.data[:0:0]
	in.mtime = time.Now()
	return &memFile{fs: m, in: in, name: name, writable: true}, nil
}

func (m *Mem) open(name string, writable bool) (File, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	in := m.cur[name]
	if in == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{fs: m, in: in, name: name, writable: writable}, nil
}

// Open implements FS.
func (m *Mem) Open(name string) (File, error) { return m.open(name, false) }

// OpenReadWrite implements FS.
func (m *Mem) OpenReadWrite(name string) (File, error) { return m.open(name, true) }

// Remove implements FS.
func (m *Mem) Remove(name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur[name] != nil {
		delete(m.cur, name)
		return nil
	}
	if m.dirs[name] {
		prefix := name + string(filepath.Separator)
		for p := range m.cur {
			if strings.HasPrefix(p, prefix) {
				return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
			}
		}
		for d := range m.dirs {
			if strings.HasPrefix(d, prefix) {
				return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
			}
		}
		delete(m.dirs, name)
		return nil
	}
	return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
}

// RemoveAll implements FS. Removing a directory tree is durable at once (like
// a removal the test never observes half-done); file removals follow the SyncDir rule.
func (m *Mem) RemoveAll(name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cur, name)
	prefix := name + string(filepath.Separator)
	for p := range m.cur {
		if strings.HasPrefix(p, prefix) {
			delete(m.cur, p)
		}
	}
	if m.dirs[name] {
		for p := range m.dur {
			if strings.HasPrefix(p, prefix) {
				delete(m.dur, p)
			}
		}
		for d := range m.dirs {
			if d == name || strings.HasPrefix(d, prefix) {
				delete(m.dirs, d)
			}
		}
	}
	return nil
}

// Rename implements FS.
func (m *Mem) Rename(oldname, newname string) error {
	oldname, newname = clean(oldname), clean(newname)
	m.mu.Lock()
	defer m.mu.Unlock()
	in := m.cur[oldname]
	if in == nil {
		return &fs.PathError{Op: "rename", Path: oldname, Err: fs.ErrNotExist}
	}
	if err := m.parentExists(newname); err != nil {
		return err
	}
	delete(m.cur, oldname)
	m.cur[newname] = in
	return nil
}

// MkdirAll implements FS.
func (m *Mem) MkdirAll(dir string, perm os.FileMode) error {
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := dir; ; d = filepath.Dir(d) {
		if m.cur[d] != nil {
			return &fs.PathError{Op: "mkdir", Path: d, Err: errors.New("not a directory")}
		}
		m.dirs[d] = true
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// ReadDir implements FS.
func (m *Mem) ReadDir(dir string) ([]os.DirEntry, error) {
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[dir] {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	var out []os.DirEntry
	for p, in := range m.cur {
		if filepath.Dir(p) == dir {
			out = append(out, memEntry{name: filepath.Base(p), size: int64(len(in.data)), mtime: in.mtime})
		}
	}
	for d := range m.dirs {
		if d != dir && filepath.Dir(d) == dir {
			out = append(out, memEntry{name: filepath.Base(d), dir: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Stat implements FS.
func (m *Mem) Stat(name string) (os.FileInfo, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if in := m.cur[name]; in != nil {
		return memEntry{name: filepath.Base(name), size: int64(len(in.data)), mtime: in.mtime}, nil
	}
	if m.dirs[name] {
		return memEntry{name: filepath.Base(name), dir: true}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// SyncDir implements FS: the entries of dir become durable as they are now.
func (m *Mem) SyncDir(dir string) error {
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[dir] {
		return &fs.PathError{Op: "syncdir", Path: dir, Err: fs.ErrNotExist}
	}
	for p := range m.dur {
		if filepath.Dir(p) == dir && m.cur[p] == nil {
			delete(m.dur, p)
		}
	}
	for p, in := range m.cur {
		if filepath.Dir(p) == dir {
			m.dur[p] = in
		}
	}
	return nil
}

type memEntry struct {
	name  string
	size  int64
	dir   bool
	mtime time.Time
}

func (e memEntry) Name() string { return e.name }
func (e memEntry) IsDir() bool  { return e.dir }
func (e memEntry) Type() fs.FileMode {
	if e.dir {
		return fs.ModeDir
	}
	return 0
}
func (e memEntry) Info() (fs.FileInfo, error) { return e, nil }
func (e memEntry) Size() int64                { return e.size }
func (e memEntry) Mode() fs.FileMode {
	if e.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (e memEntry) ModTime() time.Time { return e.mtime }
func (e memEntry) Sys() any           { return nil }

type memFile struct {
	fs       *Mem
	in       *inode
	name     string
	pos      int64
	writable bool
	closed   bool
}

func (f *memFile) check() error {
	if f.closed {
		return fmt.Errorf("%s: %w", f.name, fs.ErrClosed)
	}
	return nil
}

func (f *memFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return 0, err
	}
	if f.pos >= int64(len(f.in.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.in.data[f.pos:])
	f.pos += int64(n)
	return n, nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset", f.name)
	}
	if off >= int64(len(f.in.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.in.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return 0, err
	}
	if !f.writable {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrPermission}
	}
	end := f.pos + int64(len(p))
	for int64(len(f.in.data)) < end {
		f.in.data = append(f.in.data, 0)
	}
	copy(f.in.data[f.pos:], p)
	f.pos = end
	f.in.mtime = time.Now()
	return len(p), nil
}

func (f *memFile) Seek(offset int64, whence int) (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += int64(len(f.in.data))
	}
	if offset < 0 {
		return 0, fmt.Errorf("%s: negative seek", f.name)
	}
	f.pos = offset
	return offset, nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return err
	}
	f.closed = true
	return nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return err
	}
	f.in.synced = append(f.in.synced[:0], f.in.data...)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check(); err != nil {
		return err
	}
	if size < int64(len(f.in.data)) {
		f.in.data = f.in.data[:size]
	} else {
		f.in.data = append(f.in.data, make([]byte, size-int64(len(f.in.data)))...)
	}
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	return memEntry{name: filepath.Base(f.name), size: int64(len(f.in.data)), mtime: f.in.mtime}, nil
}

func (f *memFile) Name() string { return f.name }
