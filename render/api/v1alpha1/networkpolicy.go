package v1alpha1

import (
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation"
)

// NetworkPolicy is network isolation: NetworkPolicies that let into
// meshrender's namespaces exactly what Istio needs, and the reference
// architecture's policies for application namespaces. Policies select
// pods and namespaces by the labels meshrender renders.
//
// +k8s:deepcopy-gen=true
type NetworkPolicy struct {
	// Enabled renders the policies (default false). Every namespace
	// meshrender owns then denies ingress by default; istiod accepts xDS
	// and CA requests (15010, 15012) from every pod of the cluster, so no
	// sidecar anywhere is cut off, and webhook calls (15017) from
	// APIServerCIDRs; each ingress gateway accepts its Service ports and
	// the status port from anywhere; the egress gateway accepts its ports
	// from every pod. istio-cni's namespace is left alone. Egress is not
	// restricted: istiod must reach the API server and the gateways their
	// backends, which a NetworkPolicy cannot name portably.
	Enabled *bool `json:"enabled,omitempty"`
	// MonitoringNamespace, when set, may scrape istiod (15014) and the
	// proxies' metrics (15020, 15090) in meshrender's namespaces and the
	// application namespaces with policies.
	MonitoringNamespace string `json:"monitoringNamespace,omitempty"`
	// APIServerCIDRs are where the API server calls istiod's webhooks
	// from (default 0.0.0.0/0 and ::/0: NetworkPolicy cannot select the
	// API server by label, and its addresses are the cluster's).
	APIServerCIDRs []string `json:"apiServerCIDRs,omitempty"`
	// Namespaces are the application namespaces, each one of
	// spec.namespaces, that get the reference architecture's policies.
	Namespaces []NamespacePolicy `json:"namespaces,omitempty"`
}

// NamespacePolicy says which of the reference architecture's policies an
// application namespace gets; each is on unless turned off.
//
// +k8s:deepcopy-gen=true
type NamespacePolicy struct {
	// Name is a namespace of spec.namespaces.
	Name string `json:"name"`
	// DenyByDefault (deny-by-default) lets in nothing another policy does
	// not allow.
	DenyByDefault *bool `json:"denyByDefault,omitempty"`
	// AllowFromIngress (allow-from-istio-namespace) lets in every ingress
	// gateway, by the label istio-control-namespace=true meshrender puts
	// on their namespaces.
	AllowFromIngress *bool `json:"allowFromIngress,omitempty"`
	// AllowSameNamespace (allow-same-namespace) lets the namespace's pods
	// reach each other.
	AllowSameNamespace *bool `json:"allowSameNamespace,omitempty"`
}

func (n *NetworkPolicy) setDefaults() {
	if n.Enabled == nil {
		n.Enabled = ptr(false)
	}
	if len(n.APIServerCIDRs) == 0 {
		n.APIServerCIDRs = []string{"0.0.0.0/0", "::/0"}
	}
	for i := range n.Namespaces {
		ns := &n.Namespaces[i]
		for _, b := range []**bool{&ns.DenyByDefault, &ns.AllowFromIngress, &ns.AllowSameNamespace} {
			if *b == nil {
				*b = ptr(true)
			}
		}
	}
}

// IsolatesNetwork reports whether the mesh renders NetworkPolicies.
func (s *MeshSpec) IsolatesNetwork() bool {
	return s.NetworkPolicy.Enabled != nil && *s.NetworkPolicy.Enabled
}

func (s *MeshSpec) validateNetworkPolicy(p *problems) {
	n := &s.NetworkPolicy
	const field = "spec.networkPolicy"
	if !*n.Enabled {
		if n.MonitoringNamespace != "" || len(n.Namespaces) > 0 {
			p.add(field+".enabled", "is false, so the policies configured here would not be rendered")
		}
		return
	}
	if ns := n.MonitoringNamespace; ns != "" {
		for _, msg := range validation.IsDNS1123Label(ns) {
			p.add(field+".monitoringNamespace", "%q is not a namespace name: %s", ns, msg)
		}
	}
	for i, c := range n.APIServerCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			p.add(fmt.Sprintf("%s.apiServerCIDRs[%d]", field, i), "%q is not a CIDR such as 10.0.0.0/8", c)
		}
	}
	inMesh := map[string]bool{}
	for _, ns := range s.Namespaces {
		inMesh[ns.Name] = true
	}
	seen := map[string]int{}
	for i, ns := range n.Namespaces {
		f := fmt.Sprintf("%s.namespaces[%d].name", field, i)
		if !inMesh[ns.Name] {
			p.add(f, "%q is not in spec.namespaces; policies are rendered for the application namespaces of the mesh", ns.Name)
		}
		if j, ok := seen[ns.Name]; ok {
			p.add(f, "duplicate namespace %q (also %s.namespaces[%d])", ns.Name, field, j)
		}
		seen[ns.Name] = i
	}
}
