package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// stage builds the tree planned in root as name in parent. People's
// entries are hard-linked from live, the existing tree (nil when there is
// none), so they stay the same files: inode, mode, owner, times, links.
// Directories are made anew with the old ones' modes and, where this user
// may set them, owners. It returns the new tree's root and what it
// linked, by path.
func stage(parent *dirfd.Dir, name string, live *dirfd.Dir, root *node) (dirfd.Info, map[string]dirfd.Info, error) {
	// Made with the mode a new directory gets, to learn what the umask
	// leaves, then closed to others until it is complete.
	if err := parent.Mkdir(name, 0o755); err != nil {
		return dirfd.Info{}, nil, err
	}
	d, err := parent.OpenDir(name)
	if err != nil {
		return dirfd.Info{}, nil, err
	}
	defer d.Close()
	// Where one syncfs(2) commits the whole staged tree, files and
	// directories are not synced one by one: a tree of thousands of
	// files is written in one flush instead of thousands.
	s := stager{linked: map[string]dirfd.Info{}, syncEach: !dirfd.SyncFSCommitsAll}
	if err := s.dir(d, live, root, ""); err != nil {
		return dirfd.Info{}, nil, err
	}
	if !s.syncEach {
		if err := d.SyncFS(); err != nil {
			return dirfd.Info{}, nil, err
		}
	}
	info, err := d.Stat()
	return info, s.linked, err
}

type stager struct {
	linked map[string]dirfd.Info
	// syncEach syncs every file and directory as it is made; otherwise
	// stage syncs the file system once, at the end.
	syncEach bool
}

// dir fills d, just made for n, from from (n's old directory, or nil),
// then gives d its final mode.
func (s *stager) dir(d, from *dirfd.Dir, n *node, rel string) error {
	info, err := d.Stat()
	if err != nil {
		return err
	}
	final := info.Perm // what a new directory gets
	if n.old != nil {
		final = n.old.Perm
		if err := keepOwner(d, info, *n.old); err != nil {
			return err
		}
	}
	if info.Perm != 0o700 {
		if err := d.Chmod(0o700); err != nil {
			return err
		}
	}
	for _, c := range n.children {
		if err := s.entry(d, from, c, path.Join(rel, c.name)); err != nil {
			return err
		}
	}
	if s.syncEach {
		if err := d.Sync(); err != nil {
			return err
		}
	}
	if final != 0o700 {
		return d.Chmod(final)
	}
	return nil
}

// entry makes c, at path p, in d.
func (s *stager) entry(d, from *dirfd.Dir, c *node, p string) error {
	switch c.kind {
	case fileNode:
		if err := at("write " + p); err != nil {
			return err
		}
		return writeFile(d, c.name, c.data, s.syncEach)
	case linkNode:
		if err := from.Link(c.name, d, c.name); err != nil {
			if now, lerr := from.Lstat(c.name); lerr != nil || !now.SameFile(*c.old) {
				return &changedError{path: from.Join(c.name), what: "was removed or replaced"}
			}
			return fmt.Errorf("cannot keep %s as it is (meshrender hard-links people's files into the new tree): %w", from.Join(c.name), err)
		}
		info, err := d.Lstat(c.name)
		s.linked[p] = info
		return err
	}
	perm := uint32(0o755)
	if c.old != nil {
		perm = 0o700
	}
	if err := d.Mkdir(c.name, perm); err != nil {
		return err
	}
	sub, err := d.OpenDir(c.name)
	if err != nil {
		return err
	}
	defer sub.Close()
	var subFrom *dirfd.Dir
	if c.old != nil {
		if subFrom, err = from.OpenDir(c.name); err != nil {
			return asChanged(err, from.Join(c.name))
		}
		defer subFrom.Close()
	}
	return s.dir(sub, subFrom, c, p)
}

// keepOwner gives d the owner and group of old where this user may; where
// it may not, d stays this user's.
func keepOwner(d *dirfd.Dir, have, old dirfd.Info) error {
	if have.UID == old.UID && have.GID == old.GID {
		return nil
	}
	if err := d.Chown(old.UID, old.GID); err != nil && !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return nil
}

// writeFile writes a new file, synced to stable storage with sync.
func writeFile(d *dirfd.Dir, name string, data []byte, sync bool) error {
	f, err := d.Create(name, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
