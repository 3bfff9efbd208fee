// Command generate writes mesh.schema.json, application.schema.json and
// fleet.schema.json, the JSON Schemas of the Mesh config, of an
// Application and of a Fleet, from the Go
// types in package render and the doc comments on their fields. Run it
// with go generate.
package main

import (
	"fmt"
	"os"

	"github.com/meshrender/meshrender/render/schema/internal/gen"
)

func main() {
	for file, schema := range map[string]func(string) ([]byte, error){
		"mesh.schema.json":        gen.Schema,
		"application.schema.json": gen.ApplicationSchema,
		"fleet.schema.json":       gen.FleetSchema,
	} {
		out, err := schema("../..")
		if err == nil {
			err = os.WriteFile(file, out, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "generate:", file+":", err)
			os.Exit(1)
		}
	}
}
