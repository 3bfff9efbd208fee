package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// run is one write of a tree, done holding its lock.
type run struct {
	parent *dirfd.Dir
	names  siblings
	dir    string // the tree's absolute path, for messages
	lock   *lock
	left   leftovers
}

// write reads the tree, works out the new one, stages it, swaps it in
// and retires the previous one. Up to the swap an error leaves the tree as
// it was; after, what fails goes into r.left.
func (r *run) write(files []File) error {
	live, err := openTree(r.parent, r.names.base, r.dir)
	if err != nil {
		return err
	}
	var old *oldTree
	var oldRoot *dirfd.Info
	if live != nil {
		defer live.Close()
		if old, err = scanTree(live); err != nil {
			return err
		}
		if err := old.checkRemovable(r.dir); err != nil {
			return err
		}
		oldRoot = &old.root
	}
	root, err := makePlan(r.dir, old, files)
	if err != nil {
		return err
	}
	id := newID()
	// Recorded before it is made, so that it goes at the next run
	// whenever this one is killed.
	if err := r.lock.setRecord(r.lock.rec.with(recEntry{role: roleNew, name: r.names.staging(id)})); err != nil {
		return err
	}
	staged, linked, err := stage(r.parent, r.names.staging(id), live, root)
	if err == nil {
		err = at("staged")
	}
	if err != nil {
		return r.undo(id, fmt.Errorf("cannot write the new tree: %w", err))
	}
	verify := func() error {
		if err := old.verify(live); err != nil {
			return err
		}
		return at("verified")
	}
	aside, err := swap(r.parent, r.names, id, staged, oldRoot, r.lock, verify)
	if err != nil {
		return r.undo(id, err)
	}
	// From here on the new tree is in place; what fails is left over.
	r.swapped(aside, oldRoot, linked)
	return nil
}

// swapped finishes a write whose new tree is in place: the previous tree,
// aside ("" if there was none) with root old, is retired, and recorded
// as kept if something is left in it. Until then the record of the swap
// stands, and names it as the previous tree: a kill meanwhile leaves it
// to the next run to retire.
func (r *run) swapped(aside string, old *dirfd.Info, linked map[string]dirfd.Info) {
	rec := r.lock.rec.without(roleNew).without(roleOld)
	if err := r.parent.Sync(); err != nil {
		r.left.add(nil, err)
	}
	_ = at("swapped")
	if aside != "" && !r.retire(aside, linked) {
		rec = rec.with(recEntry{role: roleKept, name: aside, id: identOf(*old)})
	}
	r.left.add(nil, r.lock.setRecord(rec))
}

// retire retires the previous tree aside, and reports whether it is gone.
func (r *run) retire(aside string, linked map[string]dirfd.Info) bool {
	tree, err := r.parent.OpenDir(r.names.base)
	if err != nil {
		r.left.add([]string{r.parent.Join(aside)}, err)
		return false
	}
	defer tree.Close()
	paths, err := retire(r.parent, aside, tree, linked)
	r.left.add(paths, err)
	return len(paths) == 0 && err == nil
}

// undo removes the staging tree of a write that failed before the swap.
func (r *run) undo(id string, err error) error {
	if errors.Is(err, errTreeAside) {
		return err // the record says which tree goes back
	}
	err = fmt.Errorf("%w; %s is unchanged", err, r.dir)
	if rerr := removeTree(r.parent, r.names.staging(id)); rerr != nil {
		return fmt.Errorf("%w (the half-written tree beside it goes at the next run: %v)", err, rerr)
	}
	if rerr := r.lock.setRecord(r.lock.rec.without(roleNew)); rerr != nil {
		return fmt.Errorf("%w (and the lock file could not be updated: %v)", err, rerr)
	}
	return err
}

// openTree opens the tree at base in parent, or returns nil if there is
// none yet. It must be a real directory: a link there is refused, not
// followed, so that what is replaced is what the path names.
func openTree(parent *dirfd.Dir, base, dir string) (*dirfd.Dir, error) {
	info, err := parent.Lstat(base)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case info.Type == dirfd.Symlink:
		target, _ := parent.Readlink(base)
		hint := ""
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			hint = " (" + real + ")"
		}
		return nil, fmt.Errorf("%s is a symbolic link to %s; give the real path%s: meshrender replaces the directory a path names as a whole and does not write through links", dir, target, hint)
	case info.Type != dirfd.Directory:
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	d, err := parent.OpenDir(base)
	if err != nil {
		return nil, err
	}
	if _, err := d.Lstat(".git"); err == nil {
		d.Close()
		return nil, fmt.Errorf("%s is the root of a Git work tree; write into a directory inside it", dir)
	}
	return d, nil
}
