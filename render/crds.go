package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/crds"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// crdComponents plans Istio's CustomResourceDefinitions, which are
// embedded already printed. Istio's CRDs are backward compatible, so a
// cluster has one set, applied before any control plane: that of the
// newest minor release among the mesh's control planes.
func crdComponents(t *topology) []component {
	minor := crdMinor(t)
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

// crdMinor returns the newest minor release, such as "1.31", among the
// releases ("1.31.2") of the topology's control planes, compared by
// number: 1.100 is newer than 1.99.
func crdMinor(t *topology) string {
	newest, newestNumbers := "", []int(nil)
	for _, cp := range t.Planes {
		major, rest, _ := strings.Cut(cp.Version, ".")
		minor, _, _ := strings.Cut(rest, ".")
		numbers := []int{atoi(major), atoi(minor)}
		if newest == "" || slices.Compare(numbers, newestNumbers) > 0 {
			newest, newestNumbers = major+"."+minor, numbers
		}
	}
	return newest
}

// atoi is s as a number, or -1 if it is none.
func atoi(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return -1
}
