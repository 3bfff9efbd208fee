package tree

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/meshrender/meshrender/internal/testfiles"
)

// plant makes, beside out, what another user who may write in its parent
// (a shared /tmp) could: a folder with the writer's names for a previous
// or a staging tree, holding a file, owned by that user (nobody, when
// the test runs as root) and open to all.
func plant(t *testing.T, parent, name string) string {
	t.Helper()
	p := filepath.Join(parent, name)
	mustWrite(t, filepath.Join(p, "0000-evil.yaml"), "kind: ClusterRoleBinding\n", 0o666)
	for _, q := range []string{p, filepath.Join(p, "0000-evil.yaml")} {
		if err := os.Chmod(q, 0o777); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 {
			if err := os.Chown(q, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
	}
	return p
}

func TestPlantedTreesBesideTheTreeAreNeverAdopted(t *testing.T) {
	for _, c := range []struct {
		name, planted string
		tree          bool // a tree is there already
	}{
		{"previous tree, no tree yet", ".out.old-00000000deadbeef", false},
		{"previous tree, a tree", ".out.old-00000000deadbeef", true},
		{"staging tree, a tree", ".out.new-00000000deadbeef", true},
		{"earlier version's previous tree, no tree yet", ".out.new-7.old", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			if c.tree {
				if err := Write(out, files("a.yaml")); err != nil {
					t.Fatal(err)
				}
			}
			planted := plant(t, parent, c.planted)
			before := state(t, planted)
			err := Write(out, files("a.yaml"))
			var left *LeftoverError
			if !errors.As(err, &left) || !slices.Contains(left.Paths, planted) {
				t.Errorf("err = %v, want a LeftoverError naming %s", err, planted)
			}
			if got := keys(testfiles.Read(t, out)); got != ".meshrender-files a.yaml" {
				t.Errorf("the tree holds %s", got)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if sys := st.Sys().(*syscall.Stat_t); int(sys.Uid) != os.Geteuid() || st.Mode().Perm() == 0o777 {
				t.Errorf("the tree is owned by %d with mode %v: the planted folder was adopted", sys.Uid, st.Mode())
			}
			if d := diffState(before, state(t, planted)); d != "" {
				t.Errorf("the planted folder was changed:\n%s", d)
			}
		})
	}
}

// TestAPlantedPreviousTreeIsNotMergedIntoAnotherUsersTree is the case of a
// user's tree in a shared directory (as /tmp, sticky and open to all), in
// which another user plants a previous tree: its file must not be moved
// into the tree, and the warning names it. Run as root, the tree is
// nobody's and the planted folder root's.
func TestAPlantedPreviousTreeIsNotMergedIntoAnotherUsersTree(t *testing.T) {
	w := newWriter(t)
	shared := filepath.Join(w.base, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(shared, "out")
	if err := w.write(out, "a.yaml"); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(shared, ".out.old-00000000deadbeef")
	mustWrite(t, filepath.Join(planted, "0000-evil.yaml"), "kind: ClusterRoleBinding\n", 0o644)
	if err := os.Chmod(planted, 0o777); err != nil { // so any user may move its files
		t.Fatal(err)
	}
	before := state(t, planted)
	err := w.write(out, "a.yaml")
	if err == nil || !strings.Contains(err.Error(), planted) {
		t.Errorf("err = %v, want a warning naming %s", err, planted)
	}
	if got := keys(testfiles.Read(t, out)); got != ".meshrender-files a.yaml" {
		t.Errorf("the tree holds %s", got)
	}
	if d := diffState(before, state(t, planted)); d != "" {
		t.Errorf("the planted folder was changed:\n%s", d)
	}
}
