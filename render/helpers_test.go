package render

import (
	"bytes"
	"maps"
	"slices"
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

// byKey indexes rendered objects by objectKey.
func byKey(objs []Object) map[string]Object {
	out := make(map[string]Object, len(objs))
	for _, o := range objs {
		out[objectKey(o)] = o
	}
	return out
}

// checkObjects reports each object of want, by objectKey, that got lacks,
// and each part of YAML an object lacks.
func checkObjects(t testing.TB, got map[string]Object, want map[string][]string) {
	t.Helper()
	for _, key := range slices.Sorted(maps.Keys(want)) {
		o, ok := got[key]
		if !ok {
			t.Errorf("missing %s", key)
			continue
		}
		checkParts(t, o, want[key])
	}
}

// checkParts reports each part of YAML the object lacks.
func checkParts(t testing.TB, o Object, parts []string) {
	t.Helper()
	for _, p := range parts {
		if !bytes.Contains(o.YAML, []byte(p)) {
			t.Errorf("%s lacks %q:\n%s", objectKey(o), p, o.YAML)
		}
	}
}
