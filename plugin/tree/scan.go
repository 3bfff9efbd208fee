package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// oldTree is what the existing tree holds, as read without following
// links: a link is an entry like any other, never a way into elsewhere.
type oldTree struct {
	root    dirfd.Info
	entries map[string]dirfd.Info // by slash-separated path; not the root
	targets map[string]string     // link targets, for messages
	owned   map[string]bool       // what the manifest lists
}

// scanTree reads the tree open at root.
func scanTree(root *dirfd.Dir) (*oldTree, error) {
	info, err := root.Stat()
	if err != nil {
		return nil, err
	}
	owned, err := readManifest(root)
	if err != nil {
		return nil, err
	}
	t := &oldTree{root: info, entries: map[string]dirfd.Info{}, targets: map[string]string{}, owned: owned}
	return t, t.read(root, "", 0)
}

func (t *oldTree) read(d *dirfd.Dir, rel string, depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("%s is more than %d directories deep, deeper than meshrender reads", d.Path(), maxDepth)
	}
	names, err := d.Names()
	if err != nil {
		return err
	}
	for _, name := range names {
		info, err := d.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since it was listed
		}
		if err != nil {
			return err
		}
		if !info.SameMount(t.root) {
			return mountError(d.Join(name))
		}
		if info.Type == dirfd.Regular && isLockName(name, names) && lockHeld(d, name) {
			return &nestedRunError{lock: d.Join(name)}
		}
		p := path.Join(rel, name)
		t.entries[p] = info
		switch info.Type {
		case dirfd.Symlink:
			if t.targets[p], err = d.Readlink(name); err != nil {
				return asChanged(err, d.Join(name))
			}
		case dirfd.Directory:
			sub, err := d.OpenDir(name)
			if err != nil {
				return asChanged(err, d.Join(name))
			}
			err = t.read(sub, p, depth+1)
			sub.Close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// check says why the generated file p cannot go where the tree at dir has
// something else: a link on the way or at p, a file of a person's, a
// directory. A file the manifest owns is replaced, or dropped to make
// room for a directory.
func (t *oldTree) check(dir, p string) error {
	full := func(q string) string { return dirPath(dir, q) }
	for a := range ancestors(p) {
		info, ok := t.entries[a]
		switch {
		case !ok || info.Type == dirfd.Directory || info.Type == dirfd.Regular && t.owned[a]:
		case info.Type == dirfd.Symlink:
			return fmt.Errorf("%s is a symbolic link (to %s) where meshrender needs a directory, for %s; it does not write through links: replace the link with a directory, or move it away", full(a), t.targets[a], full(p))
		default:
			return fmt.Errorf("%s is in the way of %s, which meshrender writes: it is not a directory and meshrender did not write it; move it away", full(a), full(p))
		}
	}
	info, ok := t.entries[p]
	switch {
	case !ok || info.Type == dirfd.Regular && t.owned[p]:
		return nil
	case info.Type == dirfd.Symlink:
		return fmt.Errorf("%s is a symbolic link (to %s) where meshrender writes a file; it does not write through links: remove the link, or move it away", full(p), t.targets[p])
	case info.Type == dirfd.Directory:
		return fmt.Errorf("%s is a directory where meshrender writes a file; move it away", full(p))
	}
	return fmt.Errorf("%s was not written by meshrender; move it away before writing", full(p))
}

// ancestors yields the directories above p, outermost first: "a", "a/b"
// for "a/b/c".
func ancestors(p string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for i := 0; i < len(p); i++ {
			if p[i] == '/' && !yield(p[:i]) {
				return
			}
		}
	}
}

// checkRemovable makes sure the tree at dir can be removed once replaced:
// a directory this user may not empty would be left beside the new tree.
func (t *oldTree) checkRemovable(dir string) error {
	check := func(p string, info dirfd.Info) error {
		if mayEmpty(info) {
			return nil
		}
		return fmt.Errorf("%s belongs to user %d and this user may not remove files from it, so the previous tree could not be removed after the swap: make it writable for this user, or run as its owner", dirPath(dir, p), info.UID)
	}
	if err := check(".", t.root); err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(t.entries)) {
		if info := t.entries[p]; info.Type == dirfd.Directory {
			if err := check(p, info); err != nil {
				return err
			}
		}
	}
	return nil
}
