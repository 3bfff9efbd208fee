package tree

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// A child also reads MESHRENDER_TREE_DIE_AT, the step (a prefix of one;
// see testHook) at which to kill itself, MESHRENDER_TREE_RENAMES, set to
// swap with two renames, MESHRENDER_TREE_WAIT, how long to wait for the
// lock, and MESHRENDER_TREE_BIND, "source:target" of a bind mount to make
// (in the child's own mount namespace) before it writes, or at the step
// MESHRENDER_TREE_BIND_AT.
func init() {
	childSetup = func() {
		if step := os.Getenv("MESHRENDER_TREE_DIE_AT"); step != "" {
			testHook = func(s string) error {
				if strings.HasPrefix(s, step) {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
					select {}
				}
				return nil
			}
		}
		forceRenames = os.Getenv("MESHRENDER_TREE_RENAMES") != ""
		if wait, err := time.ParseDuration(os.Getenv("MESHRENDER_TREE_WAIT")); err == nil {
			childWrite = Options{LockWait: wait}.Write
		}
		if bind := os.Getenv("MESHRENDER_TREE_BIND"); bind != "" {
			step := os.Getenv("MESHRENDER_TREE_BIND_AT")
			if step == "" {
				bindMount(bind)
				return
			}
			testHook = func(s string) error {
				if s == step {
					bindMount(bind)
				}
				return nil
			}
		}
	}
}

// bindMount mounts "source:target", or exits saying it may not.
func bindMount(bind string) {
	src, dst, _ := strings.Cut(bind, ":")
	if err := syscall.Mount(src, dst, "", syscall.MS_BIND, ""); err != nil {
		fmt.Fprintln(os.Stderr, mountRefused, err)
		os.Exit(3)
	}
}

// mountRefused starts what a child says when it may not mount.
const mountRefused = "cannot bind-mount:"
