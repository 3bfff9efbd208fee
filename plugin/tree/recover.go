package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// recoverStale puts right what killed runs left beside the tree. If the
// tree is missing (a kill between two renames), the previous tree set
// aside goes back. Staging trees are removed: they hold only generated
// files and links to files that are in the tree. Previous trees are
// retired, keeping what may be a person's. What cannot be removed goes
// into left; an error means the tree is missing and could not be put
// back, or the lock file is not the writer's.
func recoverStale(parent *dirfd.Dir, n siblings, lk *lock, left *leftovers) error {
	rec, hasRecord, err := lk.record()
	if err != nil {
		return err
	}
	if hasRecord && (n.kind(rec.staging) != staging || n.kind(rec.retired) != retired) {
		return fmt.Errorf("%s names trees that are not %s's: move it away", lk.f.Name(), parent.Join(n.base))
	}
	live, liveErr := parent.Lstat(n.base)
	if hasRecord && liveErr == nil && live.Dev == rec.dev && live.Ino == rec.ino {
		// A kill came between an exchange and the rename after it: the
		// staging name holds the previous tree. Name it for what it is.
		if _, err := parent.Lstat(rec.staging); err == nil {
			if err := parent.Rename(rec.staging, parent, rec.retired); err != nil {
				return fmt.Errorf("cannot move the previous tree of %s aside: %w", parent.Join(n.base), err)
			}
		}
	}
	stale, aside, err := leftBeside(parent, n)
	if err != nil {
		return err
	}
	if errors.Is(liveErr, fs.ErrNotExist) && len(aside) > 0 {
		back, err := whichGoesBack(parent, n, aside, rec, hasRecord)
		if err != nil {
			return err
		}
		if err := parent.Rename(back, parent, n.base); err != nil {
			return fmt.Errorf("%s is missing and its previous tree is at %s, but it cannot be moved back: %w", parent.Join(n.base), parent.Join(back), err)
		}
		aside = slices.DeleteFunc(aside, func(name string) bool { return name == back })
	}
	for _, name := range stale {
		if err := removeTree(parent, name); err != nil {
			left.add([]string{parent.Join(name)}, err)
		}
	}
	if len(aside) > 0 {
		// nil when it cannot be opened: with nothing to compare with,
		// retire keeps all but owned files.
		tree, _ := parent.OpenDir(n.base)
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

// leftBeside lists the staging trees and the previous trees beside the
// tree.
func leftBeside(parent *dirfd.Dir, n siblings) (stale, aside []string, err error) {
	all, err := parent.Names()
	if err != nil {
		return nil, nil, err
	}
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
	return stale, aside, nil
}

// whichGoesBack picks, of the previous trees aside, the one to put back
// when the tree is missing: the one the record names; without a record
// (earlier versions kept none), the only one.
func whichGoesBack(parent *dirfd.Dir, n siblings, aside []string, rec swapRecord, hasRecord bool) (string, error) {
	if hasRecord && slices.Contains(aside, rec.retired) {
		return rec.retired, nil
	}
	if len(aside) == 1 {
		return aside[0], nil
	}
	var paths []string
	for _, name := range aside {
		paths = append(paths, parent.Join(name))
	}
	return "", fmt.Errorf("%s is missing, and beside it are several previous trees: %s; move the right one back to %s", parent.Join(n.base), strings.Join(paths, ", "), parent.Join(n.base))
}
