package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/naming"
)

// Egress is the egress gateway: the proxy that traffic leaving the mesh
// can be sent through, behind a ClusterIP Service, hardened like the
// ingress gateways.
//
// +k8s:deepcopy-gen=true
type Egress struct {
	// Enabled renders the egress gateway (default false).
	Enabled *bool `json:"enabled,omitempty"`
	// Namespace of the egress gateway (default istio-system, as upstream);
	// a namespace of its own is rendered Pod Security restricted. It must
	// not hold an ingress gateway.
	Namespace string `json:"namespace,omitempty"`
	// Replicas bounds its autoscaler (default 2 to 5 at 80% CPU).
	Replicas Replicas `json:"replicas,omitzero"`
	// Resources of the istio-proxy container (default upstream's).
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// RollingUpdate bounds its rollouts (default 100% surge, 25%
	// unavailable).
	RollingUpdate RollingUpdate `json:"rollingUpdate,omitzero"`
	// Ports of its Service (default http2 80->8080, https 443->8443 and
	// tls 15443->15443, for mTLS to services outside the mesh).
	Ports []GatewayPort `json:"ports,omitempty"`
	// Env is added to the istio-proxy container's environment.
	Env []corev1.EnvVar `json:"env,omitempty"`
	// Revision is the revision or tag the egress gateway follows (default
	// the tag "default", or the one control plane).
	Revision string `json:"revision,omitempty"`
}

func (e *Egress) setDefaults(istiodNamespace string) {
	if e.Enabled == nil {
		e.Enabled = ptr(false)
	}
	if e.Namespace == "" {
		e.Namespace = istiodNamespace
	}
	defaultReplicas(&e.Replicas, 2, 5)
	if e.Resources == nil {
		e.Resources = gatewayResources()
	}
	if e.Ports == nil {
		e.Ports = []GatewayPort{{Name: "http2", Port: 80, TargetPort: 8080}, {Name: "https", Port: 443, TargetPort: 8443}, {Name: "tls", Port: 15443, TargetPort: 15443}}
	}
	defaultTargetPorts(e.Ports)
}

func (t *Topology) validateEgress(p *problems) {
	e := &t.spec.Egress
	if !*e.Enabled {
		return
	}
	t.validateFollowedRevision(p, "spec.egress.revision", e.Revision)
	validateNamespaceName(p, "spec.egress.namespace", e.Namespace)
	validateReplicas(p, "spec.egress.replicas", e.Replicas, 1)
	validateResources(p, "spec.egress.resources", e.Resources)
	validateRollingUpdate(p, "spec.egress.rollingUpdate", e.RollingUpdate)
	validatePorts(p, "spec.egress.ports", e.Ports)
	validateEnv(p, "spec.egress.env", e.Env, gateway.EnvNames)
}

// egressSelector selects the egress gateway's pods, as upstream labels
// them.
func egressSelector() map[string]string {
	return map[string]string{naming.LabelApp: gateway.EgressName, naming.LabelIstio: "egressgateway"}
}
