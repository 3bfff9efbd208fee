package golden

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshrender/meshrender/golden/internal/strictdecode"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// fleetExample is the fleet of examples/fleet.
const fleetExample = "../examples/fleet/fleet.yaml"

// TestFleetGolden compares each cluster of the fleet example, rendered
// from its Mesh, with golden/fleet/<cluster>.yaml, and checks that there
// is no golden file of a cluster the fleet does not have.
func TestFleetGolden(t *testing.T) {
	f := fleetOfExample(t)
	meshes, err := f.Meshes()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range meshes {
		path := filepath.Join("fleet", m.Metadata.Name+".yaml")
		known[path] = true
		t.Run(m.Metadata.Name, func(t *testing.T) {
			var out bytes.Buffer
			if err := render.Write(&out, m); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, path, out.Bytes())
			// Strictly decoded, as TestStrictDecoding decodes every
			// example: the remote secrets and the CA against the External
			// Secrets Operator's own CRD.
			if err := registerThirdPartyCRDs(); err != nil {
				t.Fatal(err)
			}
			for i, doc := range splitDocs(out.Bytes()) {
				if _, err := strictdecode.Decode(doc); err != nil {
					t.Errorf("document %d: %v\n%s", i, err, head(doc))
				}
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("fleet", "*.yaml"))
	for _, file := range files {
		if !known[file] {
			t.Errorf("golden file %s is of no cluster of %s", file, fleetExample)
		}
	}
}

// fleetOfExample decodes the fleet example.
func fleetOfExample(t *testing.T) v1alpha1.Fleet {
	t.Helper()
	data, err := os.ReadFile(fleetExample)
	if err != nil {
		t.Fatal(err)
	}
	f, err := v1alpha1.DecodeFleet(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
