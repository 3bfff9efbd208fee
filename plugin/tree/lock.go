package tree

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// DefaultLockWait is how long Write waits for another run on the same
// directory to finish.
const DefaultLockWait = 5 * time.Second

// lock is the flock(2) lock that serializes the runs on one directory. It
// is held on a file beside the tree, never inside it. The file also holds
// the run's record (see record), and is removed when a run ends with an
// empty one, so a finished run leaves nothing behind. A killed run leaves
// the file, and the system drops its lock.
type lock struct {
	parent *dirfd.Dir
	name   string
	f      *os.File
	info   dirfd.Info
	names  siblings
	rec    record // what the file holds
	size   int    // how many bytes it holds
}

// acquireLock takes the lock for dir, whose lock file is names.lock() in
// parent, waiting up to wait for another run to release it.
func acquireLock(parent *dirfd.Dir, names siblings, dir string, wait time.Duration) (*lock, error) {
	deadline := time.Now().Add(wait)
	pause := 5 * time.Millisecond
	for {
		l, err := tryLock(parent, names)
		if l != nil || err != nil {
			return l, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another run is writing %s: it holds the lock on %s; waited %v: try again when it has finished", dir, parent.Join(names.lock()), wait)
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// tryLock takes the lock if it is free, returning nil, nil if it is not.
func tryLock(parent *dirfd.Dir, names siblings) (*lock, error) {
	name := names.lock()
	// Only this user may read or write it: its record is what the next
	// run acts on.
	f, err := parent.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if info, lerr := parent.Lstat(name); lerr == nil && info.Type != dirfd.Regular {
			return nil, fmt.Errorf("%s is not meshrender's lock file, which must be a plain file: move it away", parent.Join(name))
		}
		return nil, fmt.Errorf("cannot open the lock file: %w", err)
	}
	l := &lock{parent: parent, name: name, f: f, names: names}
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
	if err := l.check(); err != nil {
		f.Close()
		return nil, err
	}
	if l.rec, err = l.read(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// check makes sure the lock file is one this user made and only this
// user may write, so that its record can be trusted. An empty one of
// this user's, as earlier versions left, is made private.
func (l *lock) check() error {
	path := l.parent.Join(l.name)
	switch {
	case l.info.Nlink != 1: // then writing a record would change another file
		return fmt.Errorf("%s is not meshrender's lock file: it has other hard links; move it away", path)
	case l.info.UID != uint32(os.Geteuid()):
		return fmt.Errorf("%s belongs to user %d, not to this one: meshrender trusts only a lock file of its own user's; if no run of that user is writing %s, remove it", path, l.info.UID, l.parent.Join(l.names.base))
	case l.info.Perm&0o022 == 0:
		return nil
	case l.info.Size == 0:
		return l.f.Chmod(0o600)
	}
	return fmt.Errorf("%s may be written by other users (mode %#o), so meshrender cannot trust what it holds: if no run is writing %s, remove it", path, l.info.Perm, l.parent.Join(l.names.base))
}

// release removes the lock file unless its record is needed, then drops
// the lock: in that order, so a run waiting on this file sees that it is
// gone and takes a new one.
func (l *lock) release() {
	if cur, err := l.parent.Lstat(l.name); err == nil && cur.SameFile(l.info) && len(l.rec) == 0 {
		l.parent.Unlink(l.name)
	}
	l.f.Close()
}

// read returns the record in the lock file.
func (l *lock) read() (record, error) {
	data, err := io.ReadAll(io.NewSectionReader(l.f, 0, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("cannot read the lock file: %w", err)
	}
	l.size = len(data)
	rec, ok := parseRecord(l.names, string(data))
	if !ok {
		return nil, fmt.Errorf("%s does not hold what meshrender writes in its lock file: move it away", l.parent.Join(l.name))
	}
	return rec, nil
}

// setRecord stores r in the lock file, durably, unless it holds r already.
// It is one write over all the file held, padded with blank lines, never
// a truncation first: a kill at any instant leaves the old record or the
// new one, not none. An empty record is not written: the file is removed
// when the run ends, and until then what it holds names only trees that
// are gone, which recovery passes over.
func (l *lock) setRecord(r record) error {
	if len(r) == 0 {
		l.rec = nil
		return nil
	}
	if slices.Equal(r, l.rec) {
		return nil
	}
	data := r.format()
	if pad := l.size - len(data); pad > 0 {
		data = append(data, bytes.Repeat([]byte{'\n'}, pad)...)
	}
	if _, err := l.f.WriteAt(data, 0); err != nil {
		return err
	}
	l.size = len(data)
	if err := l.f.Sync(); err != nil {
		return &fs.PathError{Op: "fsync", Path: l.f.Name(), Err: err}
	}
	l.rec = r
	return nil
}
