package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/render/internal/ztunnel"
)

// Ambient is Istio's ambient data plane: no sidecar per pod, a ztunnel
// per node that carries the traffic of the ambient namespaces' pods over
// mutual TLS (HBONE) and enforces L4 policy, beside the sidecar
// namespaces of the same mesh.
//
// +k8s:deepcopy-gen=true
type Ambient struct {
	// Enabled runs ztunnel on every node, istio-cni in ambient mode and
	// istiod with ambient on (default false). It needs istio-cni, which
	// it turns on unless spec.cni.enabled is false.
	Enabled *bool `json:"enabled,omitempty"`
	// Ztunnel tunes the node proxy, which runs in istio-cni's namespace
	// (spec.cni.namespace): both node agents need Pod Security
	// privileged, which istiod's namespace is not.
	Ztunnel Ztunnel `json:"ztunnel,omitzero"`
}

// Ztunnel tunes the ambient node proxy.
//
// +k8s:deepcopy-gen=true
type Ztunnel struct {
	// Resources of the ztunnel container (default upstream's requests,
	// 200m and 512Mi, and a memory limit of 2Gi).
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// UpdateStrategy is RollingUpdate (default: a new ztunnel starts on
	// each node beside the old one, and connections the old one carries
	// are reset when it exits) or OnDelete (a node's ztunnel is replaced
	// only when its pod is deleted, for example by draining the node).
	UpdateStrategy string `json:"updateStrategy,omitempty"`
}

// DataPlaneAmbient is the data-plane mode of an ambient namespace, the
// value of its istio.io/dataplane-mode label.
const DataPlaneAmbient = "ambient"

func (s *MeshSpec) setAmbientDefaults() {
	a := &s.Ambient
	if a.Enabled == nil {
		a.Enabled = ptr(false)
	}
	if !*a.Enabled {
		return
	}
	if s.CNI.Enabled == nil {
		s.CNI.Enabled = ptr(true)
	}
	if a.Ztunnel.Resources == nil {
		r := ztunnel.DefaultResources()
		a.Ztunnel.Resources = &r
	}
	if a.Ztunnel.UpdateStrategy == "" {
		a.Ztunnel.UpdateStrategy = ztunnel.RollingUpdate
	}
}

// AmbientEnabled reports whether the mesh runs the ambient data plane.
func (s *MeshSpec) AmbientEnabled() bool {
	return s.Ambient.Enabled != nil && *s.Ambient.Enabled
}

func (s *MeshSpec) validateAmbient(p *problems) {
	a := &s.Ambient
	if !s.AmbientEnabled() {
		if a.Ztunnel != (Ztunnel{}) {
			p.add("spec.ambient.ztunnel", "tunes ztunnel, which runs only with spec.ambient.enabled")
		}
		return
	}
	if !s.CNIEnabled() {
		p.add("spec.ambient.enabled", "ambient needs istio-cni to redirect pods' traffic to ztunnel, and spec.cni.enabled is false")
	}
	validateResources(p, "spec.ambient.ztunnel.resources", a.Ztunnel.Resources)
	p.checkEnum("spec.ambient.ztunnel.updateStrategy", "Ztunnel.UpdateStrategy", a.Ztunnel.UpdateStrategy)
}

// InAmbient reports whether an application namespace of the mesh is in the
// ambient data plane.
func (s *MeshSpec) InAmbient(namespace string) bool {
	for _, ns := range s.Namespaces {
		if ns.Name == namespace {
			return ns.DataPlaneMode == DataPlaneAmbient
		}
	}
	return false
}
