// Command meshrender renders a complete Istio installation from one Mesh
// config: as a CLI, as a KRM function for kustomize and kpt, and as a
// GitOps repository writer.
package main

import (
	"os"

	"github.com/meshrender/meshrender/plugin/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
