package vfs

import (
	"fmt"
	"io"
	"os"
)

// Op names a filesystem operation for fault injection.
type Op string

// Operations a hook sees.
const (
	OpCreate    Op = "create"    // FS.Create
	OpOpen      Op = "open"      // FS.Open and FS.OpenReadWrite
	OpRead      Op = "read"      // File.Read and File.ReadAt
	OpWrite     Op = "write"     // File.Write
	OpSync      Op = "sync"      // File.Sync
	OpTrunc     Op = "truncate"  // File.Truncate
	OpClose     Op = "close"     // File.Close (the file is closed even when the hook fails it)
	OpRename    Op = "rename"    // FS.Rename; the path is the new name
	OpRemove    Op = "remove"    // FS.Remove
	OpRemoveAll Op = "removeall" // FS.RemoveAll
	OpMkdir     Op = "mkdir"     // FS.MkdirAll
	OpReadDir   Op = "readdir"   // FS.ReadDir
	OpStat      Op = "stat"      // FS.Stat and File.Stat
	OpSyncDir   Op = "syncdir"   // FS.SyncDir
)

// PartialWrite, returned by a hook for OpWrite, tears the write: the first N
// bytes (at most all of them) reach the file and Write then returns Err.
// A nil Err means io.ErrShortWrite.
type PartialWrite struct {
	N   int
	Err error
}

func (e *PartialWrite) Error() string {
	return fmt.Sprintf("partial write of %d bytes: %v", e.N, e.cause())
}

// Unwrap returns the error the torn write reports.
func (e *PartialWrite) Unwrap() error { return e.cause() }

func (e *PartialWrite) cause() error {
	if e.Err == nil {
		return io.ErrShortWrite
	}
	return e.Err
}

// Inject wraps fsys so that hook is asked before each operation (see Op); a
// non-nil error from hook is returned instead of performing the operation,
// except that a *PartialWrite from an OpWrite performs part of it. The hook
// is called concurrently when fsys is used concurrently, and must not call
// back into the returned FS.
func Inject(fsys FS, hook func(op Op, path string) error) FS {
	return &injectFS{fs: fsys, hook: hook}
}

type injectFS struct {
	fs   FS
	hook func(Op, string) error
}

var _ FS = (*injectFS)(nil)

type injectFile struct {
	File
	hook func(Op, string) error
}

var _ File = (*injectFile)(nil)

func (f *injectFile) Read(p []byte) (int, error) {
	if err := f.hook(OpRead, f.Name()); err != nil {
		return 0, err
	}
	return f.File.Read(p)
}

func (f *injectFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.hook(OpRead, f.Name()); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

func (f *injectFile) Write(p []byte) (int, error) {
	err := f.hook(OpWrite, f.Name())
	if err == nil {
		return f.File.Write(p)
	}
	if pw, ok := err.(*PartialWrite); ok {
		n, werr := f.File.Write(p[:max(0, min(pw.N, len(p)))])
		if werr != nil {
			return n, werr
		}
		return n, pw
	}
	return 0, err
}

func (f *injectFile) Sync() error {
	if err := f.hook(OpSync, f.Name()); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *injectFile) Truncate(n int64) error {
	if err := f.hook(OpTrunc, f.Name()); err != nil {
		return err
	}
	return f.File.Truncate(n)
}

func (f *injectFile) Stat() (os.FileInfo, error) {
	if err := f.hook(OpStat, f.Name()); err != nil {
		return nil, err
	}
	return f.File.Stat()
}

// Close always closes the underlying file so an injected failure cannot leak it.
func (f *injectFile) Close() error {
	herr := f.hook(OpClose, f.Name())
	err := f.File.Close()
	if herr != nil {
		return herr
	}
	return err
}

func (i *injectFS) wrap(f File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return &injectFile{File: f, hook: i.hook}, nil
}

func (i *injectFS) Create(name string) (File, error) {
	if err := i.hook(OpCreate, name); err != nil {
		return nil, err
	}
	return i.wrap(i.fs.Create(name))
}

func (i *injectFS) Open(name string) (File, error) {
	if err := i.hook(OpOpen, name); err != nil {
		return nil, err
	}
	return i.wrap(i.fs.Open(name))
}

func (i *injectFS) OpenReadWrite(name string) (File, error) {
	if err := i.hook(OpOpen, name); err != nil {
		return nil, err
	}
	return i.wrap(i.fs.OpenReadWrite(name))
}

func (i *injectFS) Rename(oldname, newname string) error {
	if err := i.hook(OpRename, newname); err != nil {
		return err
	}
	return i.fs.Rename(oldname, newname)
}

func (i *injectFS) Remove(name string) error {
	if err := i.hook(OpRemove, name); err != nil {
		return err
	}
	return i.fs.Remove(name)
}

func (i *injectFS) RemoveAll(name string) error {
	if err := i.hook(OpRemoveAll, name); err != nil {
		return err
	}
	return i.fs.RemoveAll(name)
}

func (i *injectFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := i.hook(OpMkdir, dir); err != nil {
		return err
	}
	return i.fs.MkdirAll(dir, perm)
}

func (i *injectFS) ReadDir(dir string) ([]os.DirEntry, error) {
	if err := i.hook(OpReadDir, dir); err != nil {
		return nil, err
	}
	return i.fs.ReadDir(dir)
}

func (i *injectFS) Stat(name string) (os.FileInfo, error) {
	if err := i.hook(OpStat, name); err != nil {
		return nil, err
	}
	return i.fs.Stat(name)
}

func (i *injectFS) SyncDir(dir string) error {
	if err := i.hook(OpSyncDir, dir); err != nil {
		return err
	}
	return i.fs.SyncDir(dir)
}
