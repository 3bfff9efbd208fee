// Package netpol builds NetworkPolicies: the ingress a namespace's pods
// accept, by the labels meshrender renders on pods and namespaces.
package netpol

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// app labels every NetworkPolicy meshrender renders.
const app = "network-isolation"

// Names of the policies of an application namespace, as the reference
// architecture names them.
const (
	DenyByDefaultName      = "deny-by-default"
	AllowFromIngressName   = "allow-from-istio-namespace"
	AllowSameNamespaceName = "allow-same-namespace"
	AllowMonitoringName    = "allow-from-monitoring"
	AllowProbesName        = "allow-ambient-probes"
	AllowHBONEName         = "allow-hbone-from-ambient"
	// AllowToWaypointPrefix, followed by a waypoint's name, names the
	// policy that lets the mesh reach that waypoint.
	AllowToWaypointPrefix = "allow-to-waypoint-"
)

// WaypointPodLabel is the label istiod puts on a waypoint's pods, whose
// value is the waypoint's Gateway name.
const WaypointPodLabel = "gateway.networking.k8s.io/gateway-name"

// AmbientProbeSource is the address istio-cni gives the kubelet's probes
// of ambient pods (it SNATs them, so that ztunnel lets them through
// unauthenticated): NetworkPolicies that do not admit it fail the
// probes on CNIs that enforce policy on host traffic.
const AmbientProbeSource = "169.254.7.127/32"

// HBONEPort is where ambient pods accept mutual TLS from ztunnel,
// waypoints and sidecars: in-pod redirection keeps the caller's pod
// address, so a policy that admits a caller must admit this port.
const HBONEPort = 15008

// IngressGatewayNamespaceLabel marks the namespaces of the ingress
// gateways, which application namespaces accept traffic from.
const IngressGatewayNamespaceLabel = "istio-control-namespace"

// DenyByDefault accepts no ingress to any pod of the namespace but what
// another policy allows.
func DenyByDefault(meta objects.Meta, namespace string) *networkingv1.NetworkPolicy {
	return Allow(meta, namespace, DenyByDefaultName, nil)
}

// Allow accepts what the rules allow to the pods with the labels (every
// pod of the namespace for none).
func Allow(meta objects.Meta, namespace, name string, pods map[string]string, rules ...networkingv1.NetworkPolicyIngressRule) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: meta.ObjectMeta(name, namespace, app, nil),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: pods},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     rules,
		},
	}
}

// Rule is an ingress rule from peers to ports; no peers is from anywhere,
// no ports is every port.
func Rule(from []networkingv1.NetworkPolicyPeer, ports ...int32) networkingv1.NetworkPolicyIngressRule {
	r := networkingv1.NetworkPolicyIngressRule{From: from}
	for _, p := range ports {
		tcp := corev1.ProtocolTCP
		port := intstr.FromInt32(p)
		r.Ports = append(r.Ports, networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &port})
	}
	return r
}

// AnyPod is every pod of every namespace: the mesh.
func AnyPod() []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}
}

// NamespacesLabelled are the pods of the namespaces with the labels.
func NamespacesLabelled(labels map[string]string) []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: labels}}}
}

// Namespace is the pods of one namespace, by the name label Kubernetes
// puts on every namespace.
func Namespace(name string) []networkingv1.NetworkPolicyPeer {
	return NamespacesLabelled(map[string]string{corev1.LabelMetadataName: name})
}

// SameNamespace is the pods of the policy's own namespace.
func SameNamespace() []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}
}

// CIDRs are the addresses of the blocks, such as the API server's.
func CIDRs(cidrs []string) []networkingv1.NetworkPolicyPeer {
	out := make([]networkingv1.NetworkPolicyPeer, len(cidrs))
	for i, c := range cidrs {
		out[i] = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}}
	}
	return out
}
