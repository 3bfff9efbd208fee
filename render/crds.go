package render

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/crds"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// crdComponents plans Istio's CustomResourceDefinitions, which are
// embedded already printed. Istio's CRDs are backward compatible, so a
// cluster has one set, applied before any control plane: that of the
// newest minor release among the mesh's control planes.
func crdComponents(t *topology) []component {
	minor := t.Newest.Minor()
	return []component{{
		Name:  string(LayerCRDs),
		Field: "spec.version",
		Layer: LayerCRDs,
		Build: func() ([]typedObject, error) {
			all := crds.All(minor)
			if all == nil {
				return nil, fmt.Errorf("meshrender has no CRDs of Istio %s", minor)
			}
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
