package v1alpha1

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/render/internal/cni"
)

// CNI is istio-cni, the node agent that sets up each injected pod's
// traffic redirection, so that injected pods need no init container with
// NET_ADMIN and NET_RAW and pass Pod Security "restricted".
//
// +k8s:deepcopy-gen=true
type CNI struct {
	// Enabled runs istio-cni on every node (default false).
	Enabled *bool `json:"enabled,omitempty"`
	// Namespace the agent runs in (default kube-system). meshrender never
	// renders or relabels kube-system; a namespace of its own is rendered
	// with Pod Security "privileged", which a node agent needs.
	Namespace string `json:"namespace,omitempty"`
	// Resources of the install-cni container (default upstream's requests,
	// 100m and 100Mi, and a memory limit of 1Gi).
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// DefaultCNINamespace is where istio-cni runs unless spec.cni.namespace
// says otherwise.
const DefaultCNINamespace = cni.DefaultNamespace

func (c *CNI) setDefaults() {
	if c.Enabled == nil {
		c.Enabled = ptr(false)
	}
	if c.Namespace == "" {
		c.Namespace = DefaultCNINamespace
	}
	if c.Resources == nil {
		r := cni.DefaultResources()
		c.Resources = &r
	}
}

func (s *MeshSpec) validateCNI(p *problems) {
	c := &s.CNI
	validateResources(p, "spec.cni.resources", c.Resources)
	if c.Namespace == DefaultCNINamespace {
		return
	}
	if slices.Contains(systemNamespaces, c.Namespace) {
		p.add("spec.cni.namespace", "%q is a system namespace; istio-cni runs in kube-system or in a namespace of its own", c.Namespace)
		return
	}
	for _, msg := range validation.IsDNS1123Label(c.Namespace) {
		p.add("spec.cni.namespace", "%q is not a namespace name: %s", c.Namespace, msg)
	}
	// The node agent's namespace is privileged; nothing else may share it.
	if c.Namespace == s.Istiod.Namespace {
		p.add("spec.cni.namespace", "%q is istiod's namespace, which is Pod Security restricted; istio-cni needs a privileged namespace of its own", c.Namespace)
	}
}

// CNIEnabled reports whether the mesh runs istio-cni.
func (s *MeshSpec) CNIEnabled() bool {
	return s.CNI.Enabled != nil && *s.CNI.Enabled
}
