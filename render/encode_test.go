package render

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// TestReflectivePrintingMatchesJSON checks that the fast reflective
// printer gives exactly what printing the object's JSON gives, for every
// object of several meshes and of every example.
func TestReflectivePrintingMatchesJSON(t *testing.T) {
	meshes := map[string]v1alpha1.Mesh{
		"default":  {},
		"seed":     seedMesh([]string{"a", "b"}),
		"revision": {Spec: v1alpha1.MeshSpec{Revision: "1-30-3", Registry: v1alpha1.Registry{Variant: "distroless"}}},
		"minimal":  {Spec: v1alpha1.MeshSpec{Profile: v1alpha1.ProfileMinimal, MTLS: v1alpha1.MTLS{Mode: v1alpha1.MTLSPermissive}}},
	}
	for name, m := range exampleMeshes(t) {
		meshes["examples/"+name] = m
	}
	for name, m := range meshes {
		t.Run(name, func(t *testing.T) {
			for _, obj := range typedObjects(t, m) {
				raw, err := json.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				want, err := yamlenc.Manifest(nil, raw)
				if err != nil {
					t.Fatal(err)
				}
				got, err := yamlenc.AppendManifest(nil, obj)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("%s %s: reflective printing differs (-json +reflective):\n%s", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), diff)
				}
			}
		})
	}
}
