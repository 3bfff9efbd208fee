package tree

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// recoverStale puts right what killed runs left beside the tree. If the
// tree is missing (a kill between two renames) and a previous tree is
// aside, that goes back. Staging trees are removed: they hold only
// generated files and links to files that are in the tree. Previous
// trees are retired, keeping what may be a person's. What cannot be
// removed goes into left; an error means the tree is missing and could
// not be put back.
func recoverStale(parent *dirfd.Dir, n siblings, lk *lock, left *leftovers) error {
	live, liveErr := parent.Lstat(n.base)
	rec, hasRecord, err := lk.record()
	if err != nil {
		return err
	}
	if hasRecord && liveErr == nil && live.Dev == rec.dev && live.Ino == rec.ino && n.kind(rec.name) == staging {
		// A kill came between an exchange and the rename after it: the
		// staging name holds the previous tree. Name it for what it is.
		if _, err := parent.Lstat(rec.name); err == nil {
			if err := parent.Rename(rec.name, parent, n.retired(newID())); err != nil {
				return fmt.Errorf("cannot move the previous tree of %s aside: %w", parent.Join(n.base), err)
			}
		}
	}
	all, err := parent.Names()
	if err != nil {
		return err
	}
	var stale, aside []string
	for _, name := range all {
		info, err := parent.Lstat(name)
		if err != nil || info.Type != dirfd.Directory {
			continue // not something the writer made
		}
		switch n.kind(name) {
		case retired:
			aside = append(aside, name)
		case staging:
			stale = append(stale, name)
		}
	}
	if errors.Is(liveErr, fs.ErrNotExist) && len(aside) > 0 {
		if err := parent.Rename(aside[0], parent, n.base); err != nil {
			return fmt.Errorf("%s is missing and its previous tree is at %s, but it cannot be moved back: %w", parent.Join(n.base), parent.Join(aside[0]), err)
		}
		aside = aside[1:]
	}
	for _, name := range stale {
		if err := removeTree(parent, name); err != nil {
			left.add([]string{parent.Join(name)}, err)
		}
	}
	if len(aside) > 0 {
		tree, err := parent.OpenDir(n.base)
		if err != nil {
			tree = nil // nothing to compare with: retire keeps all but owned files
		}
		for _, name := range aside {
			left.add(retire(parent, name, tree, nil))
		}
		if tree != nil {
			tree.Close()
		}
	}
	if hasRecord {
		return lk.clearRecord()
	}
	return nil
}
