package tree

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// retire removes a previous tree, name in parent, now that live holds the
// new one; live is nil when there is no usable tree (then nothing can be
// compared or put back, and only owned files go). It removes only what it
// can tell is not lost by that: the files its own manifest listed, and
// entries live holds too at the same path, as the same inode (people's
// files, linked into the new tree) or byte for byte. Anything else was
// added while a write ran: it is moved into live where that path is free;
// where linked (what this run linked, nil after a kill) shows the entry in
// live is the one the write linked, which the person then replaced, it
// goes over it. The rest is kept where it is and returned, by path, so
// retiring never loses a file; the tree is removed when nothing is left.
func retire(parent *dirfd.Dir, name string, live *dirfd.Dir, linked map[string]dirfd.Info) ([]string, error) {
	info, err := parent.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return []string{parent.Join(name)}, err
	}
	if info.Type != dirfd.Directory {
		return []string{parent.Join(name)}, nil // not the writer's to remove
	}
	old, err := parent.OpenDir(name)
	if err != nil {
		return []string{parent.Join(name)}, err
	}
	defer old.Close()
	owned, err := readManifest(old)
	if err != nil {
		owned = nil // then no file counts as owned: keep more, never less
	}
	r := retirer{owned: owned, linked: linked, root: info, linkedIn: byDir(linked)}
	kept, err := r.dir(old, info, live, "")
	if err != nil {
		return append(kept, parent.Join(name)), err
	}
	if len(kept) > 0 {
		return kept, nil
	}
	return nil, parent.Rmdir(name)
}

type retirer struct {
	owned    map[string]bool
	linked   map[string]dirfd.Info
	linkedIn map[string][]string // the names of linked, by directory
	root     dirfd.Info          // the retired tree's; what is on another mount is kept
}

// byDir indexes the paths of linked by their directory ("" for the top).
func byDir(linked map[string]dirfd.Info) map[string][]string {
	out := map[string][]string{}
	for p := range linked {
		dir := path.Dir(p)
		if dir == "." {
			dir = ""
		}
		out[dir] = append(out[dir], path.Base(p))
	}
	return out
}

// dir empties old, at rel in the retired tree, against live, the same
// directory in the new tree or nil, and returns what it kept.
func (r *retirer) dir(old *dirfd.Dir, info dirfd.Info, live *dirfd.Dir, rel string) ([]string, error) {
	if err := makeWritable(old, info); err != nil {
		return nil, err
	}
	names, err := old.Names()
	if err != nil {
		return nil, err
	}
	if live != nil {
		r.dropDeleted(live, rel, names)
	}
	// The manifest goes last: after a kill, it is what still tells which
	// of the files left are the writer's.
	if i := slices.Index(names, ManifestName); rel == "" && i >= 0 {
		names = append(slices.Delete(names, i, i+1), ManifestName)
	}
	var kept []string
	for _, name := range names {
		p := path.Join(rel, name)
		k, err := r.entry(old, live, name, p)
		kept = append(kept, k...)
		if err != nil {
			return kept, err
		}
	}
	if len(kept) > 0 { // it stays, holding a person's files: as it was
		return kept, old.Chmod(info.Perm)
	}
	return nil, nil
}

// dropDeleted removes from live, the directory at rel in the new tree,
// the people's files this run linked into it that are no longer in old,
// which holds names: a person deleted or moved them in the instant
// between the last check and the swap, and the new tree would bring them
// back. Only a name that is still the file linked goes; a file moved
// within old reaches live by its new name.
func (r *retirer) dropDeleted(live *dirfd.Dir, rel string, names []string) {
	for _, name := range r.linkedIn[rel] {
		if _, found := slices.BinarySearch(names, name); found {
			continue
		}
		if cur, err := live.Lstat(name); err == nil && cur.SameFile(r.linked[path.Join(rel, name)]) {
			_ = live.Unlink(name) // if it fails, the file stays: nothing is lost
		}
	}
}

// entry deals with name, at p, in old.
func (r *retirer) entry(old, live *dirfd.Dir, name, p string) ([]string, error) {
	info, err := old.Lstat(name)
	if err != nil {
		return nil, err
	}
	var there *dirfd.Info
	if live != nil {
		if li, err := live.Lstat(name); err == nil {
			there = &li
		}
	}
	if !info.SameMount(r.root) {
		// Not the tree's: a mount is never emptied, moved or removed.
		return []string{old.Join(name)}, mountError(old.Join(name))
	}
	if info.Type == dirfd.Directory {
		return r.subdir(old, live, name, p, info, there)
	}
	if r.disposable(old, live, name, p, info, there) {
		_ = at("retire " + p)
		return nil, old.Unlink(name)
	}
	if live != nil {
		if there == nil {
			if err := moveNoReplace(old, name, live, name, info); err == nil {
				return nil, nil
			}
		} else if lk, ok := r.linked[p]; ok && there.SameFile(lk) {
			// The person replaced the file after it was linked: theirs wins.
			if err := old.Rename(name, live, name); err == nil {
				return nil, nil
			}
		}
	}
	return []string{old.Join(name)}, nil
}

// subdir empties the directory name; if something is kept in it and live
// has nothing of that name, the directory moves there as it is.
func (r *retirer) subdir(old, live *dirfd.Dir, name, p string, info dirfd.Info, there *dirfd.Info) ([]string, error) {
	sub, err := old.OpenDir(name)
	if err != nil {
		return nil, err
	}
	var liveSub *dirfd.Dir
	if there != nil && there.Type == dirfd.Directory {
		if liveSub, err = live.OpenDir(name); err != nil {
			liveSub = nil
		}
	}
	kept, err := r.dir(sub, info, liveSub, p)
	sub.Close()
	if liveSub != nil {
		liveSub.Close()
	}
	switch {
	case err != nil:
		return kept, err
	case len(kept) == 0:
		_ = at("retire " + p)
		return nil, old.Rmdir(name)
	case live != nil && there == nil:
		if moveNoReplace(old, name, live, name, info) == nil {
			return nil, nil
		}
	}
	return kept, nil
}

// disposable reports whether removing name, at p, from the retired tree
// loses nothing.
func (r *retirer) disposable(old, live *dirfd.Dir, name, p string, info dirfd.Info, there *dirfd.Info) bool {
	switch {
	case info.Type == dirfd.Regular && (p == ManifestName || r.owned[p]):
		return true
	case there == nil:
		return false
	case there.SameFile(info):
		return true
	}
	return sameContent(old, live, name, info, *there)
}

// sameContent reports whether name in a and in b hold the same: the same
// link target, or regular files with the same bytes.
func sameContent(a, b *dirfd.Dir, name string, ai, bi dirfd.Info) bool {
	switch {
	case ai.Type != bi.Type:
		return false
	case ai.Type == dirfd.Symlink:
		atarget, aerr := a.Readlink(name)
		btarget, berr := b.Readlink(name)
		return aerr == nil && berr == nil && atarget == btarget
	case ai.Type != dirfd.Regular || ai.Size != bi.Size:
		return false
	}
	af, err := a.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	defer af.Close()
	bf, err := b.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	defer bf.Close()
	abuf, bbuf := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		an, aerr := io.ReadFull(af, abuf)
		bn, berr := io.ReadFull(bf, bbuf)
		if an != bn || !bytes.Equal(abuf[:an], bbuf[:bn]) {
			return false
		}
		if aerr != nil || berr != nil {
			return errors.Is(aerr, io.EOF) || errors.Is(aerr, io.ErrUnexpectedEOF)
		}
	}
}

// moveNoReplace moves name in from to toName in to, failing with an error
// that is fs.ErrExist rather than replacing anything there. info is the
// entry's, as lstat gave it.
func moveNoReplace(from *dirfd.Dir, name string, to *dirfd.Dir, toName string, info dirfd.Info) error {
	err := from.RenameNoReplace(name, to, toName)
	if err != dirfd.ErrUnsupported {
		return err
	}
	if info.Type != dirfd.Directory {
		// A link fails if the name is taken; then the old name goes.
		if err := from.Link(name, to, toName); err != nil {
			return err
		}
		return from.Unlink(name)
	}
	// A directory replaces only an empty one, which loses nothing.
	if _, err := to.Lstat(toName); !errors.Is(err, fs.ErrNotExist) {
		return fs.ErrExist
	}
	return from.Rename(name, to, toName)
}
