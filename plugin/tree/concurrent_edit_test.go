package tree

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/internal/testfiles"
)

func TestFilesAddedDuringAWriteAreKept(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := Write(out, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(out, "README.md"), "first", 0o644)
	// While the next write runs, after it read the tree, a person adds
	// files, saves README.md as a new file, and puts a file where the
	// write is about to write one.
	setHooks(t, false, func(step string) error {
		if step != "staged" {
			return nil
		}
		mustWrite(t, filepath.Join(out, "late.txt"), "late", 0o644)
		mustWrite(t, filepath.Join(out, "newdir", "late.txt"), "late too", 0o644)
		mustWrite(t, filepath.Join(out, ".README.md.swp"), "second", 0o644)
		if err := os.Rename(filepath.Join(out, ".README.md.swp"), filepath.Join(out, "README.md")); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(out, "b.yaml"), "a person's b", 0o644)
		return nil
	})
	err := Write(out, files("a.yaml", "b.yaml"))
	testHook = nil
	var left *LeftoverError
	if !errors.As(err, &left) || len(left.Paths) != 1 || !strings.HasSuffix(left.Paths[0], "/b.yaml") {
		t.Fatalf("err = %v, want a LeftoverError naming b.yaml", err)
	}
	got := testfiles.Read(t, out)
	for p, want := range map[string]string{"late.txt": "late", "newdir/late.txt": "late too", "README.md": "second", "b.yaml": "content of b.yaml\n"} {
		if got[p] != want {
			t.Errorf("%s = %q, want %q", p, got[p], want)
		}
	}
	if data, err := os.ReadFile(left.Paths[0]); err != nil || string(data) != "a person's b" {
		t.Errorf("the person's b.yaml, left beside the tree: %q, %v", data, err)
	}
	// The next run keeps it too, and says so, until the person moves it.
	if err := Write(out, files("a.yaml", "b.yaml")); !errors.As(err, &left) {
		t.Errorf("the next run: %v", err)
	}
	if _, err := os.Stat(left.Paths[0]); err != nil {
		t.Errorf("the person's b.yaml is gone: %v", err)
	}
	if err := os.Remove(left.Paths[0]); err != nil {
		t.Fatal(err)
	}
	if err := Write(out, files("a.yaml", "b.yaml")); err != nil {
		t.Fatal(err)
	}
	onlyBeside(t, parent, "out")
}

func TestAPreviousTreeSetAsideIsRetiredWithoutLoss(t *testing.T) {
	// A run killed once the new tree is in place leaves the previous one
	// beside it, recorded, for the next run to retire.
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := Write(out, files("a.yaml", "gone.yaml")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(out, "README.md"), "mine", 0o644)
	killed(t, child(t, out, []string{"a.yaml", "gone.yaml"}, "MESHRENDER_TREE_DIE_AT=swapped"))
	aside, err := filepath.Glob(filepath.Join(parent, ".out.old-*"))
	if err != nil || len(aside) != 1 {
		t.Fatalf("beside the tree: %v, %v", aside, err)
	}
	// Only the tree aside has this one, which a person added meanwhile.
	mustWrite(t, filepath.Join(aside[0], "docs", "only-here.txt"), "only here", 0o644)
	if err := Write(out, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	got := testfiles.Read(t, out)
	if got["docs/only-here.txt"] != "only here" || got["README.md"] != "mine" {
		t.Errorf("tree: %s", keys(got))
	}
	if _, ok := got["gone.yaml"]; ok {
		t.Error("a file the manifest owned came back")
	}
	onlyBeside(t, parent, "out")
}
