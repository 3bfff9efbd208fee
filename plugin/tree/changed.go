package tree

import (
	"errors"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// maxAttempts bounds how often a write starts over because people changed
// the tree while it ran.
const maxAttempts = 4

// A changedError is a change a person made to the tree while a write
// read it, staged the new one or was about to swap: the write starts
// over, so that the new tree carries the tree as it is now.
type changedError struct {
	path string // what changed
	what string // how, as in "was removed"
}

func (e *changedError) Error() string { return e.path + " " + e.what }

// asChanged turns the error of opening or reading what a scan listed into
// a changedError when it is gone or no longer a directory.
func asChanged(err error, p string) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP) {
		return &changedError{path: p, what: "was removed or replaced"}
	}
	return err
}

// verify makes sure the tree open at root holds what t read: an entry
// added, removed or replaced since is a *changedError. Generated files and
// the manifest are replaced whatever they hold, so for them only the
// kind counts.
func (t *oldTree) verify(root *dirfd.Dir) error {
	n, err := t.compare(root, "")
	if err != nil || n == len(t.entries) {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(t.entries)) {
		if !exists(root, p) {
			return &changedError{path: dirPath(root.Path(), p), what: "was removed"}
		}
	}
	return &changedError{path: root.Path(), what: "lost an entry"}
}

// compare checks the directory d, at rel in the tree, against t, and
// returns how many of t's entries it holds.
func (t *oldTree) compare(d *dirfd.Dir, rel string) (int, error) {
	names, err := d.Names()
	if err != nil {
		return 0, asChanged(err, d.Path())
	}
	seen := 0
	for _, name := range names {
		p := path.Join(rel, name)
		info, err := d.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since it was listed: the count tells
		}
		if err != nil {
			return 0, err
		}
		was, ok := t.entries[p]
		switch {
		case !ok:
			return 0, &changedError{path: d.Join(name), what: "was added"}
		case info.Type != was.Type || !t.replaced(p) && !info.SameFile(was):
			return 0, &changedError{path: d.Join(name), what: "was replaced"}
		}
		seen++
		if info.Type == dirfd.Directory {
			n, err := t.compareSub(d, name, p)
			if err != nil {
				return 0, err
			}
			seen += n
		}
	}
	return seen, nil
}

func (t *oldTree) compareSub(d *dirfd.Dir, name, p string) (int, error) {
	sub, err := d.OpenDir(name)
	if err != nil {
		return 0, asChanged(err, d.Join(name))
	}
	defer sub.Close()
	return t.compare(sub, p)
}

// replaced reports whether the write replaces p whatever it holds.
func (t *oldTree) replaced(p string) bool {
	return p == ManifestName || t.owned[p] && t.entries[p].Type == dirfd.Regular
}

// exists reports whether the slash-separated path p is in root, not
// following links.
func exists(root *dirfd.Dir, p string) bool {
	dir, name := path.Split(p)
	d := root
	for _, e := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if e == "" {
			continue
		}
		sub, err := d.OpenDir(e)
		if d != root {
			d.Close()
		}
		if err != nil {
			return false
		}
		d = sub
	}
	_, err := d.Lstat(name)
	if d != root {
		d.Close()
	}
	return err == nil
}
