package tree

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/meshrender/meshrender/internal/testfiles"
)

// TestStressConcurrentAndKilledWriters runs many writers on one tree at
// once, goroutines and child processes, killing children at random
// instants and at each step of the swap. Whatever the interleaving, the
// person's files must come through intact, nothing may be written beside
// the tree, and one clean run must leave exactly one complete write.
func TestStressConcurrentAndKilledWriters(t *testing.T) {
	goroutines, writesEach, children := 3, 6, 24
	if testing.Short() {
		goroutines, writesEach, children = 2, 3, 10
	}
	sets := [][]string{
		{"a.yaml", "gw/z1.yaml", "gw/z2/gw.yaml"},
		{"a.yaml", "b.yaml", "gw/z1.yaml"},
		{"c/d/e.yaml", "gw/z1.yaml", "gw/z3/gw.yaml"},
	}
	steps := []string{"write ", "staged", "exchanged", "moved-aside", "swapped", "retire "}
	stressFinished.Store(0)
	stressKilled.Store(0)

	parent := t.TempDir()
	exchanges := canExchange(t, parent)
	// reaches reports whether every write reaches step: all do but the
	// one of the two swaps the child does not use.
	reaches := func(step string, renames bool) bool {
		switch step {
		case "exchanged":
			return exchanges && !renames
		case "moved-aside":
			return !exchanges || renames
		}
		return true
	}
	bin := testBinary(t) // here, where a failure may stop the test
	out, sentinel := filepath.Join(parent, "out"), filepath.Join(parent, "sentinel")
	if err := Write(out, files(sets[0]...)); err != nil {
		t.Fatal(err)
	}
	ppl := people(t, out, sentinel)
	mustWrite(t, filepath.Join(out, "docs", "notes.txt"), "notes", 0o644)
	ppl = append(ppl, "docs/notes.txt")
	mustWrite(t, filepath.Join(sentinel, "untouched.txt"), "untouched", 0o644)
	before, sentinelBefore := state(t, out), state(t, sentinel)
	want := expect(t, out, files(sets[0]...), ppl)

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*writesEach+children)
	for g := range goroutines {
		wg.Go(func() {
			for i := range writesEach {
				if err := (Options{LockWait: time.Minute}).Write(out, files(sets[(g+i)%len(sets)]...)); err != nil {
					errs <- fmt.Errorf("goroutine %d, write %d: %w", g, i, err)
				}
			}
		})
	}
	// Children run a few at a time, so each gets its turn at the lock.
	slots := make(chan struct{}, 4)
	for c := range children {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			env := []string{"MESHRENDER_TREE_WAIT=1m", "MESHRENDER_TREE_COUNT=2"}
			renames := c%2 == 1
			if renames {
				env = append(env, "MESHRENDER_TREE_RENAMES=1")
			}
			randomKill, mustDie := c%3 == 0, false
			if !randomKill {
				step := steps[(c/3)%len(steps)]
				env = append(env, "MESHRENDER_TREE_DIE_AT="+step)
				mustDie = reaches(step, renames)
			}
			cmd := childCommand(bin, out, sets[c%len(sets)], env...)
			if err := runStressChild(cmd, randomKill, mustDie); err != nil {
				errs <- fmt.Errorf("child %d (%s): %w", c, strings.Join(env, " "), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	t.Logf("children: %d finished, %d killed", stressFinished.Load(), stressKilled.Load())
	if err := Write(out, files(sets[0]...)); err != nil {
		t.Fatalf("the clean run after the storm: %v", err)
	}
	if got := testfiles.Read(t, out); !maps.Equal(got, want) {
		t.Errorf("the tree is %s\nwant %s", keys(got), keys(want))
	}
	checkSame(t, before, state(t, out), ppl)
	if d := diffState(sentinelBefore, state(t, sentinel)); d != "" {
		t.Errorf("the directory beside the tree changed:\n%s", d)
	}
	onlyBeside(t, parent, "out", "sentinel")
}

// How the children ended, for the log.
var stressFinished, stressKilled atomic.Int64

// runStressChild runs cmd, one child writer. A child told where to die
// must die there when mustDie says every write reaches that step; one
// killed at random may also finish first; any other end is an error.
func runStressChild(cmd *exec.Cmd, randomKill, mustDie bool) error {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if randomKill {
		time.AfterFunc(time.Duration(rand.N(60))*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		stressFinished.Add(1)
		if mustDie {
			return errors.New("it finished, yet every write reaches the step it was told to die at")
		}
		return nil
	case errors.As(err, &exit):
		if ws := exit.Sys().(syscall.WaitStatus); ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			stressKilled.Add(1)
			return nil
		}
	}
	return fmt.Errorf("%v: %s", err, strconv.Quote(stderr.String()))
}
