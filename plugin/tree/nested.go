package tree

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// A nestedRunError is a run of this package writing a tree inside the
// tree, found by its held lock file: the write waits for it to finish,
// then starts over, since that run changes the tree and works in its
// directories, which a swap would move away from under it.
type nestedRunError struct{ lock string }

func (e *nestedRunError) Error() string {
	return "another run is writing a tree inside it: it holds the lock on " + e.lock
}

// isLockName reports whether name, in a directory whose entries are
// names (sorted), may be a writer's lock file: .<base>.lock, with the
// tree <base> or a staging tree of it beside it.
func isLockName(name string, names []string) bool {
	base, ok := strings.CutSuffix(name, ".lock")
	if !ok || len(base) < 2 || base[0] != '.' {
		return false
	}
	base = base[1:]
	if _, found := slices.BinarySearch(names, base); found {
		return true
	}
	staging := siblingsOf(base).staging("")
	i, _ := slices.BinarySearch(names, staging)
	return i < len(names) && strings.HasPrefix(names[i], staging)
}

// lockHeld reports whether the lock file name in d is locked by a run.
func lockHeld(d *dirfd.Dir, name string) bool {
	f, err := d.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return false // not ours to tell; if it changes, verify sees it
	}
	defer f.Close()
	held, _ := dirfd.Locked(f)
	return held
}

// waitUnlocked waits until the lock file at p is not held, or is gone,
// until deadline.
func waitUnlocked(p string, deadline time.Time) error {
	pause := 5 * time.Millisecond
	for pathLocked(p) {
		if time.Now().After(deadline) {
			return fmt.Errorf("another run holds the lock on %s; waited for it until the lock wait ran out: try again when it has finished", p)
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
	return nil
}

// pathLocked reports whether a run holds the lock file at p.
func pathLocked(p string) bool {
	d, err := dirfd.OpenPath(filepath.Dir(p))
	if err != nil {
		return false
	}
	defer d.Close()
	return lockHeld(d, filepath.Base(p))
}

// enclosingLocks lists the lock files of the trees that would hold dir:
// those of its parent, its parent's parent, and so on.
func enclosingLocks(dir string) []string {
	var out []string
	for d := filepath.Dir(dir); filepath.Dir(d) != d; d = filepath.Dir(d) {
		out = append(out, filepath.Join(filepath.Dir(d), siblingsOf(filepath.Base(d)).lock()))
	}
	return out
}

// enclosingRun returns the lock file of a run writing a tree that holds
// dir, or "" when there is none.
func enclosingRun(dir string) string {
	for _, p := range enclosingLocks(dir) {
		if pathLocked(p) {
			return p
		}
	}
	return ""
}
