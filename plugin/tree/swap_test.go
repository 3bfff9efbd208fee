package tree

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// newRepo returns a writer and, in its base, a directory repo its user
// owns, with the path of a tree out in it, not made yet.
func newRepo(t *testing.T) (w *writer, parent, out string) {
	t.Helper()
	w = newWriter(t)
	parent = filepath.Join(w.base, "repo")
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	w.own()
	return w, parent, filepath.Join(parent, "out")
}

func TestReadOnlyDirectoriesDoNotWedgeLaterRuns(t *testing.T) {
	for _, c := range []struct {
		name  string
		modes map[string]os.FileMode
	}{
		{"the tree", map[string]os.FileMode{".": 0o555}},
		{"a person's directory", map[string]os.FileMode{"docs": 0o555}},
		{"a generated directory", map[string]os.FileMode{"gw": 0o500}},
		{"all", map[string]os.FileMode{".": 0o555, "docs": 0o555, "gw": 0o500}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, parent, out := newRepo(t)
			if err := w.write(out, "gw/a.yaml", "b.yaml"); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(out, "docs", "ro.txt"), "mine", 0o444)
			for p, m := range c.modes {
				if err := os.Chmod(filepath.Join(out, p), m); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() { makeAllWritable(out) })
			w.own()
			for i := range 3 {
				if err := w.write(out, "gw/a.yaml", "b.yaml", fmt.Sprintf("c%d.yaml", i)); err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
			}
			for p, m := range c.modes {
				if st, err := os.Stat(filepath.Join(out, p)); err != nil || st.Mode().Perm() != m {
					t.Errorf("%s: %v, %v; want mode %v", p, st.Mode(), err, m)
				}
			}
			if data, err := os.ReadFile(filepath.Join(out, "docs", "ro.txt")); err != nil || string(data) != "mine" {
				t.Errorf("a person's file: %q, %v", data, err)
			}
			onlyBeside(t, parent, "out")
		})
	}
}

func TestATreeTheWriterCannotRemoveIsRefusedBeforeTheSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making a directory another user owns needs root")
	}
	w, parent, out := newRepo(t)
	if err := w.write(out, "a.yaml"); err != nil {
		t.Fatal(err)
	}
	// Root's directory in nobody's tree: nobody may not empty it.
	theirs := filepath.Join(out, "theirs")
	mustWrite(t, filepath.Join(theirs, "f"), "root's", 0o644)
	before := state(t, parent)
	err := w.write(out, "a.yaml", "b.yaml")
	if err == nil || !strings.Contains(err.Error(), theirs+" belongs to user 0") {
		t.Errorf("err = %v", err)
	}
	if d := diffState(before, state(t, parent)); d != "" {
		t.Errorf("a refused write changed things:\n%s", d)
	}
}

func TestFailuresBeforeTheSwapLeaveTheTreeAsItWas(t *testing.T) {
	t.Run("read-only parent", func(t *testing.T) {
		w, parent, out := newRepo(t)
		if err := w.write(out, "a.yaml"); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(out, "mine.txt"), "mine", 0o644)
		w.own()
		if err := os.Chmod(parent, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(parent, 0o755) })
		before := state(t, parent)
		if err := w.write(out, "a.yaml", "b.yaml"); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("err = %v", err)
		}
		if d := diffState(before, state(t, parent)); d != "" {
			t.Errorf("a failed write changed things:\n%s", d)
		}
	})
}

func TestTheTreeIsNeverMissing(t *testing.T) {
	parent := t.TempDir()
	if !canExchange(t, parent) {
		t.Skip("this file system cannot exchange names; the writer falls back to two renames")
	}
	out := filepath.Join(parent, "out")
	sets := [][]File{files("a.yaml", "gw/z1.yaml"), files("a.yaml", "gw/z2.yaml")}
	if err := Write(out, sets[0]); err != nil {
		t.Fatal(err)
	}
	var missing atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := os.Lstat(filepath.Join(out, "a.yaml")); err != nil {
				missing.Add(1)
			}
		}
	})
	n := 60
	if testing.Short() {
		n = 20
	}
	for i := range n {
		if err := Write(out, sets[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if m := missing.Load(); m > 0 {
		t.Errorf("a reader found %s missing %d times in %d writes", filepath.Join(out, "a.yaml"), m, n)
	}
}
