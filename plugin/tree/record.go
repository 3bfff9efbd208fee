package tree

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// A record is what the lock file holds between the steps of a run, and
// after a run that was killed or left something: the trees beside the
// tree that runs of this user made and have not finished with. It is the
// only thing that makes the writer use, move or remove anything beside
// the tree. The lock file is this user's, and only this user may write
// it (see lock.check); the names are random, and each tree's identity
// (device, inode, owner) is recorded with it. So a tree the record names
// and whose identity matches was made by a run of this user's: anything
// else of the writer's names may have been put there by someone else,
// and is left alone and reported.
type record []recEntry

// A recEntry is one line of a record:
//
//	meshrender <role> <name> <dev> <ino> <uid>
type recEntry struct {
	role string // one of the roles below
	name string // its name beside the tree
	id   ident
}

// The roles of a tree in a record.
const (
	// roleNew is a staging tree: its identity is zero until it is
	// complete, then the new tree's root, which after the exchange of a
	// killed run is the tree itself.
	roleNew = "new"
	// roleOld is the name the previous tree gets at the swap, and its
	// identity: the tree to put back if the tree is missing.
	roleOld = "old"
	// roleKept is a previous tree that still holds what may be a
	// person's; each run tries again to retire it.
	roleKept = "kept"
)

const recordTag = "meshrender"

// ident says which directory a name in a record stands for.
type ident struct {
	dev, ino uint64
	uid      uint32
}

func identOf(info dirfd.Info) ident { return ident{dev: info.Dev, ino: info.Ino, uid: info.UID} }

// is reports whether info describes the directory id stands for. The zero
// ident, of a staging tree not yet complete, stands for any directory of
// this user's: nobody else can make one, and nobody else can know the
// name before it is made.
func (id ident) is(info dirfd.Info) bool {
	if info.Type != dirfd.Directory {
		return false
	}
	if id == (ident{}) {
		return info.UID == uint32(os.Geteuid())
	}
	return identOf(info) == id
}

// get returns the entry of role.
func (r record) get(role string) (recEntry, bool) {
	i := slices.IndexFunc(r, func(e recEntry) bool { return e.role == role })
	if i < 0 {
		return recEntry{}, false
	}
	return r[i], true
}

// with returns r with e added.
func (r record) with(e recEntry) record { return append(slices.Clip(r), e) }

// without returns r without the entries of role.
func (r record) without(role string) record {
	return slices.DeleteFunc(slices.Clone(r), func(e recEntry) bool { return e.role == role })
}

// names lists the names r holds.
func (r record) names() []string {
	var out []string
	for _, e := range r {
		out = append(out, e.name)
	}
	return out
}

func (r record) format() []byte {
	var b []byte
	for _, e := range r {
		b = fmt.Appendf(b, "%s %s %s %d %d %d\n", recordTag, e.role, e.name, e.id.dev, e.id.ino, e.id.uid)
	}
	return b
}

// parseRecord reads a record of the tree n; ok is false when data is not
// one.
func parseRecord(n siblings, data string) (r record, ok bool) {
	for line := range strings.Lines(data) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue // the padding of a record shorter than the one before
		}
		if len(f) != 6 || f[0] != recordTag {
			return nil, false
		}
		e := recEntry{role: f[1], name: f[2]}
		kind := n.kind(e.name)
		switch {
		case e.role == roleNew && kind == staging:
		case (e.role == roleOld || e.role == roleKept) && kind != notOurs:
		default:
			return nil, false
		}
		dev, err1 := strconv.ParseUint(f[3], 10, 64)
		ino, err2 := strconv.ParseUint(f[4], 10, 64)
		uid, err3 := strconv.ParseUint(f[5], 10, 32)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, false
		}
		e.id = ident{dev: dev, ino: ino, uid: uint32(uid)}
		r = append(r, e)
	}
	return r, true
}
