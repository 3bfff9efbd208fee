package render

import (
	"github.com/meshrender/meshrender/render/internal/cni"
	"github.com/meshrender/meshrender/render/internal/ztunnel"
)

// cniComponents plans istio-cni, in the data-plane layer, when it is on,
// and with ambient ztunnel beside it: the node agents share one
// privileged namespace and the release of the default revision.
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
		Resources: *c.Resources, Ambient: s.AmbientEnabled(),
	}
	build := func() ([]typedObject, error) { return cni.Objects(values), nil }
	if s.AmbientEnabled() {
		z := ztunnel.Values{
			Meta: values.Meta, Namespace: c.Namespace, Image: t.Image(agent, ztunnel.ImageName), PullSecrets: s.Registry.PullSecrets,
			IstiodAddress: agent.DiscoveryAddress(), ClusterID: s.MultiCluster.ClusterName, Network: s.MultiCluster.Network, Minor: agent.Minor(),
			Resources: *s.Ambient.Ztunnel.Resources, UpdateStrategy: s.Ambient.Ztunnel.UpdateStrategy,
		}
		build = func() ([]typedObject, error) { return append(cni.Objects(values), ztunnel.Objects(z)...), nil }
	}
	comp := component{
		Name:  string(LayerDataPlane),
		Field: "spec.cni",
		Layer: LayerDataPlane,
		Build: build,
	}
	if ns := t.Namespace(c.Namespace); ns != nil {
		comp.Namespaces = []namespaceSpec{ownedSpec(ns)}
	}
	return []component{comp}
}
