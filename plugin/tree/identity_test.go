package tree

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPeoplesFilesStayTheSameFiles(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := Write(out, files("crds/a.yaml", "gateways/z1/gw.yaml", "gateways/z2/gw.yaml")); err != nil {
		t.Fatal(err)
	}
	// A person's files: one private and old, one hard-linked from outside
	// the tree, a link, a read-only directory with a file in it.
	mustWrite(t, filepath.Join(out, "README.md"), "mine", 0o600)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(out, "README.md"), old, old); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(parent, "elsewhere", "notes.txt"), "shared", 0o644)
	if err := os.Link(filepath.Join(parent, "elsewhere", "notes.txt"), filepath.Join(out, "gateways", "z1", "notes.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("README.md", filepath.Join(out, "link")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(out, "docs", "ro.txt"), "read only", 0o444)
	if err := os.Chmod(filepath.Join(out, "docs"), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(out, "docs"), 0o755) })
	people := []string{"README.md", "gateways/z1/notes.txt", "link", "docs", "docs/ro.txt"}
	if os.Geteuid() == 0 {
		// Only root can give files away; then owners must stay too.
		for _, p := range people {
			if err := os.Lchown(filepath.Join(out, p), 1234, 5678); err != nil {
				t.Fatal(err)
			}
		}
		people = append(people, "gateways", "gateways/z1")
		if err := os.Chown(filepath.Join(out, "gateways"), 1234, 5678); err != nil {
			t.Fatal(err)
		}
	}
	before := state(t, out)
	// The same files, then one fewer.
	for _, fs := range [][]File{
		files("crds/a.yaml", "gateways/z1/gw.yaml", "gateways/z2/gw.yaml"),
		files("crds/a.yaml", "gateways/z1/gw.yaml"),
	} {
		if err := Write(out, fs); err != nil {
			t.Fatal(err)
		}
		checkSame(t, before, state(t, out), people)
	}
	if got := state(t, filepath.Join(parent, "elsewhere"))["notes.txt"]; got != before["gateways/z1/notes.txt"] {
		t.Errorf("the other link of a hard-linked file changed: %s", got)
	}
}
