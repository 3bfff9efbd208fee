// Package allocs measures how much a piece of code allocates, the
// machine-independent measure of its work that tests bound where time
// would depend on the machine and its load.
package allocs

import "runtime"

// Bytes is how many bytes f allocates, on any goroutine while it runs.
func Bytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
