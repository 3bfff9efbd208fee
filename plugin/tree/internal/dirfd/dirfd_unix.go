//go:build linux || darwin || freebsd || netbsd || openbsd

package dirfd

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// Supported reports whether this system has the calls the package needs.
const Supported = true

// Dir is an open directory. Names passed to its methods are single path
// elements; the package refuses anything else.
type Dir struct {
	fd   int
	path string // for messages only
}

// OpenPath opens the directory at path. Unlike every other call here it
// resolves path as the system does, following links: it is how a program
// starts from a directory it was given.
func OpenPath(path string) (*Dir, error) {
	fd, err := retry(func() (int, error) {
		return unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &Dir{fd: fd, path: path}, nil
}

// Path is the directory's path, as given when it was opened.
func (d *Dir) Path() string { return d.path }

// Join is the path of name inside d, for messages.
func (d *Dir) Join(name string) string { return filepath.Join(d.path, name) }

// Close closes d.
func (d *Dir) Close() error { return unix.Close(d.fd) }

func (d *Dir) fail(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: d.Join(name), Err: err}
}

// element rejects names that are not one path element, so no call here
// walks more than one step.
func (d *Dir) element(op, name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return d.fail(op, name, fs.ErrInvalid)
	}
	return nil
}

// Stat describes d itself.
func (d *Dir) Stat() (Info, error) {
	info, err := statFD(d.fd)
	if err != nil {
		return Info{}, &fs.PathError{Op: "fstat", Path: d.path, Err: err}
	}
	return info, nil
}

// Lstat describes the entry name without following it.
func (d *Dir) Lstat(name string) (Info, error) {
	if err := d.element("lstat", name); err != nil {
		return Info{}, err
	}
	info, err := statAt(d.fd, name)
	if err != nil {
		return Info{}, d.fail("lstat", name, err)
	}
	return info, nil
}

// OpenDir opens the directory name; it fails if name is a link.
func (d *Dir) OpenDir(name string) (*Dir, error) {
	if err := d.element("open", name); err != nil {
		return nil, err
	}
	fd, err := retry(func() (int, error) {
		return unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, d.fail("open", name, err)
	}
	return &Dir{fd: fd, path: d.Join(name)}, nil
}

// Names lists d's entries, sorted.
func (d *Dir) Names() ([]string, error) {
	// A fresh open file description, so listing twice starts at the top.
	fd, err := retry(func() (int, error) {
		return unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.path, Err: err}
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}

// Mkdir makes the directory name with perm, less the umask.
func (d *Dir) Mkdir(name string, perm uint32) error {
	if err := d.element("mkdir", name); err != nil {
		return err
	}
	if _, err := retry(func() (int, error) { return 0, unix.Mkdirat(d.fd, name, perm) }); err != nil {
		return d.fail("mkdir", name, err)
	}
	return nil
}

// Create makes the file name, which must not exist, for writing.
func (d *Dir) Create(name string, perm uint32) (*os.File, error) {
	return d.OpenFile(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, perm)
}

// OpenFile opens name with flag (os.O_* values) and never follows a link
// there. Opening a FIFO does not block.
func (d *Dir) OpenFile(name string, flag int, perm uint32) (*os.File, error) {
	if err := d.element("open", name); err != nil {
		return nil, err
	}
	fd, err := retry(func() (int, error) {
		return unix.Openat(d.fd, name, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, perm)
	})
	if err != nil {
		return nil, d.fail("open", name, err)
	}
	// Regular files ignore O_NONBLOCK; clear it anyway so reads behave.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, d.fail("open", name, err)
	}
	return os.NewFile(uintptr(fd), d.Join(name)), nil
}

// Link makes toName in to a new name for the entry name in d. A link is
// linked itself, not what it points to.
func (d *Dir) Link(name string, to *Dir, toName string) error {
	if err := d.element("link", name); err != nil {
		return err
	}
	if err := to.element("link", toName); err != nil {
		return err
	}
	if _, err := retry(func() (int, error) { return 0, unix.Linkat(d.fd, name, to.fd, toName, 0) }); err != nil {
		return &os.LinkError{Op: "link", Old: d.Join(name), New: to.Join(toName), Err: err}
	}
	return nil
}

// Readlink returns the target of the link name.
func (d *Dir) Readlink(name string) (string, error) {
	if err := d.element("readlink", name); err != nil {
		return "", err
	}
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := retry(func() (int, error) { return unix.Readlinkat(d.fd, name, buf) })
		if err != nil {
			return "", d.fail("readlink", name, err)
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// Unlink removes the entry name, which must not be a directory; a link
// is removed itself.
func (d *Dir) Unlink(name string) error {
	if err := d.element("unlink", name); err != nil {
		return err
	}
	if _, err := retry(func() (int, error) { return 0, unix.Unlinkat(d.fd, name, 0) }); err != nil {
		return d.fail("unlink", name, err)
	}
	return nil
}

// Rmdir removes the empty directory name.
func (d *Dir) Rmdir(name string) error {
	if err := d.element("rmdir", name); err != nil {
		return err
	}
	if _, err := retry(func() (int, error) { return 0, unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR) }); err != nil {
		return d.fail("rmdir", name, err)
	}
	return nil
}

// Rename moves name in d to toName in to, replacing what is there as
// rename(2) does.
func (d *Dir) Rename(name string, to *Dir, toName string) error {
	if err := d.element("rename", name); err != nil {
		return err
	}
	if err := to.element("rename", toName); err != nil {
		return err
	}
	if _, err := retry(func() (int, error) { return 0, unix.Renameat(d.fd, name, to.fd, toName) }); err != nil {
		return &os.LinkError{Op: "rename", Old: d.Join(name), New: to.Join(toName), Err: err}
	}
	return nil
}

// RenameNoReplace moves name in d to toName in to, failing with EEXIST
// when toName exists. It returns ErrUnsupported where the system (or the
// file system) cannot do that in one step.
func (d *Dir) RenameNoReplace(name string, to *Dir, toName string) error {
	return d.rename2(name, to, toName, renameNoReplace)
}

// Exchange swaps name in d and toName in to in one step: at no instant
// is either name missing. It returns ErrUnsupported where the system (or
// the file system) cannot.
func (d *Dir) Exchange(name string, to *Dir, toName string) error {
	return d.rename2(name, to, toName, renameExchange)
}

func (d *Dir) rename2(name string, to *Dir, toName string, how renameHow) error {
	if err := d.element("rename", name); err != nil {
		return err
	}
	if err := to.element("rename", toName); err != nil {
		return err
	}
	err := renameat2(d.fd, name, to.fd, toName, how)
	if err == nil || err == ErrUnsupported {
		return err
	}
	return &os.LinkError{Op: "rename", Old: d.Join(name), New: to.Join(toName), Err: err}
}

// Chmod sets d's mode bits (PermBits) exactly, ignoring the umask.
func (d *Dir) Chmod(perm uint32) error {
	if _, err := retry(func() (int, error) { return 0, unix.Fchmod(d.fd, perm&PermBits) }); err != nil {
		return &fs.PathError{Op: "chmod", Path: d.path, Err: err}
	}
	return nil
}

// Chown sets d's owner and group.
func (d *Dir) Chown(uid, gid uint32) error {
	if _, err := retry(func() (int, error) { return 0, unix.Fchown(d.fd, int(uid), int(gid)) }); err != nil {
		return &fs.PathError{Op: "chown", Path: d.path, Err: err}
	}
	return nil
}

// Sync commits d's entries to stable storage.
func (d *Dir) Sync() error {
	if _, err := retry(func() (int, error) { return 0, unix.Fsync(d.fd) }); err != nil {
		return &fs.PathError{Op: "fsync", Path: d.path, Err: err}
	}
	return nil
}

// FileInfo describes the open file f.
func FileInfo(f *os.File) (Info, error) {
	info, err := statFD(int(f.Fd()))
	if err != nil {
		return Info{}, &fs.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	return info, nil
}

// TryLock takes an exclusive flock(2) lock on f without waiting and
// reports whether it got it. Closing f releases the lock.
func TryLock(f *os.File) (bool, error) {
	_, err := retry(func() (int, error) { return 0, unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) })
	switch err {
	case nil:
		return true, nil
	case unix.EWOULDBLOCK:
		return false, nil
	}
	return false, &fs.PathError{Op: "flock", Path: f.Name(), Err: err}
}

// Locked reports whether another open file description holds an
// exclusive flock(2) lock on f, without waiting and without keeping one.
func Locked(f *os.File) (bool, error) {
	fd := int(f.Fd())
	_, err := retry(func() (int, error) { return 0, unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) })
	switch err {
	case nil:
		return false, unix.Flock(fd, unix.LOCK_UN)
	case unix.EWOULDBLOCK:
		return true, nil
	}
	return false, &fs.PathError{Op: "flock", Path: f.Name(), Err: err}
}

func infoOf(st *unix.Stat_t) Info {
	info := Info{
		Perm:  uint32(st.Mode) & PermBits,
		Dev:   uint64(st.Dev),
		Ino:   uint64(st.Ino),
		Nlink: uint64(st.Nlink),
		UID:   st.Uid,
		GID:   st.Gid,
		Size:  st.Size,
	}
	info.Type = typeOf(uint32(st.Mode))
	return info
}

// typeOf is the kind of entry a mode describes.
func typeOf(mode uint32) Type {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return Regular
	case unix.S_IFDIR:
		return Directory
	case unix.S_IFLNK:
		return Symlink
	}
	return Other
}

// fstatat describes name in the directory dirfd, not following a link;
// statFD describes the open file fd.
func fstatat(dirfd int, name string) (Info, error) {
	var st unix.Stat_t
	_, err := retry(func() (int, error) { return 0, unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	return infoOf(&st), err
}

func fstat(fd int) (Info, error) {
	var st unix.Stat_t
	_, err := retry(func() (int, error) { return 0, unix.Fstat(fd, &st) })
	return infoOf(&st), err
}

// retry repeats a call the system interrupted.
func retry(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != unix.EINTR {
			return n, err
		}
	}
}
