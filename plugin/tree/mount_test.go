//go:build linux

package tree

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestABindMountInTheTreeIsNeverEmptied bind-mounts a directory from
// beside the tree, on the same file system, into it, and lists a file of
// that directory in the manifest: the device numbers match, yet it is
// another mount, and what the manifest lists there is outside the tree.
// Mounted before the write, the write is refused; mounted while it runs,
// after the tree was last read, the previous tree is kept beside the new
// one with the mount in it.
func TestABindMountInTheTreeIsNeverEmptied(t *testing.T) {
	for _, c := range []struct{ at, want string }{
		{"", "mnt is a mount point"},
		{"verified", "was written, but"},
	} {
		t.Run("mounted at "+c.at, func(t *testing.T) {
			parent, out := newTree(t, "a.yaml")
			outside := filepath.Join(parent, "outside")
			mustWrite(t, filepath.Join(outside, "victim.txt"), "not the tree's", 0o644)
			if err := os.Mkdir(filepath.Join(out, "mnt"), 0o755); err != nil {
				t.Fatal(err)
			}
			writeManifest(t, out, "a.yaml", "mnt/victim.txt")
			msg, err := inMountNamespace(t, child(t, out, []string{"a.yaml"},
				"MESHRENDER_TREE_BIND="+outside+":"+filepath.Join(out, "mnt"), "MESHRENDER_TREE_BIND_AT="+c.at))
			if err == nil || !strings.Contains(msg, c.want) {
				t.Errorf("the write: %v %s; want an error saying %q", err, msg, c.want)
			}
			if data, err := os.ReadFile(filepath.Join(outside, "victim.txt")); err != nil || string(data) != "not the tree's" {
				t.Errorf("a file outside the tree, behind a bind mount: %q, %v", data, err)
			}
		})
	}
}

// inMountNamespace runs cmd, a child writer, in a mount namespace of its
// own, so that its mounts go with it; it skips t where that or mounting
// is not permitted.
func inMountNamespace(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	msg, err := cmd.CombinedOutput()
	if err != nil && (bytes.Contains(msg, []byte(mountRefused)) || strings.Contains(err.Error(), "operation not permitted")) {
		t.Skipf("SKIPPED: mounting is not permitted here, so bind mounts in the tree are not tested: %v %s", err, msg)
	}
	return string(msg), err
}
