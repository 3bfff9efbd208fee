package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Limits on the paths of a tree, generated or read from a manifest: far
// beyond any generated tree, well inside what file systems allow.
const (
	maxPathLen = 4096 // bytes in a slash-separated path
	maxNameLen = 255  // bytes in one element
	maxDepth   = 128  // elements in a path, and directory levels read
)

// checkPath says why p cannot name a file in a tree, or returns nil. Every
// path the package acts on passes it: relative, clean, slash-separated,
// inside the tree, free of control characters, bounded.
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("is empty")
	case len(p) > maxPathLen:
		return fmt.Errorf("is longer than %d bytes", maxPathLen)
	case p[0] == '#':
		return errors.New("starts with #, which the manifest reads as a comment")
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }):
		// A newline would split the path in two in the manifest.
		return errors.New("holds a control character or a backslash")
	case p == "." || !fs.ValidPath(p):
		return errors.New("is not a clean slash-separated path inside the directory")
	}
	elems := strings.Split(p, "/")
	if len(elems) > maxDepth {
		return fmt.Errorf("is more than %d directories deep", maxDepth)
	}
	for _, e := range elems {
		if len(e) > maxNameLen {
			return fmt.Errorf("has an element longer than %d bytes", maxNameLen)
		}
	}
	return nil
}

// checkFiles rejects files that could not all be written: bad paths, the
// manifest's own name, two files at one path, a file where another needs
// a directory.
func checkFiles(files []File) error {
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if err := checkPath(f.Path); err != nil {
			return fmt.Errorf("tree: file path %q %v", f.Path, err)
		}
		if f.Path == ManifestName {
			return fmt.Errorf("tree: file path %q is the manifest's, which the writer keeps itself", f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("tree: two files at %q", f.Path)
		}
		seen[f.Path] = true
	}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			if seen[d] {
				return fmt.Errorf("tree: %q is a file and also the directory of %q", d, f.Path)
			}
		}
	}
	return nil
}
