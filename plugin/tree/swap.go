package tree

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// swap puts the staging tree of id, whose root is staged, in place of the
// tree, and returns the name the previous tree now has beside it ("" when
// there was none). On error the tree is as it was. old is the previous
// tree's root as scanned, nil when there was none.
func swap(parent *dirfd.Dir, n siblings, id string, staged dirfd.Info, old *dirfd.Info, lk *lock) (string, error) {
	stagingName := n.staging(id)
	if old == nil {
		// Nothing to swap with: the staging tree takes the name, unless
		// something took it first.
		err := moveNoReplace(parent, stagingName, parent, n.base, staged)
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%s appeared while meshrender wrote it; run again", parent.Join(n.base))
		}
		return "", err
	}
	if cur, err := parent.Lstat(n.base); err != nil || !cur.SameFile(*old) {
		return "", fmt.Errorf("%s was replaced while meshrender wrote it; run again", parent.Join(n.base))
	}
	rec := swapRecord{staging: stagingName, retired: n.retired(id), dev: staged.Dev, ino: staged.Ino}
	if err := lk.setRecord(rec); err != nil {
		return "", err
	}
	aside, err := "", dirfd.ErrUnsupported
	if !forceRenames {
		aside, err = exchange(parent, n, rec, lk)
	}
	if err == dirfd.ErrUnsupported {
		aside, err = renameTwice(parent, n, rec, lk)
	}
	if !lk.keep {
		lk.clearRecord() // a record left now names trees that are gone
	}
	return aside, err
}

// exchange swaps the staging tree and the tree in one step, so the tree
// is never missing, then renames the previous tree, which now has the
// staging tree's name, to rec.retired. The record in the lock file
// covers the moment between: by it, recoverStale tells which of the two
// trees the staging name holds.
func exchange(parent *dirfd.Dir, n siblings, rec swapRecord, lk *lock) (string, error) {
	if err := parent.Exchange(rec.staging, parent, n.base); err != nil {
		return "", err
	}
	_ = at("exchanged")
	if err := parent.Rename(rec.staging, parent, rec.retired); err != nil {
		// Retire it where it is. The record must outlive this run, in
		// case something is kept there: it is what tells the next run
		// that the staging name holds a previous tree.
		lk.keep = true
		return rec.staging, nil
	}
	return rec.retired, nil
}

// renameTwice is the swap where names cannot be exchanged: the tree is
// moved aside to rec.retired, then the staging tree takes its name.
// Between the two the tree is missing; after a kill there, recoverStale
// puts back the tree the record names.
func renameTwice(parent *dirfd.Dir, n siblings, rec swapRecord, lk *lock) (string, error) {
	if err := parent.Rename(n.base, parent, rec.retired); err != nil {
		return "", err
	}
	err := at("moved-aside")
	if err == nil {
		err = parent.Rename(rec.staging, parent, n.base)
	}
	if err != nil {
		if rerr := parent.Rename(rec.retired, parent, n.base); rerr != nil {
			lk.keep = true // the record says which tree goes back
			return "", fmt.Errorf("%w; the previous tree is at %s, and goes back at the next run", err, parent.Join(rec.retired))
		}
		return "", err
	}
	return rec.retired, nil
}
