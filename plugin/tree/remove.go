package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// removeTree removes name in parent with all it holds, never following a
// link, and making each directory writable before emptying it, so that a
// read-only one does not stop it. It is only for what is wholly the
// writer's: a staging tree. Previous trees are retired instead.
func removeTree(parent *dirfd.Dir, name string) error {
	info, err := parent.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.Type != dirfd.Directory {
		return parent.Unlink(name)
	}
	d, err := parent.OpenDir(name)
	if err != nil {
		return err
	}
	err = emptyDir(d, info, info, 0)
	d.Close()
	if err != nil {
		return err
	}
	return parent.Rmdir(name)
}

// emptyDir removes what d, described by info, holds; root describes the
// top of the tree, whose mount it never leaves.
func emptyDir(d *dirfd.Dir, info, root dirfd.Info, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s is more than %d directories deep, deeper than meshrender writes: remove it by hand", d.Path(), maxDepth)
	}
	if err := makeWritable(d, info); err != nil {
		return err
	}
	names, err := d.Names()
	if err != nil {
		return err
	}
	for _, name := range names {
		info, err := d.Lstat(name)
		if err != nil {
			return err
		}
		if !info.SameMount(root) {
			return mountError(d.Join(name))
		}
		if info.Type != dirfd.Directory {
			if err := d.Unlink(name); err != nil {
				return err
			}
			continue
		}
		sub, err := d.OpenDir(name)
		if err != nil {
			return err
		}
		err = emptyDir(sub, info, root, depth+1)
		sub.Close()
		if err != nil {
			return err
		}
		if err := d.Rmdir(name); err != nil {
			return err
		}
	}
	return nil
}

// mountError says why the writer will not go into p.
func mountError(p string) error {
	return fmt.Errorf("%s is a mount point; meshrender replaces the tree as a whole and cannot carry a mount into the new one, nor remove what is on it: unmount it, or move it out of the tree", p)
}

// makeWritable lets this user add and remove entries in d.
func makeWritable(d *dirfd.Dir, info dirfd.Info) error {
	if info.Perm&0o700 == 0o700 {
		return nil
	}
	return d.Chmod(info.Perm | 0o700)
}

// mayEmpty reports whether this user may remove entries from a directory
// described by info, by its mode or by changing the mode.
func mayEmpty(info dirfd.Info) bool {
	euid := os.Geteuid()
	if euid == 0 || uint32(euid) == info.UID {
		return true
	}
	bits := info.Perm // other's, unless the group is one of ours
	if groups, _ := os.Getgroups(); uint32(os.Getegid()) == info.GID || slices.Contains(groups, int(info.GID)) {
		bits >>= 3
	}
	return bits&0o3 == 0o3
}
