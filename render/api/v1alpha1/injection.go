package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// Injection is automatic sidecar injection: istiod's injector with Istio's
// own templates, and the webhook that sends pods to it. Like upstream's,
// the webhook injects pods in namespaces labelled istio.io/rev with the
// control plane's revision ("default" for the default control plane,
// which also injects namespaces labelled istio-injection=enabled), and
// pods labelled so themselves, unless labelled
// sidecar.istio.io/inject=false.
//
// +k8s:deepcopy-gen=true
type Injection struct {
	// Enabled renders the injector (default true; the seed and minimal
	// profiles turn it off).
	Enabled *bool `json:"enabled,omitempty"`
	// Resources of the injected istio-proxy container (default
	// upstream's: requests 100m and 128Mi, limits 2000m and 1024Mi).
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}

func (i *Injection) setDefaults() {
	if i.Enabled == nil {
		i.Enabled = ptr(true)
	}
}

func (i *Injection) validate(p *problems) {
	validateResources(p, "spec.injection.resources", i.Resources)
}

// Injecting reports whether the mesh injects sidecars.
func (s *MeshSpec) Injecting() bool {
	return s.Injection.Enabled != nil && *s.Injection.Enabled
}
