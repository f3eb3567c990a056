package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Mem is an in-memory filesystem for tests that models what survives a crash.
// Paths are cleaned with filepath.Clean; "/" and "." exist from the start.
//
// Durability rules (a strict reading of POSIX, close to ext4 with data=ordered):
//
//   - A file's contents become durable only through File.Sync (on any handle
//     of that file). A crash restores the contents as of the last Sync:
//     later writes, truncations and a Create that truncated it are lost.
//   - A directory entry — a file created, renamed into or removed from a
//     directory — becomes durable only through SyncDir of that directory.
//     Until then a crash restores the entry's previous durable state: absent,
//     still under its old name, or still present.
//   - A durable entry whose file was never synced survives a crash empty.
//   - Directories themselves are not journalled: MkdirAll, removing an empty
//     directory and RemoveAll of a directory are durable at once.
//
// Unlike a real filesystem a crash never tears a write in the middle: the
// unit of loss is everything since the last Sync. Tests that need torn writes
// truncate files at chosen offsets or use Inject with a PartialWrite.
type Mem struct {
	// mu guards every field below and every inode and memFile of this Mem.
	mu   sync.Mutex
	cur  map[string]*inode // the namespace as the running process sees it
	dur  map[string]*inode // the namespace a crash would leave
	dirs map[string]bool
}

var _ FS = (*Mem)(nil)

// inode is one file's contents, shared by every name and handle that refers to it.
type inode struct {
	data   []byte
	synced []byte // contents as of the last Sync
	// dirtyFrom is the lowest offset changed since the last Sync, so Sync
	// copies only the changed tail rather than the whole file each time.
	dirtyFrom int
	mtime     time.Time
}

// NewMem returns an empty in-memory filesystem with a root directory "/".
func NewMem() *Mem {
	return &Mem{cur: map[string]*inode{}, dur: map[string]*inode{}, dirs: map[string]bool{"/": true, ".": true}}
}

func clean(name string) string { return filepath.Clean(name) }

func parentDir(name string) string { return filepath.Dir(name) }

// CrashClone returns a new filesystem holding only what was durable in m: the
// state after a power loss at this instant. m is unchanged and may keep being
// used; files open on m are not open on the clone.
func (m *Mem) CrashClone() *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := NewMem()
	for d := range m.dirs {
		c.dirs[d] = true
	}
	clones := map[*inode]*inode{} // an inode durable under two names stays one inode
	for p, in := range m.dur {
		n := clones[in]
		if n == nil {
			data := slices.Clone(in.synced)
			n = &inode{data: data, synced: slices.Clone(data), dirtyFrom: len(data), mtime: in.mtime}
			clones[in] = n
		}
		c.cur[p], c.dur[p] = n, n
	}
	return c
}

func notExist(op, name string) error { return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist} }

// Create implements FS.
func (m *Mem) Create(name string) (File, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[parentDir(name)] {
		return nil, notExist("create", name)
	}
	if m.dirs[name] {
		return nil, &fs.PathError{Op: "create", Path: name, Err: errors.New("is a directory")}
	}
	in := m.cur[name]
	if in == nil {
		in = &inode{}
		m.cur[name] = in
	}
	in.truncateLocked(0)
	in.mtime = time.Now()
	return &memFile{fs: m, in: in, name: name, writable: true}, nil
}

func (m *Mem) open(name string, writable bool) (File, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	in := m.cur[name]
	if in == nil {
		return nil, notExist("open", name)
	}
	return &memFile{fs: m, in: in, name: name, writable: writable}, nil
}

// Open implements FS. Directories cannot be opened; use ReadDir.
func (m *Mem) Open(name string) (File, error) { return m.open(name, false) }

// OpenReadWrite implements FS.
func (m *Mem) OpenReadWrite(name string) (File, error) { return m.open(name, true) }

// hasChildrenLocked reports whether anything lives below dir.
func (m *Mem) hasChildrenLocked(dir string) bool {
	for p := range m.cur {
		if parentDir(p) == dir {
			return true
		}
	}
	for d := range m.dirs {
		if d != dir && parentDir(d) == dir {
			return true
		}
	}
	return false
}

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
		if m.hasChildrenLocked(name) {
			return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
		}
		delete(m.dirs, name)
		// The directory's removal is durable at once, so names a crash would
		// otherwise have kept inside it go too.
		for p := range m.dur {
			if parentDir(p) == name {
				delete(m.dur, p)
			}
		}
		return nil
	}
	return notExist("remove", name)
}

// RemoveAll implements FS. Removing a directory tree is durable at once (see
// the rules on Mem); removing a single file follows the SyncDir rule.
func (m *Mem) RemoveAll(name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cur, name)
	if !m.dirs[name] {
		return nil
	}
	prefix := name + string(filepath.Separator)
	if name == string(filepath.Separator) {
		prefix = name
	}
	for p := range m.cur {
		if strings.HasPrefix(p, prefix) {
			delete(m.cur, p)
		}
	}
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
	m.dirs["/"], m.dirs["."] = true, true // the roots always exist
	return nil
}

// Rename implements FS for files; renaming directories is not supported.
func (m *Mem) Rename(oldname, newname string) error {
	oldname, newname = clean(oldname), clean(newname)
	m.mu.Lock()
	defer m.mu.Unlock()
	in := m.cur[oldname]
	if in == nil {
		if m.dirs[oldname] {
			return &fs.PathError{Op: "rename", Path: oldname, Err: errors.ErrUnsupported}
		}
		return notExist("rename", oldname)
	}
	if !m.dirs[parentDir(newname)] {
		return notExist("rename", newname)
	}
	if m.dirs[newname] {
		return &fs.PathError{Op: "rename", Path: newname, Err: errors.New("is a directory")}
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
	for d := dir; ; d = parentDir(d) {
		if m.cur[d] != nil {
			return &fs.PathError{Op: "mkdir", Path: d, Err: errors.New("not a directory")}
		}
		if d == parentDir(d) {
			break
		}
	}
	for d := dir; ; d = parentDir(d) {
		m.dirs[d] = true
		if d == parentDir(d) {
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
		if m.cur[dir] != nil {
			return nil, &fs.PathError{Op: "readdir", Path: dir, Err: errors.New("not a directory")}
		}
		return nil, notExist("readdir", dir)
	}
	var out []os.DirEntry
	for p, in := range m.cur {
		if parentDir(p) == dir {
			out = append(out, memEntry{name: filepath.Base(p), size: int64(len(in.data)), mtime: in.mtime})
		}
	}
	for d := range m.dirs {
		if d != dir && parentDir(d) == dir {
			out = append(out, memEntry{name: filepath.Base(d), dir: true})
		}
	}
	slices.SortFunc(out, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
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
	return nil, notExist("stat", name)
}

// SyncDir implements FS: the entries of dir become durable as they are now.
func (m *Mem) SyncDir(dir string) error {
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[dir] {
		return notExist("syncdir", dir)
	}
	for p := range m.dur {
		if parentDir(p) == dir && m.cur[p] == nil {
			delete(m.dur, p)
		}
	}
	for p, in := range m.cur {
		if parentDir(p) == dir {
			m.dur[p] = in
		}
	}
	return nil
}

// truncateLocked sets the size of in's contents, zero-filling growth.
func (in *inode) truncateLocked(size int) {
	if size < len(in.data) {
		in.data = in.data[:size]
	} else {
		in.data = append(in.data, make([]byte, size-len(in.data))...)
	}
	in.dirtyFrom = min(in.dirtyFrom, size)
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

// memFile is a handle on an inode; its fields are guarded by fs.mu.
type memFile struct {
	fs       *Mem
	in       *inode
	name     string
	pos      int64
	writable bool
	closed   bool
}

var _ File = (*memFile)(nil)

func (f *memFile) checkLocked(op string, write bool) error {
	if f.closed {
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	}
	if write && !f.writable {
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrPermission}
	}
	return nil
}

func (f *memFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("read", false); err != nil {
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
	if err := f.checkLocked("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: errors.New("negative offset")}
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
	if err := f.checkLocked("write", true); err != nil {
		return 0, err
	}
	in := f.in
	end := int(f.pos) + len(p)
	if end > len(in.data) {
		// A write past the end leaves a zero-filled hole, as on disk.
		in.data = append(in.data, make([]byte, end-len(in.data))...)
	}
	copy(in.data[f.pos:], p)
	in.dirtyFrom = min(in.dirtyFrom, int(f.pos))
	f.pos = int64(end)
	in.mtime = time.Now()
	return len(p), nil
}

func (f *memFile) Seek(offset int64, whence int) (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("seek", false); err != nil {
		return 0, err
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += int64(len(f.in.data))
	default:
		return 0, &fs.PathError{Op: "seek", Path: f.name, Err: fmt.Errorf("bad whence %d", whence)}
	}
	if offset < 0 {
		return 0, &fs.PathError{Op: "seek", Path: f.name, Err: errors.New("negative position")}
	}
	f.pos = offset
	return offset, nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("close", false); err != nil {
		return err
	}
	f.closed = true
	return nil
}

// Sync makes the inode's current contents the ones a crash keeps.
func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("sync", false); err != nil {
		return err
	}
	in := f.in
	from := min(in.dirtyFrom, len(in.synced), len(in.data))
	in.synced = append(in.synced[:from], in.data[from:]...)
	in.dirtyFrom = len(in.data)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("truncate", true); err != nil {
		return err
	}
	if size < 0 || size > 1<<40 {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	f.in.truncateLocked(int(size))
	f.in.mtime = time.Now()
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("stat", false); err != nil {
		return nil, err
	}
	return memEntry{name: filepath.Base(f.name), size: int64(len(f.in.data)), mtime: f.in.mtime}, nil
}

func (f *memFile) Name() string { return f.name }
