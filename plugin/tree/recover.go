package tree

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// recoverStale puts right what a killed run left beside the tree: if the
// tree is missing and a previous one is aside, that goes back; staging
// trees and other previous trees are removed.
func recoverStale(parent *dirfd.Dir, n siblings) error {
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
		case staging:
			stale = append(stale, name)
		case retired:
			aside = append(aside, name)
		}
	}
	if _, err := parent.Lstat(n.base); errors.Is(err, fs.ErrNotExist) && len(aside) > 0 {
		if err := parent.Rename(aside[0], parent, n.base); err != nil {
			return fmt.Errorf("%s is missing and its previous tree is at %s, but it cannot be moved back: %w", parent.Join(n.base), parent.Join(aside[0]), err)
		}
		aside = aside[1:]
	}
	for _, name := range append(stale, aside...) {
		if err := removeTree(parent, name); err != nil {
			return err
		}
	}
	return nil
}
