package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// MTLS is the mesh-wide mutual TLS policy.
//
// +k8s:deepcopy-gen=true
type MTLS struct {
	// Mode is STRICT (default) or PERMISSIVE.
	Mode string `json:"mode,omitempty"`
}

// Istiod tunes the control plane deployment.
//
// +k8s:deepcopy-gen=true
type Istiod struct {
	// Namespace is where istiod runs and Istio's root namespace
	// (default istio-system).
	Namespace string `json:"namespace,omitempty"`
	// Replicas bounds the horizontal autoscaler (default 2 to 5).
	Replicas Replicas `json:"replicas,omitzero"`
	// Resources of the discovery container.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// CA is where istiod's certificate authority comes from: its own
	// root, or an intermediate of a root the clusters of a mesh share.
	CA CA `json:"ca,omitzero"`
}

// DefaultIstiodNamespace is where istiod runs unless
// spec.istiod.namespace says otherwise.
const DefaultIstiodNamespace = "istio-system"

func (i *Istiod) setDefaults() {
	if i.Namespace == "" {
		i.Namespace = DefaultIstiodNamespace
	}
	defaultReplicas(&i.Replicas, 2, 5)
	if i.Resources == nil {
		// Upstream's requests. Upstream sets no limits; a memory limit
		// restarts a runaway istiod instead of starving its node, and CPU
		// stays unlimited because istiod's pushes are bursty and
		// GOMAXPROCS follows limits.cpu (node capacity when unset).
		i.Resources = resources("500m", "2048Mi", "", "4096Mi")
	}
}

func (m *MTLS) setDefaults() {
	if m.Mode == "" {
		m.Mode = MTLSStrict
	}
}

func (i *Istiod) validate(p *problems) {
	validateNamespaceName(p, "spec.istiod.namespace", i.Namespace)
	validateReplicas(p, "spec.istiod.replicas", i.Replicas, 1)
	validateResources(p, "spec.istiod.resources", i.Resources)
}
