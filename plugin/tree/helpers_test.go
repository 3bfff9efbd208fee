package tree

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// state describes every entry under dir (dir included, as ".") by what
// lstat says and what it holds, so that two states are equal only when
// nothing was changed, moved, replaced or re-created (ctime aside).
func state(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = describe(t, p, fi)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// describe is one line of state: type and mode, inode, links, owner, size,
// mtime, and the content or link target. Directories leave out size and
// mtime, which change whenever an entry is added or removed.
func describe(t *testing.T, p string, fi os.FileInfo) string {
	t.Helper()
	st := fi.Sys().(*syscall.Stat_t)
	s := fmt.Sprintf("%v ino=%d nlink=%d uid=%d gid=%d", fi.Mode(), uint64(st.Ino), uint64(st.Nlink), st.Uid, st.Gid)
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			t.Fatal(err)
		}
		s += " -> " + target
	case fi.Mode().IsRegular():
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf(" size=%d mtime=%d %q", fi.Size(), fi.ModTime().UnixNano(), data)
	case fi.IsDir():
		s = fmt.Sprintf("%v uid=%d gid=%d", fi.Mode(), st.Uid, st.Gid)
	}
	return s
}

// diffState lists the entries that differ between two states.
func diffState(a, b map[string]string) string {
	var out []string
	for p, s := range a {
		if b[p] != s {
			out = append(out, fmt.Sprintf("  %s:\n    was %s\n    now %s", p, s, b[p]))
		}
	}
	for p, s := range b {
		if _, ok := a[p]; !ok {
			out = append(out, fmt.Sprintf("  %s: new %s", p, s))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// mustWrite writes a file, making its directory.
func mustWrite(t *testing.T, p, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}

// checkSame fails t for each of paths whose state (see state) differs
// between before and after.
func checkSame(t *testing.T, before, after map[string]string, paths []string) {
	t.Helper()
	for _, p := range paths {
		if after[p] != before[p] {
			t.Errorf("%s is not the same:\n  was %s\n  now %s", p, before[p], after[p])
		}
	}
}

// onlyBeside fails t unless parent holds the entries want, sorted, and
// nothing more: no staging tree, previous tree or lock file left beside
// the tree.
func onlyBeside(t *testing.T, parent string, want ...string) {
	t.Helper()
	if got := names(t, parent); !slices.Equal(got, want) {
		t.Errorf("left beside the tree: %v", got)
	}
}

// names lists dir's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// newTree writes paths into out, a tree in a fresh parent directory.
func newTree(t *testing.T, paths ...string) (parent, out string) {
	t.Helper()
	parent = t.TempDir()
	out = filepath.Join(parent, "out")
	if err := Write(out, files(paths...)); err != nil {
		t.Fatal(err)
	}
	return parent, out
}
