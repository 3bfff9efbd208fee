package render

import (
	"bytes"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// typedObjects are the objects the mesh builds from their Go types, not
// those printed ahead of time.
func typedObjects(t testing.TB, m v1alpha1.Mesh) []typedObject {
	t.Helper()
	c, err := prepare(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	typed, _, err := c.build()
	if err != nil {
		t.Fatal(err)
	}
	var out []typedObject
	for _, b := range typed {
		if _, printed := b.obj.(*objects.Printed); !printed {
			out = append(out, b.obj)
		}
	}
	return out
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// objectKey names a rendered object in the tests' maps: "Kind
// namespace/name".
func objectKey(o Object) string { return o.Kind + " " + o.Namespace + "/" + o.Name }

// checkParts reports each part of YAML the object lacks.
func checkParts(t testing.TB, o Object, parts []string) {
	t.Helper()
	for _, p := range parts {
		if !bytes.Contains(o.YAML, []byte(p)) {
			t.Errorf("%s lacks %q:\n%s", objectKey(o), p, o.YAML)
		}
	}
}
