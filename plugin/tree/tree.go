package tree

import (
	"errors"
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
	names := siblingsOf(filepath.Base(dir))
	deadline := time.Now().Add(o.lockWait())
	parent, lk, err := o.lock(dir, names, deadline)
	if err != nil {
		return err
	}
	defer parent.Close()
	defer lk.release()
	r := run{parent: parent, names: names, dir: dir, lock: lk}
	if err := recoverStale(parent, names, lk, &r.left); err != nil {
		return err
	}
	if err := r.writeAgainOnChange(files, deadline); err != nil {
		return r.left.with(err)
	}
	return r.left.err(dir)
}

// lock opens dir's parent and takes the lock for dir, waiting until
// deadline for another run on dir, or on a tree that holds it, to finish.
// Such a run would swap dir's parent away from under this one: this run
// waits for it before it opens the parent, and lets go and waits again
// if one took its lock meanwhile. A run on a tree that holds dir that
// starts later finds this run's lock in its tree and waits in turn (see
// nestedRunError).
func (o Options) lock(dir string, names siblings, deadline time.Time) (*dirfd.Dir, *lock, error) {
	for {
		for _, p := range enclosingLocks(dir) {
			if err := waitUnlocked(p, deadline); err != nil {
				return nil, nil, err
			}
		}
		// The parent's path is resolved here, once; from now on every
		// name is one element relative to it, and no link is followed.
		parent, err := o.openParent(dir)
		if err != nil {
			return nil, nil, err
		}
		lk, err := acquireLock(parent, names, dir, time.Until(deadline))
		if err != nil {
			parent.Close()
			return nil, nil, err
		}
		if enclosingRun(dir) == "" {
			return parent, lk, nil
		}
		lk.release()
		parent.Close()
	}
}

// writeAgainOnChange is r.write, started over when a person changed the
// tree meanwhile (up to maxAttempts times in all) or a run writing a tree
// inside it was found (waiting for it until deadline).
func (r *run) writeAgainOnChange(files []File, deadline time.Time) error {
	for attempt := 1; ; {
		err := r.write(files)
		var changed *changedError
		var nested *nestedRunError
		switch {
		case errors.As(err, &nested):
			werr := waitUnlocked(nested.lock, deadline)
			if werr == nil && time.Now().After(deadline) {
				werr = fmt.Errorf("runs kept writing trees inside it, the last holding the lock on %s", nested.lock)
			}
			if werr != nil {
				return fmt.Errorf("cannot write %s: %w; %s is unchanged", r.dir, werr, r.dir)
			}
		case !errors.As(err, &changed):
			return err
		case attempt == maxAttempts:
			return fmt.Errorf("%s changed while meshrender wrote it, %d times in a row (the last time, %s): run again when nobody is changing it; %s is unchanged", r.dir, attempt, changed, r.dir)
		default:
			attempt++
		}
	}
}
