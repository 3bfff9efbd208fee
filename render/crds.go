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
	out := []component{{
		Name:  string(LayerCRDs),
		Field: "spec.version",
		Layer: LayerCRDs,
		Build: func() ([]typedObject, error) {
			all := crds.All(minor)
			if all == nil {
				return nil, fmt.Errorf("meshrender has no CRDs of Istio %s", minor)
			}
			return printedCRDs(all), nil
		},
	}}
	if t.spec.GatewayAPICRDs() {
		// The Gateway API's, which waypoints are Gateways of, from the
		// release the newest control plane's Istio requires.
		out = append(out, component{
			Name:  string(LayerCRDs) + "/gateway-api",
			Field: "spec.gatewayAPI.installCRDs",
			Layer: LayerCRDs,
			Build: func() ([]typedObject, error) {
				all := crds.GatewayAPI(minor)
				if all == nil {
					return nil, fmt.Errorf("meshrender has no Gateway API CRDs for Istio %s", minor)
				}
				return printedCRDs(all), nil
			},
		})
	}
	return out
}

// printedCRDs are embedded CRDs as objects printed ahead of time.
func printedCRDs(all []crds.CRD) []typedObject {
	out := make([]typedObject, len(all))
	for i, c := range all {
		out[i] = &objects.Printed{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
			ObjectMeta: metav1.ObjectMeta{Name: c.Name},
			YAML:       c.YAML,
		}
	}
	return out
}
