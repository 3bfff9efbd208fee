package render

import (
	"slices"
	"testing"
)

// AddPlanner adds a planner after the built-in ones for the rest of the
// test, the one line in planners that a new component needs.
func AddPlanner(t testing.TB, f func(m *Mesh) []Component) {
	t.Helper()
	saved := planners
	planners = append(slices.Clip(planners), func(m *Mesh, _ *problems) []Component { return f(m) })
	t.Cleanup(func() { planners = saved })
}
