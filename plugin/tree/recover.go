package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// errUnproven is why the writer leaves alone what has its names beside
// the tree but no record of its own names.
var errUnproven = errors.New("no record of this user's runs names them: anyone who may write there may have made them, so meshrender never uses them")

// recoverStale puts right what earlier runs left beside the tree, going
// by the record in the lock file alone (see record). If the tree is
// missing (a kill between two renames), the previous tree goes back. A
// staging tree is removed: it holds only generated files and links to
// files that are in the tree. Previous trees are retired, keeping what
// may be a person's. Anything else with the writer's names is left alone
// and reported. What is left goes into left; an error means the tree is
// missing and could not be put back, or the lock file is not the
// writer's.
func recoverStale(parent *dirfd.Dir, n siblings, lk *lock, left *leftovers) error {
	rec := lk.rec
	if err := undoExchange(parent, n, rec); err != nil {
		return err
	}
	old, hasOld := rec.get(roleOld)
	if _, err := parent.Lstat(n.base); errors.Is(err, fs.ErrNotExist) && hasOld && isRecorded(parent, old) {
		if err := parent.Rename(old.name, parent, n.base); err != nil {
			return fmt.Errorf("%s is missing and its previous tree is at %s, but it cannot be moved back: %w", parent.Join(n.base), parent.Join(old.name), err)
		}
		rec = rec.without(roleOld)
	}
	var kept record
	if e, ok := rec.get(roleNew); ok && isRecorded(parent, e) {
		if err := removeTree(parent, e.name); err != nil {
			// Retired from now on, which keeps more, never less.
			kept = append(kept, recEntry{role: roleKept, name: e.name, id: e.id})
			left.add([]string{parent.Join(e.name)}, err)
		}
	}
	kept = append(kept, retireRecorded(parent, n, rec, left)...)
	if err := lk.setRecord(kept); err != nil {
		return err
	}
	return reportUnproven(parent, n, kept, left)
}

// retireRecorded retires the previous trees rec names, and returns the
// entries of those that still hold something.
func retireRecorded(parent *dirfd.Dir, n siblings, rec record, left *leftovers) record {
	var kept record
	tree, _ := parent.OpenDir(n.base) // nil: retire keeps all but owned files
	if tree != nil {
		defer tree.Close()
	}
	for _, e := range rec {
		if e.role == roleNew || !isRecorded(parent, e) {
			continue
		}
		paths, err := retire(parent, e.name, tree, nil)
		left.add(paths, err)
		if len(paths) > 0 || err != nil {
			kept = append(kept, recEntry{role: roleKept, name: e.name, id: e.id})
		}
	}
	return kept
}

// undoExchange finishes the swap of a run killed between the exchange and
// the rename after it: the tree is then the recorded new one, and the
// staging name holds the previous tree, which gets its recorded name.
func undoExchange(parent *dirfd.Dir, n siblings, rec record) error {
	staged, hasNew := rec.get(roleNew)
	old, hasOld := rec.get(roleOld)
	if !hasNew || !hasOld || staged.id == (ident{}) {
		return nil
	}
	live, err := parent.Lstat(n.base)
	if err != nil || !staged.id.is(live) {
		return nil
	}
	if info, err := parent.Lstat(staged.name); err != nil || !old.id.is(info) {
		return nil
	}
	if err := parent.Rename(staged.name, parent, old.name); err != nil {
		return fmt.Errorf("cannot move the previous tree of %s aside: %w", parent.Join(n.base), err)
	}
	return nil
}

// isRecorded reports whether e's name holds the directory e stands for.
func isRecorded(parent *dirfd.Dir, e recEntry) bool {
	info, err := parent.Lstat(e.name)
	return err == nil && e.id.is(info)
}

// reportUnproven adds to left what has the writer's names beside the tree
// but is not in the record, kept.
func reportUnproven(parent *dirfd.Dir, n siblings, kept record, left *leftovers) error {
	all, err := parent.Names()
	if err != nil {
		return err
	}
	var paths []string
	for _, name := range all {
		if n.kind(name) != notOurs && !slices.Contains(kept.names(), name) {
			paths = append(paths, parent.Join(name))
		}
	}
	if len(paths) > 0 {
		left.add(paths, errUnproven)
	}
	return nil
}
