package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// planner plans the components of one part of the mesh from its
// topology. It runs once the mesh is valid, so it reports nothing.
type planner func(t *topology) []component

// planners is the plan: every part of the mesh, in the order its
// components are listed. Adding a component to meshrender is adding its
// planner here.
var planners = []planner{
	crdComponents,
	controlPlaneComponents,
	cniComponents,
	namespaceComponents,
	gatewayComponents,
	issuerComponents,
	applicationComponents,
}

// plan lists every component of a valid mesh. Components of one name,
// such as the policies of a namespace that istiod and a gateway share,
// are one component: its objects are all their objects. A component
// that breaks the component model is a bug in a planner, reported like
// any problem rather than rendered wrong.
func plan(t *topology, p *problems) []component {
	var out []component
	index := map[string]int{}
	// more are the components planned under a name already planned, by
	// the first one's index; joined once, so that many planners adding
	// to one component cost no more than one planner adding as much.
	more := map[int][]component{}
	for _, planComponents := range planners {
		for _, c := range planComponents(t) {
			i, seen := index[c.Name]
			if !seen {
				index[c.Name] = len(out)
				out = append(out, c)
				continue
			}
			if c.Layer != out[i].Layer {
				p.add("(plan)", "component %q is in layers %q and %q", c.Name, out[i].Layer, c.Layer)
				continue
			}
			more[i] = append(more[i], c)
		}
	}
	for i, others := range more {
		out[i] = out[i].merge(others)
	}
	for _, c := range out {
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
	return out
}

// merge adds what other planners planned under c's name, in the same
// layer, to c: their namespaces, and their objects after c's.
func (c component) merge(others []component) component {
	builds := []func() ([]typedObject, error){c.Build}
	namespaces := slices.Clone(c.Namespaces)
	for _, o := range others {
		namespaces = append(namespaces, o.Namespaces...)
		builds = append(builds, o.Build)
	}
	c.Namespaces = namespaces
	if slices.ContainsFunc(builds, func(b func() ([]typedObject, error)) bool { return b == nil }) {
		c.Build = nil // reported by plan
		return c
	}
	c.Build = func() ([]typedObject, error) {
		var out []typedObject
		for _, build := range builds {
			objs, err := build()
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	return c
}

// policyComponent is a component of one namespace's objects in a layer
// after the gateways: <layer>/<part>.
func policyComponent(layer Layer, part, field string, build func() []typedObject) component {
	return component{
		Name:  string(layer) + "/" + part,
		Field: field,
		Layer: layer,
		Build: func() ([]typedObject, error) { return build(), nil },
	}
}

// checkDuplicates reports two objects of one identity among objects in
// install order, which a server-side apply would silently make one.
func checkDuplicates(sorted []built) error {
	var p problems
	for i := 1; i < len(sorted); i++ {
		a, b := sorted[i-1], sorted[i]
		if objects.Compare(a.key(), b.key()) != 0 {
			continue
		}
		k := b.key()
		field, what := a.component.Field, fmt.Sprintf("%s %s is rendered twice, by %s and %s", k.Kind, namespacedName(k.Namespace, k.Name), a.component.Name, b.component.Name)
		if a.patched || b.patched {
			field, what = "spec.overlays", fmt.Sprintf("after patching, two objects are %s %s; an overlay renamed one onto another", k.Kind, namespacedName(k.Namespace, k.Name))
		}
		p.addText(field, what)
	}
	return p.err()
}
