package tree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// DefaultLockWait is how long Write waits for another run on the same
// directory to finish.
const DefaultLockWait = 5 * time.Second

// lock is the flock(2) lock that serializes the runs on one directory. It
// is held on a file beside the tree, never inside it, and the file is
// removed when the run ends, so a finished run leaves nothing behind. A
// killed run leaves the file, and the system drops its lock.
type lock struct {
	parent *dirfd.Dir
	name   string
	f      *os.File
	info   dirfd.Info
	keep   bool // the file holds a record the next run needs
}

// acquireLock takes the lock for dir, whose lock file is name in parent,
// waiting up to wait for another run to release it.
func acquireLock(parent *dirfd.Dir, name, dir string, wait time.Duration) (*lock, error) {
	deadline := time.Now().Add(wait)
	pause := 5 * time.Millisecond
	for {
		l, err := tryLock(parent, name)
		if l != nil || err != nil {
			return l, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another run is writing %s: it holds the lock on %s; waited %v: try again when it has finished", dir, parent.Join(name), wait)
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// tryLock takes the lock if it is free, returning nil, nil if it is not.
func tryLock(parent *dirfd.Dir, name string) (*lock, error) {
	f, err := parent.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		if info, lerr := parent.Lstat(name); lerr == nil && info.Type != dirfd.Regular {
			return nil, fmt.Errorf("%s is not meshrender's lock file, which must be a plain file: move it away", parent.Join(name))
		}
		return nil, fmt.Errorf("cannot open the lock file: %w", err)
	}
	l := &lock{parent: parent, name: name, f: f}
	ok, err := dirfd.TryLock(f)
	if err == nil && ok {
		l.info, err = dirfd.FileInfo(f)
	}
	if err != nil || !ok {
		f.Close()
		return nil, err
	}
	// The run that held the lock may have removed the file before letting
	// go; then the lock is on a file nobody else will look at.
	if cur, err := parent.Lstat(name); err != nil || !cur.SameFile(l.info) {
		f.Close()
		return nil, nil
	}
	if l.info.Nlink != 1 { // then writing a record would change another file
		f.Close()
		return nil, fmt.Errorf("%s is not meshrender's lock file: it has other hard links; move it away", parent.Join(name))
	}
	if _, _, err := l.record(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// release removes the lock file, then drops the lock: in that order, so a
// run waiting on this file sees that it is gone and takes a new one.
func (l *lock) release() {
	if cur, err := l.parent.Lstat(l.name); err == nil && cur.SameFile(l.info) && !l.keep {
		l.parent.Unlink(l.name)
	}
	l.f.Close()
}

// A swapRecord is what the lock file holds while a run swaps trees: the
// staging tree's name and inode, and the name the previous tree is to
// get. After a kill, it tells the next run whether an exchange took place
// (the tree is then the staging tree's inode, and the staging name holds
// the previous tree), and which tree to put back if the tree is missing.
type swapRecord struct {
	staging, retired string
	dev, ino         uint64
}

const recordTag = "meshrender swap"

// record returns the swap record in the lock file, if there is one.
func (l *lock) record() (swapRecord, bool, error) {
	data, err := io.ReadAll(io.NewSectionReader(l.f, 0, 4096))
	if err != nil {
		return swapRecord{}, false, fmt.Errorf("cannot read the lock file: %w", err)
	}
	if len(data) == 0 {
		return swapRecord{}, false, nil
	}
	bad := fmt.Errorf("%s does not hold what meshrender writes in its lock file: move it away", l.parent.Join(l.name))
	rest, ok := strings.CutPrefix(strings.TrimSuffix(string(data), "\n"), recordTag+" ")
	f := strings.Fields(rest)
	if !ok || len(f) != 4 {
		return swapRecord{}, false, bad
	}
	dev, err1 := strconv.ParseUint(f[2], 10, 64)
	ino, err2 := strconv.ParseUint(f[3], 10, 64)
	if errors.Join(err1, err2) != nil {
		return swapRecord{}, false, bad
	}
	return swapRecord{staging: f[0], retired: f[1], dev: dev, ino: ino}, true, nil
}

// setRecord stores r in the lock file, durably.
func (l *lock) setRecord(r swapRecord) error {
	return l.store(fmt.Appendf(nil, "%s %s %s %d %d\n", recordTag, r.staging, r.retired, r.dev, r.ino))
}

// clearRecord empties the lock file.
func (l *lock) clearRecord() error { return l.store(nil) }

func (l *lock) store(data []byte) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	if _, err := l.f.WriteAt(data, 0); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return &fs.PathError{Op: "fsync", Path: l.f.Name(), Err: err}
	}
	return nil
}
