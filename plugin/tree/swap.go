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
	appeared := fmt.Errorf("%s appeared while meshrender wrote it; run again", parent.Join(n.base))
	if old == nil {
		err := parent.RenameNoReplace(stagingName, parent, n.base)
		if err == dirfd.ErrUnsupported {
			if _, err := parent.Lstat(n.base); !errors.Is(err, fs.ErrNotExist) {
				return "", appeared
			}
			err = parent.Rename(stagingName, parent, n.base)
		}
		if errors.Is(err, fs.ErrExist) {
			return "", appeared
		}
		return "", err
	}
	if cur, err := parent.Lstat(n.base); err != nil || !cur.SameFile(*old) {
		return "", fmt.Errorf("%s was replaced while meshrender wrote it; run again", parent.Join(n.base))
	}
	retiredName := n.retired(id)
	if !forceRenames {
		aside, err := exchange(parent, n, stagingName, retiredName, staged, lk)
		if err != dirfd.ErrUnsupported {
			return aside, err
		}
	}
	return renameTwice(parent, n, stagingName, retiredName)
}

// exchange swaps the staging tree and the tree in one step, so the tree
// is never missing, then gives the previous tree, which now has the
// staging tree's name, the name retiredName. Meanwhile the lock file
// records the staging tree's inode: after a kill, recoverStale tells by
// it which of the two trees the staging name holds.
func exchange(parent *dirfd.Dir, n siblings, stagingName, retiredName string, staged dirfd.Info, lk *lock) (string, error) {
	if err := lk.setRecord(swapRecord{name: stagingName, dev: staged.Dev, ino: staged.Ino}); err != nil {
		return "", err
	}
	if err := parent.Exchange(stagingName, parent, n.base); err != nil {
		lk.clearRecord() // a record left here only names a staging tree
		return "", err
	}
	_ = at("exchanged")
	if err := parent.Rename(stagingName, parent, retiredName); err != nil {
		// Retire it where it is. The record must outlive this run, in
		// case something is kept there: it is what tells the next run
		// that stagingName holds a previous tree.
		lk.keep = true
		return stagingName, nil
	}
	lk.clearRecord() // now it names a staging tree that no longer exists
	return retiredName, nil
}

// renameTwice is the swap where names cannot be exchanged: the tree is
// moved aside, then the staging tree takes its name. Between the two the
// tree is missing; after a kill there, recoverStale puts the previous
// one back.
func renameTwice(parent *dirfd.Dir, n siblings, stagingName, retiredName string) (string, error) {
	if err := parent.Rename(n.base, parent, retiredName); err != nil {
		return "", err
	}
	err := at("moved-aside")
	if err == nil {
		err = parent.Rename(stagingName, parent, n.base)
	}
	if err != nil {
		if rerr := parent.Rename(retiredName, parent, n.base); rerr != nil {
			return "", fmt.Errorf("%w; the previous tree is at %s, and goes back at the next run", err, parent.Join(retiredName))
		}
		return "", err
	}
	return retiredName, nil
}
