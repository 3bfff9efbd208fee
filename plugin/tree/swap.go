package tree

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// swap puts the staging tree of id, whose root is staged, in place of the
// tree, and returns the name the previous tree now has beside it ("" when
// there was none). On error the tree is as it was, unless the record says
// otherwise: then it names the previous tree, which goes back at the
// next run. old is the previous tree's root as scanned, nil when there
// was none. verify, run last before the swap, makes sure the tree is
// still what the new one was made from.
func swap(parent *dirfd.Dir, n siblings, id string, staged dirfd.Info, old *dirfd.Info, lk *lock, verify func() error) (string, error) {
	stagingName := n.staging(id)
	if old == nil {
		// Nothing to swap with: the staging tree takes the name, unless
		// something took it first.
		err := moveNoReplace(parent, stagingName, parent, n.base, staged)
		if errors.Is(err, fs.ErrExist) {
			return "", &changedError{path: parent.Join(n.base), what: "appeared"}
		}
		return "", err
	}
	if cur, err := parent.Lstat(n.base); err != nil || !cur.SameFile(*old) {
		return "", &changedError{path: parent.Join(n.base), what: "was replaced"}
	}
	retired := n.retired(id)
	rec := lk.rec.without(roleNew).with(recEntry{role: roleNew, name: stagingName, id: identOf(staged)})
	if err := lk.setRecord(rec.with(recEntry{role: roleOld, name: retired, id: identOf(*old)})); err != nil {
		return "", err
	}
	if err := verify(); err != nil {
		return "", errors.Join(err, lk.setRecord(rec))
	}
	aside, err := "", dirfd.ErrUnsupported
	if !forceRenames {
		aside, err = exchange(parent, n.base, stagingName, retired)
	}
	if err == dirfd.ErrUnsupported {
		aside, err = renameTwice(parent, n.base, stagingName, retired)
	}
	if err == nil || errors.Is(err, errTreeAside) {
		return aside, err
	}
	// The tree is as it was: the previous tree is not aside.
	return "", errors.Join(err, lk.setRecord(rec))
}

// exchange swaps the staging tree and the tree in one step, so the tree
// is never missing, then renames the previous tree, which now has the
// staging tree's name, to retired. The record in the lock file covers
// the moment between: by it, recoverStale tells which of the two trees
// the staging name holds.
func exchange(parent *dirfd.Dir, base, staging, retired string) (string, error) {
	if err := parent.Exchange(staging, parent, base); err != nil {
		return "", err
	}
	_ = at("exchanged")
	if err := parent.Rename(staging, parent, retired); err != nil {
		return staging, nil // retired where it is, and recorded so
	}
	return retired, nil
}

// errTreeAside is the error of a swap that moved the tree aside and could
// not put it back.
var errTreeAside = errors.New("the previous tree is aside")

// renameTwice is the swap where names cannot be exchanged: the tree is
// moved aside to retired, then the staging tree takes its name. Between
// the two the tree is missing; after a kill there, recoverStale puts back
// the tree the record names.
func renameTwice(parent *dirfd.Dir, base, staging, retired string) (string, error) {
	if err := parent.Rename(base, parent, retired); err != nil {
		return "", err
	}
	err := at("moved-aside")
	if err == nil {
		err = parent.Rename(staging, parent, base)
	}
	if err != nil {
		if rerr := parent.Rename(retired, parent, base); rerr != nil {
			return "", fmt.Errorf("%w; %w at %s, and goes back at the next run", err, errTreeAside, parent.Join(retired))
		}
		return "", err
	}
	return retired, nil
}
