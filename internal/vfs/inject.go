package vfs

import "os"

// Op names a filesystem operation for fault injection.
type Op string

// Operations an injector sees.
const (
	OpCreate  Op = "create"
	OpOpen    Op = "open"
	OpWrite   Op = "write"
	OpSync    Op = "sync"
	OpRename  Op = "rename"
	OpRemove  Op = "remove"
	OpSyncDir Op = "syncdir"
	OpMkdir   Op = "mkdir"
	OpTrunc   Op = "truncate"
)

// Inject wraps fs so that hook is asked before each mutating operation (and
// opens); a non-nil error from hook is returned instead of performing it.
func Inject(fs FS, hook func(op Op, path string) error) FS {
	return &injectFS{FS: fs, hook: hook}
}

type injectFS struct {
	FS
	hook func(Op, string) error
}

type injectFile struct {
	File
	hook func(Op, string) error
}

func (f *injectFile) Write(p []byte) (int, error) {
	if err := f.hook(OpWrite, f.Name()); err != nil {
		return 0, err
	}
	return f.File.Write(p)
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
	return i.wrap(i.FS.Create(name))
}

func (i *injectFS) Open(name string) (File, error) {
	if err := i.hook(OpOpen, name); err != nil {
		return nil, err
	}
	return i.wrap(i.FS.Open(name))
}

func (i *injectFS) OpenReadWrite(name string) (File, error) {
	if err := i.hook(OpOpen, name); err != nil {
		return nil, err
	}
	return i.wrap(i.FS.OpenReadWrite(name))
}

func (i *injectFS) Rename(o, n string) error {
	if err := i.hook(OpRename, n); err != nil {
		return err
	}
	return i.FS.Rename(o, n)
}

func (i *injectFS) Remove(name string) error {
	if err := i.hook(OpRemove, name); err != nil {
		return err
	}
	return i.FS.Remove(name)
}

func (i *injectFS) SyncDir(dir string) error {
	if err := i.hook(OpSyncDir, dir); err != nil {
		return err
	}
	return i.FS.SyncDir(dir)
}

func (i *injectFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := i.hook(OpMkdir, dir); err != nil {
		return err
	}
	return i.FS.MkdirAll(dir, perm)
}
