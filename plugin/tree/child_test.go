package tree

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The test binary doubles as a writer in a child process, so that tests
// can kill writers and run them as another user. The environment says
// what to do: childEnv set, the tree in MESHRENDER_TREE_DIR, the paths to
// write (comma-separated, with the content files gives them) in
// MESHRENDER_TREE_FILES, how often in MESHRENDER_TREE_COUNT.
const childEnv = "MESHRENDER_TREE_CHILD"

var (
	// childSetup, if set, adjusts the package for a child before it writes.
	childSetup func()
	// childWrite is how a child writes.
	childWrite = Write
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func runChild() int {
	if childSetup != nil {
		childSetup()
	}
	n, err := strconv.Atoi(os.Getenv("MESHRENDER_TREE_COUNT"))
	if err != nil {
		n = 1
	}
	paths := strings.Split(os.Getenv("MESHRENDER_TREE_FILES"), ",")
	for range n {
		if err := childWrite(os.Getenv("MESHRENDER_TREE_DIR"), files(paths...)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// child returns a command running the test binary as a writer of paths
// into dir, with more environment.
func child(t *testing.T, dir string, paths []string, env ...string) *exec.Cmd {
	t.Helper()
	return childCommand(testBinary(t), dir, paths, env...)
}

// childCommand is child with the test binary, bin, found beforehand: a
// goroutine other than the test's may not stop the test, as testBinary
// does when it fails.
func childCommand(bin, dir string, paths []string, env ...string) *exec.Cmd {
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "MESHRENDER_TREE_DIR="+dir, "MESHRENDER_TREE_FILES="+strings.Join(paths, ","))
	cmd.Env = append(cmd.Env, env...)
	cmd.Dir = filepath.Dir(dir)
	return cmd
}

var (
	binOnce sync.Once
	binDir  string
	binPath string
)

// testBinary is a copy of the test binary that any user may run.
func testBinary(t *testing.T) string {
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "meshrender-tree-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = dir
		in, err := os.Open(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		p := filepath.Join(dir, "tree.test")
		out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(out.Close(), os.Chmod(dir, 0o755)); err != nil {
			t.Fatal(err)
		}
		binPath = p
	})
	if binPath == "" {
		t.Fatal("no copy of the test binary")
	}
	return binPath
}

// A writer writes trees as a user that file modes bind: this process's,
// unless it is root; then a child process running as nobody (65534),
// in trees nobody owns.
type writer struct {
	t     *testing.T
	base  string // where the test makes its trees
	child bool
}

const nobody = 65534

func newWriter(t *testing.T) *writer {
	if os.Geteuid() != 0 {
		return &writer{t: t, base: t.TempDir()}
	}
	base, err := os.MkdirTemp("", "meshrender-tree-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	return &writer{t: t, base: base, child: true}
}

// own gives everything under the base to the writer's user.
func (w *writer) own() {
	w.t.Helper()
	if !w.child {
		return
	}
	err := filepath.Walk(w.base, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// write writes paths into dir as the writer's user.
func (w *writer) write(dir string, paths ...string) error {
	w.t.Helper()
	if !w.child {
		return Write(dir, files(paths...))
	}
	cmd := child(w.t, dir, paths)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return errors.New(strings.TrimSpace(string(out)))
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return nil
}

// makeAllWritable undoes a test's chmods so the tree can be cleaned up.
func makeAllWritable(dir string) {
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}
