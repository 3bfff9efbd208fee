package v1alpha1

import (
	"reflect"
	"slices"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"

	"github.com/meshrender/meshrender/render/internal/typecheck"
)

// Limits on the values of a mesh. A real mesh has a few dozen entries in
// its longest list and names of a few dozen characters; the limits leave
// room for far more while bounding the work a config can ask for.
const (
	// MaxListEntries is the most entries a list or mapping of a mesh may
	// have.
	MaxListEntries = 1000
	// MaxValueBytes is the longest a name, host, URL, path or any other
	// value but a text may be.
	MaxValueBytes = 4 << 10
	// MaxTextBytes is the longest a text may be: an overlay's patch, a CA
	// bundle, inline JWKS, an environment variable's or an annotation's
	// value.
	MaxTextBytes = 1 << 20
)

// textFields are the fields that hold texts rather than values, and the
// mappings whose values are texts.
var textFields = []string{"patch", "caBundle", "jwks", "pem", "value", "annotations"}

// checkSizes reports every list, mapping and string of m that is longer
// than its limit, and annotations larger than Kubernetes accepts on an
// object. It walks every field, so no field, the mesh config's included,
// is left unbounded; the checks of the fields' content come after it.
func (m *Mesh) checkSizes() error {
	var p problems
	typecheck.Walk(m, "", func(at typecheck.Path, v reflect.Value) bool {
		switch v.Kind() {
		case reflect.String:
			limit := MaxValueBytes
			if slices.Contains(textFields, at.Field()) {
				limit = MaxTextBytes
			}
			if v.Len() > limit {
				p.add(at.String(), "%q is longer than the %d bytes a value here may be", v.String(), limit)
			}
		case reflect.Slice, reflect.Array, reflect.Map:
			if v.Len() > MaxListEntries {
				// Its entries are not checked: a list this long is refused
				// as a whole, and checking it would cost what the limit
				// saves.
				p.add(at.String(), "has %d entries; the limit is %d", v.Len(), MaxListEntries)
				return false
			}
			if v.Kind() == reflect.Map {
				checkKeys(&p, at, v)
			}
		}
		return true
	})
	return p.err()
}

// checkKeys bounds the keys of a mapping, and the annotations as the
// Kubernetes API server does.
func checkKeys(p *problems, at typecheck.Path, v reflect.Value) {
	for _, k := range v.MapKeys() {
		if k.Kind() == reflect.String && k.Len() > MaxValueBytes {
			p.add(at.String(), "key %q is longer than the %d bytes a key may be", k.String(), MaxValueBytes)
		}
	}
	if a, ok := v.Interface().(map[string]string); ok && at.Field() == "annotations" {
		if err := apivalidation.ValidateAnnotationsSize(a); err != nil {
			p.add(at.String(), "are %d bytes, keys and values; Kubernetes accepts at most %d bytes of annotations on an object", annotationBytes(a), apivalidation.TotalAnnotationSizeLimitB)
		}
	}
}

func annotationBytes(a map[string]string) int {
	n := 0
	for k, v := range a {
		n += len(k) + len(v)
	}
	return n
}
