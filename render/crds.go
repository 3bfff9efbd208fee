package render

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/crds"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// crdComponents plans Istio's CustomResourceDefinitions, which are
// embedded already printed. Every mesh renders them the same.
func crdComponents(*topology) []component {
	return []component{{
		Name:  string(LayerCRDs),
		Field: "spec.version",
		Layer: LayerCRDs,
		Build: func() ([]typedObject, error) {
			all := crds.All()
			out := make([]typedObject, len(all))
			for i, c := range all {
				out[i] = &objects.Printed{
					TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
					ObjectMeta: metav1.ObjectMeta{Name: c.Name},
					YAML:       c.YAML,
				}
			}
			return out, nil
		},
	}}
}
