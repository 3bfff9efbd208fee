package tree

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// A node is one entry of the tree to build.
type node struct {
	name     string
	kind     nodeKind
	old      *dirfd.Info // the existing entry it keeps; nil for a new one
	data     []byte      // a generated file's content
	children []*node     // a directory's entries, sorted by name
}

type nodeKind uint8

const (
	dirNode  nodeKind = iota // a directory, made anew with the old one's mode
	linkNode                 // a person's entry, hard-linked as it is
	fileNode                 // a generated file, or the manifest
)

// makePlan works out the new tree for dir: the directories of the old
// one, but for those that only held owned files no longer written; every
// entry a person put there, as it is; the generated files and the
// manifest. It fails, naming the path, where a generated file would
// replace what the writer does not own or would be written through a
// link, and at FIFOs, sockets and devices, which it does not carry over.
// old is nil when there is no tree yet.
func makePlan(dir string, old *oldTree, files []File) (*node, error) {
	root := &node{kind: dirNode}
	dirs := map[string]*node{".": root}
	if old != nil {
		root.old = &old.root
		for _, f := range files {
			if err := old.check(dir, f.Path); err != nil {
				return nil, err
			}
		}
		// Sorted, so a directory comes before what it holds.
		for _, p := range slices.Sorted(maps.Keys(old.entries)) {
			info := old.entries[p]
			switch {
			case p == ManifestName, info.Type == dirfd.Regular && old.owned[p]:
				continue // rewritten, replaced or removed
			case info.Type == dirfd.Other:
				return nil, fmt.Errorf("%s is not a regular file, directory or symbolic link but a FIFO, socket or device, which meshrender does not carry into a new tree: move it out of %s", dirPath(dir, p), dir)
			}
			n := &node{name: path.Base(p), kind: linkNode, old: &info}
			if info.Type == dirfd.Directory {
				n.kind = dirNode
				dirs[p] = n
			}
			parent := dirs[path.Dir(p)]
			parent.children = append(parent.children, n)
		}
	}
	var paths []string
	written := map[string]bool{}
	for _, f := range files {
		parent := mkdirs(dirs, path.Dir(f.Path))
		parent.children = append(parent.children, &node{name: path.Base(f.Path), kind: fileNode, data: f.Data})
		paths = append(paths, f.Path)
		written[f.Path] = true
	}
	root.children = append(root.children, &node{name: ManifestName, kind: fileNode, data: formatManifest(paths)})
	if old != nil {
		pruneEmptied(dirs, old.owned, written)
	}
	sortChildren(root)
	return root, nil
}

// mkdirs returns the directory node for d, adding new ones as needed.
func mkdirs(dirs map[string]*node, d string) *node {
	if n, ok := dirs[d]; ok {
		return n
	}
	parent := mkdirs(dirs, path.Dir(d))
	n := &node{name: path.Base(d), kind: dirNode}
	parent.children = append(parent.children, n)
	dirs[d] = n
	return n
}

// pruneEmptied drops the directories of owned files no longer written
// when nothing else is left in them, and their parents likewise: a
// directory a person made stays, even when empty.
func pruneEmptied(dirs map[string]*node, owned, written map[string]bool) {
	var emptied []string
	for p := range owned {
		if !written[p] {
			for d := range ancestors(p) {
				emptied = append(emptied, d)
			}
		}
	}
	// Deepest first, so a parent is tried after its children.
	slices.SortFunc(emptied, func(a, b string) int {
		if d := strings.Count(b, "/") - strings.Count(a, "/"); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, d := range slices.Compact(emptied) {
		if n, ok := dirs[d]; ok && len(n.children) == 0 {
			parent := dirs[path.Dir(d)]
			parent.children = slices.DeleteFunc(parent.children, func(c *node) bool { return c == n })
			delete(dirs, d)
		}
	}
}

func sortChildren(n *node) {
	slices.SortFunc(n.children, func(a, b *node) int { return strings.Compare(a.name, b.name) })
	for _, c := range n.children {
		sortChildren(c)
	}
}

// dirPath is the path of p, slash-separated, inside dir.
func dirPath(dir, p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
