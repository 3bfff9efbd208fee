package render

import (
	"reflect"
	"slices"
	"testing"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// AddPlanner adds a planner after the built-in ones for the rest of the
// test, the one line in planners that a new component needs.
func AddPlanner(t testing.TB, f func(m *Mesh) []Component) {
	t.Helper()
	saved := planners
	planners = append(slices.Clip(planners), func(m *Mesh, _ *problems) []Component { return f(m) })
	t.Cleanup(func() { planners = saved })
}

// BuiltTypes returns the Go type of every object the mesh builds, except
// those printed ahead of time.
func BuiltTypes(t testing.TB, m Mesh) []reflect.Type {
	var out []reflect.Type
	for _, obj := range typedObjects(t, m) {
		out = append(out, reflect.TypeOf(obj).Elem())
	}
	return out
}

// typedObjects are the objects the mesh builds from their Go types, not
// those printed ahead of time.
func typedObjects(t testing.TB, m Mesh) []TypedObject {
	t.Helper()
	c, err := prepare(m)
	if err != nil {
		t.Fatal(err)
	}
	typed, err := c.build()
	if err != nil {
		t.Fatal(err)
	}
	var out []TypedObject
	for _, b := range typed {
		if _, printed := b.obj.(*objects.Printed); !printed {
			out = append(out, b.obj)
		}
	}
	return out
}
