package tree

import (
	"syscall"
	"testing"
)

var errNoSpace = syscall.ENOSPC

// setHooks sets testHook and forceRenames for one test.
func setHooks(t *testing.T, renames bool, hook func(string) error) {
	t.Helper()
	testHook, forceRenames = hook, renames
	t.Cleanup(func() { testHook, forceRenames = nil, false })
}
