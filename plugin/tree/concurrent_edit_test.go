package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshrender/meshrender/internal/testfiles"
)

func TestFilesAddedDuringAWriteAreKept(t *testing.T) {
	parent, out := newTree(t, "a.yaml")
	mustWrite(t, filepath.Join(out, "README.md"), "first", 0o644)
	// While the next write runs, after it made sure the tree is as it
	// read it and before the swap, a person adds files, saves README.md
	// as a new file, and puts a file where the write is about to write
	// one.
	setHooks(t, false, func(step string) error {
		if step != "verified" {
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
	parent, out := newTree(t, "a.yaml", "gone.yaml")
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

// once returns a hook that runs do the first time the write reaches step,
// in whichever attempt.
func once(step string, do func()) func(string) error {
	done := false
	return func(s string) error {
		if s == step && !done {
			done = true
			do()
		}
		return nil
	}
}

func TestAPersonsChangeDuringAWriteIsNotUndone(t *testing.T) {
	for _, c := range []struct {
		name, step string
		change     func(t *testing.T, out string)
		want       map[string]string // the person's files after, "" for none
	}{
		// a.yaml is written before tmp.swp is linked, staged after.
		{"a file deleted before it was linked", "write a.yaml", func(t *testing.T, out string) {
			remove(t, filepath.Join(out, "tmp.swp"))
		}, map[string]string{"tmp.swp": "", "README.md": "first"}},
		{"a file deleted after it was linked", "staged", func(t *testing.T, out string) {
			remove(t, filepath.Join(out, "tmp.swp"))
		}, map[string]string{"tmp.swp": "", "README.md": "first"}},
		{"a file saved by renaming another over it", "staged", func(t *testing.T, out string) {
			rename(t, filepath.Join(out, "tmp.swp"), filepath.Join(out, "README.md"))
		}, map[string]string{"tmp.swp": "", "README.md": "swap"}},
		// "verified": in the instant between the last check and the swap.
		{"a file deleted just before the swap", "verified", func(t *testing.T, out string) {
			remove(t, filepath.Join(out, "tmp.swp"))
		}, map[string]string{"tmp.swp": "", "README.md": "first"}},
		{"a file saved by rename just before the swap", "verified", func(t *testing.T, out string) {
			rename(t, filepath.Join(out, "tmp.swp"), filepath.Join(out, "README.md"))
		}, map[string]string{"tmp.swp": "", "README.md": "swap"}},
		{"a folder removed", "staged", func(t *testing.T, out string) {
			if err := os.RemoveAll(filepath.Join(out, "docs")); err != nil {
				t.Fatal(err)
			}
		}, map[string]string{"docs/notes.txt": "", "README.md": "first"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent, out := newTree(t, "a.yaml")
			mustWrite(t, filepath.Join(out, "README.md"), "first", 0o644)
			mustWrite(t, filepath.Join(out, "tmp.swp"), "swap", 0o644)
			mustWrite(t, filepath.Join(out, "docs", "notes.txt"), "notes", 0o644)
			setHooks(t, false, once(c.step, func() { c.change(t, out) }))
			if err := Write(out, files("a.yaml", "b.yaml")); err != nil {
				t.Fatal(err)
			}
			got := testfiles.Read(t, out)
			for p, want := range c.want {
				if got[p] != want {
					t.Errorf("%s: %q, want %q", p, got[p], want)
				}
			}
			if got["b.yaml"] != "content of b.yaml\n" {
				t.Errorf("tree: %s", keys(got))
			}
			onlyBeside(t, parent, "out")
		})
	}
}

func TestAFileAddedWhereTheWriteWritesOneFailsCleanly(t *testing.T) {
	parent, out := newTree(t, "a.yaml")
	setHooks(t, false, once("staged", func() {
		mustWrite(t, filepath.Join(out, "b.yaml"), "a person's b", 0o644)
	}))
	before := map[string]string{}
	err := Write(out, files("a.yaml", "b.yaml"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(out, "b.yaml")+" was not written by meshrender") {
		t.Errorf("err = %v, want one naming the person's b.yaml", err)
	}
	got := testfiles.Read(t, out)
	before["b.yaml"], before["a.yaml"] = "a person's b", "content of a.yaml\n"
	for p, want := range before {
		if got[p] != want {
			t.Errorf("%s: %q, want %q", p, got[p], want)
		}
	}
	onlyBeside(t, parent, "out")
}

func remove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// TestRunsWhileAPersonEdits runs writes while a person works in the tree
// as editors and shells do: saving a file by writing a swap file and
// renaming it over, appending to a file, adding files, making and
// deleting temporary ones. One round of edits is set off in each write,
// and races with the rest of it: the write starts over, and the next
// attempt should go through. A run may fail only saying the tree changed
// and what to do; after the person stops, one run must leave every edit
// as the person left it, no temporary file back, and nothing beside the
// tree.
func TestRunsWhileAPersonEdits(t *testing.T) {
	runs := 30
	if testing.Short() {
		runs = 15
	}
	parent, out := newTree(t, "a.yaml", "gw/b.yaml")
	sets := [][]File{files("a.yaml", "gw/b.yaml"), files("a.yaml", "gw/c.yaml")}
	mustWrite(t, filepath.Join(out, "README.md"), "saved 0", 0o644)
	mustWrite(t, filepath.Join(out, "docs", "log.txt"), "", 0o644)
	edit := make(chan struct{}, 1)
	var armed atomic.Bool // a round is due in this run
	var attempts atomic.Int64
	setHooks(t, false, func(step string) error {
		if step == "write a.yaml" {
			attempts.Add(1)
		}
		if strings.HasPrefix(step, "write ") && armed.CompareAndSwap(true, false) {
			edit <- struct{}{} // set off the round, without waiting for it
		}
		return nil
	})
	rounds := make(chan [2]int)
	go func() {
		n, raced := person(t, out, edit)
		rounds <- [2]int{n, raced}
	}()
	failed := 0
	for i := range runs {
		armed.Store(true)
		err := Write(out, sets[i%2])
		switch {
		case err != nil && strings.Contains(err.Error(), "run again when nobody is changing it"):
			failed++
		case err != nil:
			t.Errorf("run %d: %v", i, err)
		}
	}
	t.Logf("%d runs took %d attempts; %d met a change at every attempt, and said so", runs, attempts.Load(), failed)
	close(edit)
	r := <-rounds
	n, raced := r[0], r[1]
	testHook = nil
	if err := Write(out, sets[0]); err != nil {
		t.Fatalf("the run after the edits: %v", err)
	}
	got := testfiles.Read(t, out)
	want := map[string]string{"README.md": fmt.Sprintf("saved %d", n), "a.yaml": "content of a.yaml\n", "gw/b.yaml": "content of gw/b.yaml\n"}
	want["docs/log.txt"] = strings.Repeat("a line\n", n)
	for i := 1; i <= n; i++ {
		want[fmt.Sprintf("docs/%d.txt", i)] = "new"
	}
	want[ManifestName] = got[ManifestName]
	if raced > 0 {
		// A file made in the instant between the last check and the swap
		// goes into the old tree, and the person's next step, by path,
		// meets the new one: the writer carries the file over rather than
		// lose it, and the step finds it missing.
		t.Logf("%d rounds of edits met the instant before the swap", raced)
		for _, p := range []string{"README.md", ".README.md.swp", "scratch.tmp"} {
			delete(got, p)
			delete(want, p)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("after %d rounds of edits the tree is %s\nwant %s", n, keys(got), keys(want))
		for p, s := range want {
			if got[p] != s {
				t.Errorf("%s: %q, want %q", p, got[p], s)
			}
		}
	}
	onlyBeside(t, parent, "out")
}

// person edits out once each time edit receives, until it is closed, and
// returns how many rounds it made, and in how many a step met the
// instant before a swap (see TestRunsWhileAPersonEdits).
func person(t *testing.T, out string, edit <-chan struct{}) (n, raced int) {
	for range edit {
		n++
		swap := filepath.Join(out, ".README.md.swp")
		scratch := filepath.Join(out, "scratch.tmp")
		steps := []error{
			os.WriteFile(swap, fmt.Appendf(nil, "saved %d", n), 0o644),
			os.Rename(swap, filepath.Join(out, "README.md")),
			appendLine(filepath.Join(out, "docs", "log.txt")),
			os.WriteFile(filepath.Join(out, "docs", fmt.Sprintf("%d.txt", n)), []byte("new"), 0o644),
			os.WriteFile(scratch, []byte("scratch"), 0o644),
			os.Remove(scratch),
		}
		err := errors.Join(steps...)
		switch {
		case errors.Is(err, fs.ErrNotExist) && (steps[1] != nil || steps[5] != nil):
			raced++
		case err != nil:
			t.Errorf("round %d of edits: %v", n, err)
		}
	}
	return n, raced
}

func appendLine(p string) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("a line\n")
	return errors.Join(err, f.Close())
}

// TestRunsOnNestedTreesTakeTurns writes a tree and a tree inside it at
// once, over and over: neither may fail, and both must end complete, with
// nothing left beside either.
func TestRunsOnNestedTreesTakeTurns(t *testing.T) {
	runs := 15
	if testing.Short() {
		runs = 6
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	inner := filepath.Join(out, "inner")
	var wg sync.WaitGroup
	for _, w := range []struct {
		dir   string
		files []File
	}{{out, files("a.yaml", "gw/b.yaml")}, {inner, files("x.yaml")}} {
		wg.Go(func() {
			for i := range runs {
				if err := (Options{LockWait: time.Minute}).Write(w.dir, w.files); err != nil {
					t.Errorf("%s, run %d: %v", w.dir, i, err)
				}
			}
		})
	}
	wg.Wait()
	if got, want := keys(testfiles.Read(t, out)), ".meshrender-files a.yaml gw/b.yaml inner/.meshrender-files inner/x.yaml"; got != want {
		t.Errorf("the trees hold %s, want %s", got, want)
	}
	onlyBeside(t, parent, "out")
	onlyBeside(t, out, ManifestName, "a.yaml", "gw", "inner")
}

func TestAWriteThatMeetsAChangeAtEveryAttemptFailsCleanly(t *testing.T) {
	parent, out := newTree(t, "a.yaml")
	n := 0
	setHooks(t, false, func(step string) error {
		if step == "staged" {
			n++
			mustWrite(t, filepath.Join(out, fmt.Sprintf("new-%d.txt", n)), "new", 0o644)
		}
		return nil
	})
	err := Write(out, files("a.yaml", "b.yaml"))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d times in a row", maxAttempts)) ||
		!strings.Contains(err.Error(), "run again when nobody is changing it; "+out+" is unchanged") {
		t.Errorf("err = %v", err)
	}
	if got := keys(testfiles.Read(t, out)); got != ".meshrender-files a.yaml new-1.txt new-2.txt new-3.txt new-4.txt" {
		t.Errorf("the tree holds %s", got)
	}
	onlyBeside(t, parent, "out")
}
