//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package dirfd

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Supported reports whether this system has the calls the package needs.
const Supported = false

// Dir is an open directory; on this system none can be opened.
type Dir struct{ path string }

// OpenPath fails: this system lacks the calls the package is built on.
func OpenPath(path string) (*Dir, error) {
	return nil, &fs.PathError{Op: "open", Path: path, Err: ErrUnsupported}
}

func (d *Dir) unsupported(op string) error {
	return &fs.PathError{Op: op, Path: d.path, Err: ErrUnsupported}
}

// Path is the directory's path.
func (d *Dir) Path() string { return d.path }

// Join is the path of name inside d.
func (d *Dir) Join(name string) string { return filepath.Join(d.path, name) }

// Close does nothing.
func (d *Dir) Close() error { return nil }

// Stat fails.
func (d *Dir) Stat() (Info, error) { return Info{}, d.unsupported("fstat") }

// Lstat fails.
func (d *Dir) Lstat(name string) (Info, error) { return Info{}, d.unsupported("lstat") }

// OpenDir fails.
func (d *Dir) OpenDir(name string) (*Dir, error) { return nil, d.unsupported("open") }

// Names fails.
func (d *Dir) Names() ([]string, error) { return nil, d.unsupported("readdir") }

// Mkdir fails.
func (d *Dir) Mkdir(name string, perm uint32) error { return d.unsupported("mkdir") }

// Create fails.
func (d *Dir) Create(name string, perm uint32) (*os.File, error) {
	return nil, d.unsupported("open")
}

// OpenFile fails.
func (d *Dir) OpenFile(name string, flag int, perm uint32) (*os.File, error) {
	return nil, d.unsupported("open")
}

// Link fails.
func (d *Dir) Link(name string, to *Dir, toName string) error { return d.unsupported("link") }

// Readlink fails.
func (d *Dir) Readlink(name string) (string, error) { return "", d.unsupported("readlink") }

// Unlink fails.
func (d *Dir) Unlink(name string) error { return d.unsupported("unlink") }

// Rmdir fails.
func (d *Dir) Rmdir(name string) error { return d.unsupported("rmdir") }

// Rename fails.
func (d *Dir) Rename(name string, to *Dir, toName string) error { return d.unsupported("rename") }

// RenameNoReplace fails.
func (d *Dir) RenameNoReplace(name string, to *Dir, toName string) error {
	return ErrUnsupported
}

// Exchange fails.
func (d *Dir) Exchange(name string, to *Dir, toName string) error { return ErrUnsupported }

// Chmod fails.
func (d *Dir) Chmod(perm uint32) error { return d.unsupported("chmod") }

// Chown fails.
func (d *Dir) Chown(uid, gid uint32) error { return d.unsupported("chown") }

// Sync fails.
func (d *Dir) Sync() error { return d.unsupported("fsync") }

// FileInfo fails.
func FileInfo(f *os.File) (Info, error) {
	return Info{}, &fs.PathError{Op: "fstat", Path: f.Name(), Err: ErrUnsupported}
}

// TryLock fails.
func TryLock(f *os.File) (bool, error) {
	return false, &fs.PathError{Op: "flock", Path: f.Name(), Err: ErrUnsupported}
}

// Locked fails.
func Locked(f *os.File) (bool, error) {
	return false, &fs.PathError{Op: "flock", Path: f.Name(), Err: ErrUnsupported}
}
