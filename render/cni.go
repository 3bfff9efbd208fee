package render

import (
	"github.com/meshrender/meshrender/render/internal/cni"
)

// cniComponents plans istio-cni, in the data-plane layer, when it is on.
func cniComponents(t *topology) []component {
	s := t.spec
	c := &s.CNI
	if !*c.Enabled {
		return nil
	}
	// One node agent for every revision, of the default revision's
	// release, upgraded in place when the default tag moves.
	agent := t.ClusterWide
	values := cni.Values{
		Meta: t.meta(agent.Version), Namespace: c.Namespace, Revision: agent.RevisionLabel(),
		Image: t.Image(agent, cni.ImageName), PullSecrets: s.Registry.PullSecrets, Tag: t.ImageTag(agent),
		Resources: *c.Resources,
	}
	comp := component{
		Name:  string(LayerDataPlane),
		Field: "spec.cni",
		Layer: LayerDataPlane,
		Build: func() ([]typedObject, error) { return cni.Objects(values), nil },
	}
	if ns := t.Namespace(c.Namespace); ns != nil {
		comp.Namespaces = []namespaceSpec{ownedSpec(ns)}
	}
	return []component{comp}
}
