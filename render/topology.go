package render

import (
	"sync"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// topology is the topology of a valid mesh as the renderer plans from
// it, with what only rendering needs of it, each computed once.
type topology struct {
	*v1alpha1.Topology
	spec *v1alpha1.MeshSpec
	// proxyConfigs are each control plane's default proxy config,
	// encoded once, when the first proxy that needs it is built.
	proxyConfigs map[*v1alpha1.ControlPlane]func() (string, error)
	// applications are the valid, defaulted applications rendered with
	// the mesh, in namespace and name order.
	applications []v1alpha1.Application
}

func newTopology(t *v1alpha1.Topology) *topology {
	out := &topology{Topology: t, spec: &t.Mesh.Spec, proxyConfigs: map[*v1alpha1.ControlPlane]func() (string, error){}}
	for _, cp := range t.Planes {
		out.proxyConfigs[cp] = sync.OnceValues(func() (string, error) { return proxyConfigJSON(out, cp) })
	}
	return out
}

// meta is what every object of the mesh is labelled with; version is
// the release the object comes from.
func (t *topology) meta(version string) objects.Meta {
	return objects.Meta{Instance: t.Mesh.Metadata.Name, Version: version}
}
