// Command generate writes mesh.schema.json, the JSON Schema of the Mesh
// config, from the Go types in package render and the doc comments on
// their fields. Run it with go generate.
package main

import (
	"fmt"
	"os"

	"github.com/meshrender/meshrender/render/schema/internal/gen"
)

func main() {
	out, err := gen.Schema("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("mesh.schema.json", out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}
