package tree

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/meshrender/meshrender/internal/testfiles"
)

// people adds a person's files to out: a file, a file hard-linked with
// one in sentinel (a directory beside out), and a link. It returns their
// paths in out.
func people(t *testing.T, out, sentinel string) []string {
	t.Helper()
	mustWrite(t, filepath.Join(out, "USER.txt"), "mine", 0o600)
	mustWrite(t, filepath.Join(sentinel, "shared.txt"), "shared", 0o644)
	if err := os.Link(filepath.Join(sentinel, "shared.txt"), filepath.Join(out, "gw", "shared.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../USER.txt", filepath.Join(out, "gw", "link")); err != nil {
		t.Fatal(err)
	}
	return []string{"USER.txt", "gw/shared.txt", "gw/link"}
}

// expect is the content a complete write of fs gives, people's files
// (as they are now) included.
func expect(t *testing.T, out string, fs []File, people []string) map[string]string {
	t.Helper()
	want := map[string]string{}
	now := testfiles.Read(t, out)
	for _, p := range people {
		want[p] = now[p]
	}
	var paths []string
	for _, f := range fs {
		want[f.Path] = string(f.Data)
		paths = append(paths, f.Path)
	}
	want[ManifestName] = string(formatManifest(paths))
	return want
}

// killed runs cmd and fails t unless it died of SIGKILL.
func killed(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ws := exit.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestAKillAtAnyStepLeavesACompleteTree(t *testing.T) {
	oldFiles := files("a.yaml", "gw/z1.yaml", "gw/z2/gw.yaml")
	newPaths := []string{"a.yaml", "b.yaml", "gw/z1.yaml"}
	for _, c := range []struct {
		step    string
		renames bool
	}{
		{"write b.yaml", false}, {"staged", false}, {"exchanged", false}, {"swapped", false}, {"retire ", false},
		{"retire gw/z2/gw.yaml", false},
		{"write b.yaml", true}, {"moved-aside", true}, {"swapped", true}, {"retire ", true},
	} {
		name := c.step
		if c.renames {
			name += " (two renames)"
		}
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			out, sentinel := filepath.Join(parent, "out"), filepath.Join(parent, "sentinel")
			if err := Write(out, oldFiles); err != nil {
				t.Fatal(err)
			}
			ppl := people(t, out, sentinel)
			before := state(t, out)
			wantOld, wantNew := expect(t, out, oldFiles, ppl), expect(t, out, files(newPaths...), ppl)
			env := []string{"MESHRENDER_TREE_DIE_AT=" + c.step}
			if c.renames {
				env = append(env, "MESHRENDER_TREE_RENAMES=1")
			}
			killed(t, child(t, out, newPaths, env...))
			// Only two renames leave a moment without the tree; then the
			// next run puts the previous tree back.
			if c.step != "moved-aside" {
				if got := testfiles.Read(t, out); !maps.Equal(got, wantOld) && !maps.Equal(got, wantNew) {
					t.Errorf("after the kill the tree is neither the old nor the new one: %s", keys(got))
				}
			}
			if err := Write(out, files(newPaths...)); err != nil {
				t.Fatal(err)
			}
			if got := testfiles.Read(t, out); !maps.Equal(got, wantNew) {
				t.Errorf("the next run wrote %s, want %s", keys(got), keys(wantNew))
			}
			checkSame(t, before, state(t, out), ppl)
			onlyBeside(t, parent, "out", "sentinel")
		})
	}
}

func TestTheRightPreviousTreeGoesBack(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := Write(out, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	// A person's file that met a generated one during a write is kept
	// beside the tree, in a previous tree of its own.
	setHooks(t, false, func(step string) error {
		if step == "verified" {
			mustWrite(t, filepath.Join(out, "b.yaml"), "a person's b", 0o644)
		}
		return nil
	})
	var left *LeftoverError
	if err := Write(out, files("a.yaml", "b.yaml")); !errors.As(err, &left) {
		t.Fatalf("err = %v, want a LeftoverError", err)
	}
	testHook = nil
	// Then a run is killed between two renames: the tree is missing, and
	// there are two previous trees beside it.
	want := testfiles.Read(t, out)
	killed(t, child(t, out, []string{"a.yaml", "b.yaml", "c.yaml"}, "MESHRENDER_TREE_DIE_AT=moved-aside", "MESHRENDER_TREE_RENAMES=1"))
	if _, err := os.Lstat(out); !os.IsNotExist(err) {
		t.Fatalf("after a kill between two renames the tree is there: %v", err)
	}
	// The next run puts back the one the killed run moved aside.
	if err := Write(out, files("a.yaml", "b.yaml")); !errors.As(err, &left) {
		t.Fatalf("err = %v, want a LeftoverError for the person's b.yaml", err)
	}
	if got := testfiles.Read(t, out); !maps.Equal(got, want) {
		t.Errorf("tree: %s, want %s", keys(got), keys(want))
	}
	if data, err := os.ReadFile(left.Paths[0]); err != nil || string(data) != "a person's b" {
		t.Errorf("the person's b.yaml: %q, %v", data, err)
	}
}

func TestUnrecordedPreviousTreesAreReportedNotPutBack(t *testing.T) {
	// Earlier versions kept no record of which tree they moved aside, and
	// anyone who may write beside the tree can make such names.
	parent := t.TempDir()
	var aside []string
	for _, name := range []string{".out.new-1.old", ".out.new-2.old"} {
		mustWrite(t, filepath.Join(parent, name, "USER.txt"), name, 0o644)
		aside = append(aside, filepath.Join(parent, name))
	}
	before := state(t, parent)
	err := Write(filepath.Join(parent, "out"), files("a.yaml"))
	var left *LeftoverError
	if !errors.As(err, &left) || !slices.Equal(left.Paths, aside) {
		t.Errorf("err = %v, want a LeftoverError naming %v", err, aside)
	}
	if got := keys(testfiles.Read(t, filepath.Join(parent, "out"))); got != ".meshrender-files a.yaml" {
		t.Errorf("the tree holds %s", got)
	}
	after := state(t, parent)
	for p, s := range before {
		if after[p] != s {
			t.Errorf("%s changed", p)
		}
	}
}
