package tree

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/meshrender/meshrender/internal/testfiles"
)

func TestParallelRunsKeepPeoplesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	fs := files("crds/a.yaml", "gateways/z1/gw.yaml")
	if err := Write(dir, fs); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "USER.txt"), "mine", 0o644)
	tries := 20 // the previous code lost the file in about a third
	if testing.Short() {
		tries = 10
	}
	for i := range tries {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j := range errs {
			wg.Go(func() { errs[j] = Write(dir, fs) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Errorf("try %d: %v", i, err)
			}
		}
		if data, err := os.ReadFile(filepath.Join(dir, "USER.txt")); err != nil || string(data) != "mine" {
			t.Fatalf("try %d: a person's file: %q, %v", i, data, err)
		}
	}
}

// holdLock takes the lock on path as another run would.
func holdLock(t *testing.T, path string) (release func()) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}

func TestASecondRunWaitsThenNamesTheLock(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	lockFile := filepath.Join(parent, ".out.lock")
	release := holdLock(t, lockFile)
	before := state(t, dir)
	err := Options{LockWait: 200 * time.Millisecond}.Write(dir, files("b.yaml"))
	if err == nil || !strings.Contains(err.Error(), lockFile) || !strings.Contains(err.Error(), "another run") {
		t.Errorf("err = %v, want one naming %s", err, lockFile)
	}
	if d := diffState(before, state(t, dir)); d != "" {
		t.Errorf("a run that did not get the lock changed the tree:\n%s", d)
	}
	// A run that finishes while the next one waits lets it in.
	time.AfterFunc(100*time.Millisecond, release)
	if err := (Options{LockWait: time.Minute}).Write(dir, files("b.yaml")); err != nil {
		t.Fatal(err)
	}
	onlyBeside(t, parent, "out")
}

func TestLockFileIsNeverInTheTree(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	for range 2 {
		if err := Write(dir, files("a.yaml")); err != nil {
			t.Fatal(err)
		}
	}
	if got := keys(testfiles.Read(t, dir)); got != ".meshrender-files a.yaml" {
		t.Errorf("tree: %s", got)
	}
	onlyBeside(t, parent, "out")
}

func TestCleanupAfterAKillMatchesNamesExactly(t *testing.T) {
	parent := t.TempDir()
	// A staging tree of "out[1]", which no record names: a glob would
	// read [1] as a character class and never match it.
	stale := filepath.Join(parent, ".out[1].new-123")
	mustWrite(t, filepath.Join(stale, "a.yaml"), "half written", 0o644)
	// The tree "ab" is aside while its own run swaps it in; a glob for
	// "a*" would take it for a previous tree of "a*" and move it there.
	aside := filepath.Join(parent, ".ab.new-5.old")
	mustWrite(t, filepath.Join(aside, "USER.txt"), "mine", 0o644)
	// And a staging tree of a tree called "out.new-1".
	other := filepath.Join(parent, ".out.new-1.new-2")
	mustWrite(t, filepath.Join(other, "a.yaml"), "x", 0o644)
	before := state(t, parent)
	var left *LeftoverError
	if err := Write(filepath.Join(parent, "out[1]"), files("a.yaml")); !errors.As(err, &left) || !slices.Equal(left.Paths, []string{stale}) {
		t.Errorf("out[1]: err = %v, want a LeftoverError naming %s", err, stale)
	}
	for _, base := range []string{"a*", "out"} {
		if err := Write(filepath.Join(parent, base), files("a.yaml")); err != nil {
			t.Fatal(err)
		}
	}
	after := state(t, parent)
	for p, s := range before {
		if after[p] != s {
			t.Errorf("writing out[1], a* and out changed %s", p)
		}
	}
	if got := keys(testfiles.Read(t, filepath.Join(parent, "a*"))); got != ".meshrender-files a.yaml" {
		t.Errorf("a*: %s", got)
	}
}

func TestALockFileThatIsNotTheWritersIsLeftAlone(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, lockFile string)
		want  string
	}{
		{"link", func(t *testing.T, lockFile string) {
			mustWrite(t, lockFile+"-target", "", 0o644)
			if err := os.Symlink(filepath.Base(lockFile)+"-target", lockFile); err != nil {
				t.Fatal(err)
			}
		}, "must be a plain file"},
		{"hard-linked", func(t *testing.T, lockFile string) {
			mustWrite(t, lockFile+"-other", "", 0o644)
			if err := os.Link(lockFile+"-other", lockFile); err != nil {
				t.Fatal(err)
			}
		}, "other hard links"},
		{"someone else's content", func(t *testing.T, lockFile string) {
			mustWrite(t, lockFile, "my notes", 0o644)
		}, "does not hold what meshrender writes"},
		{"writable by others", func(t *testing.T, lockFile string) {
			forgeRecord(t, lockFile, 0o666)
		}, "may be written by other users"},
		{"another user's", func(t *testing.T, lockFile string) {
			if os.Geteuid() != 0 {
				t.Skip("making another user's file needs root")
			}
			forgeRecord(t, lockFile, 0o600)
			if err := os.Chown(lockFile, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}, "belongs to user 65534"},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			lockFile := filepath.Join(parent, ".out.lock")
			c.setup(t, lockFile)
			before := state(t, parent)
			err := Write(filepath.Join(parent, "out"), files("a.yaml"))
			if err == nil || !strings.Contains(err.Error(), lockFile) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one naming %s and saying %q", err, lockFile, c.want)
			}
			if d := diffState(before, state(t, parent)); d != "" {
				t.Errorf("a refused write changed things:\n%s", d)
			}
		})
	}
}

// forgeRecord writes at lockFile, with mode perm, what the writer would
// record for a previous tree beside it, and plants that tree, with the
// identity recorded.
func forgeRecord(t *testing.T, lockFile string, perm os.FileMode) {
	t.Helper()
	tree := filepath.Join(filepath.Dir(lockFile), ".out.old-00000000deadbeef")
	mustWrite(t, filepath.Join(tree, "evil.yaml"), "kind: ClusterRoleBinding\n", 0o644)
	var st syscall.Stat_t
	if err := syscall.Lstat(tree, &st); err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf("meshrender old %s %d %d %d\n", filepath.Base(tree), st.Dev, st.Ino, st.Uid)
	mustWrite(t, lockFile, rec, perm)
	if err := os.Chmod(lockFile, perm); err != nil {
		t.Fatal(err)
	}
}

func TestAnotherProgramsLockFileInTheTreeIsNotARun(t *testing.T) {
	_, out := newTree(t, "a.yaml")
	// Held by some tool, beside nothing called "tool": not a writer's.
	release := holdLock(t, filepath.Join(out, ".tool.lock"))
	defer release()
	if err := (Options{LockWait: -1}).Write(out, files("a.yaml", "b.yaml")); err != nil {
		t.Fatal(err)
	}
}
