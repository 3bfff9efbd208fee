package tree

import (
	"os"
	"strings"
	"syscall"
	"time"
)

// A child also reads MESHRENDER_TREE_DIE_AT, the step (a prefix of one;
// see testHook) at which to kill itself, MESHRENDER_TREE_RENAMES, set to
// swap with two renames, and MESHRENDER_TREE_WAIT, how long to wait for
// the lock.
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
	}
}
