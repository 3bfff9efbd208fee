package render

import (
	"strings"
)

// planner plans the components of one part of the mesh from the
// defaulted, valid Mesh, and reports what only planning can see, such as
// two gateways that would share a namespace.
type planner func(m *Mesh, p *problems) []Component

// planners is the plan: every part of the mesh, in the order its
// components are listed. Adding a component to meshrender is adding its
// planner here.
var planners = []planner{
	crdComponents,
	controlPlaneComponents,
	cniComponents,
	namespaceComponents,
	ingressComponents,
	egressComponents,
	policyComponents,
}

// plan lists every component of a defaulted mesh whose fields are valid.
func plan(m *Mesh, p *problems) []Component {
	var out []Component
	for _, planComponents := range planners {
		out = append(out, planComponents(m, p)...)
	}
	checkComponents(p, out)
	return out
}

// checkComponents holds planners to the component model: unique names,
// each under its layer. A failure here is a bug in a planner, reported
// like any problem rather than rendered wrong.
func checkComponents(p *problems, components []Component) {
	seen := map[string]bool{}
	// owner is, for each namespace, the first component that owns it and
	// the level it gives it.
	type owner struct {
		field string
		level PodSecurity
	}
	owners := map[string]owner{}
	for _, c := range components {
		for _, ns := range c.Namespaces {
			first, ok := owners[ns.Name]
			if !ok {
				owners[ns.Name] = owner{c.Field, ns.PodSecurity}
				continue
			}
			if first.level != ns.PodSecurity {
				p.add(c.Field, "namespace %q is Pod Security %s for %s but %s for %s; they cannot share it", ns.Name, first.level, first.field, ns.PodSecurity, c.Field)
			}
		}
	}
	for _, c := range components {
		if seen[c.Name] {
			p.add("(plan)", "two components are named %q", c.Name)
		}
		seen[c.Name] = true
		if c.Layer.Rank() == len(Layers) {
			p.add("(plan)", "component %q is in unknown layer %q", c.Name, c.Layer)
		}
		if c.Name != string(c.Layer) && !strings.HasPrefix(c.Name, string(c.Layer)+"/") {
			p.add("(plan)", "component %q is not named after its layer %q", c.Name, c.Layer)
		}
		if c.Build == nil {
			p.add("(plan)", "component %q has no build function", c.Name)
		}
	}
}
