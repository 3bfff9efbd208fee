package tree

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// File is one generated file.
type File struct {
	// Path is slash-separated and relative to the directory.
	Path string
	Data []byte
}

// Options adjusts Write; the zero value gives the defaults.
type Options struct {
	// LockWait is how long to wait for another run writing the same
	// directory: zero means DefaultLockWait, a negative value not at all.
	LockWait time.Duration
	// Root, when set, is a directory dir must be below, such as a Git
	// checkout: every directory from Root down to dir is then opened one
	// element at a time, never through a symbolic link, and made if
	// missing, so nothing is written outside Root. Root's own path is
	// resolved as given. Without Root, dir's parent is made if missing
	// and its path resolved once, links included.
	Root string
}

func (o Options) lockWait() time.Duration {
	switch {
	case o.LockWait == 0:
		return DefaultLockWait
	case o.LockWait < 0:
		return 0
	}
	return o.LockWait
}

// Write is Options{}.Write.
func Write(dir string, files []File) error { return Options{}.Write(dir, files) }

// Write makes dir hold files, as the package documentation describes.
// Files the previous write listed and this one does not are removed, with
// directories they leave empty; files not listed are kept as they are.
// dir must not be a Git work tree's root, nor hold the working
// directory: it is replaced as a whole. An error other than a
// *LeftoverError means dir is as it was.
func (o Options) Write(dir string, files []File) error {
	if !dirfd.Supported {
		return fmt.Errorf("tree: cannot write %s: %s lacks the system calls (openat, linkat, flock) meshrender needs to write a tree safely", dir, runtime.GOOS)
	}
	if err := checkFiles(files); err != nil {
		return err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	parentPath := filepath.Dir(dir)
	if parentPath == dir {
		return fmt.Errorf("%s is the root directory; write into a directory below it", dir)
	}
	if wd, err := os.Getwd(); err == nil && (wd == dir || strings.HasPrefix(wd, dir+string(filepath.Separator))) {
		return fmt.Errorf("%s holds the working directory, and the writer replaces it as a whole; write into a directory below it", dir)
	}
	// The parent's path is resolved here, once; from now on every name is
	// one element relative to it, and no link is followed.
	parent, err := o.openParent(dir)
	if err != nil {
		return err
	}
	defer parent.Close()
	names := siblingsOf(filepath.Base(dir))
	lk, err := acquireLock(parent, names, dir, o.lockWait())
	if err != nil {
		return err
	}
	defer lk.release()
	r := run{parent: parent, names: names, dir: dir, lock: lk}
	if err := recoverStale(parent, names, lk, &r.left); err != nil {
		return err
	}
	if err := r.write(files); err != nil {
		return r.left.with(err)
	}
	return r.left.err(dir)
}
