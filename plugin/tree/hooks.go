package tree

// Test hooks. testHook, when set, runs at each named step of a write:
// "write <path>" before each generated file, "staged" when the new tree
// is complete, "verified" once the tree was found unchanged just before
// the swap, "exchanged" and "moved-aside" between the steps of the swap,
// "swapped" once it is done, and "retire <path>" before each entry of the
// previous tree is removed. Up to the swap, an error it returns
// fails the write there (a full disk, say); after, it is ignored. Tests
// use it to fail writes, to change the tree mid-run, and to kill a run at
// a given instant. forceRenames makes the swap use two renames where the
// system could exchange, so that path is tested on Linux too.
var (
	testHook     func(step string) error
	forceRenames bool
)

// at runs testHook for step.
func at(step string) error {
	if testHook == nil {
		return nil
	}
	return testHook(step)
}
