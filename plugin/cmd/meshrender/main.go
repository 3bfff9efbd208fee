// Command meshrender renders a complete Istio installation from one Mesh
// config: as a CLI, as a KRM function for kustomize and kpt, and as a
// GitOps repository writer.
package main

import (
	"os"
	"runtime/debug"

	"github.com/meshrender/meshrender/plugin/cli"
)

// memoryLimit caps the heap of one run. A run is short and allocates
// little, so collecting garbage before this limit only costs time; the
// largest meshes still stay well under it.
const memoryLimit = 192 << 20

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
