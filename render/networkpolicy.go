package render

import (
	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/naming"
	"github.com/meshrender/meshrender/render/internal/netpol"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/ownership"
	networkingv1 "k8s.io/api/networking/v1"
)

// The ports NetworkPolicies open.
const (
	portXDS        = 15010
	portXDSTLS     = 15012
	portWebhooks   = 15017
	portMonitoring = 15014
	portMerged     = 15020
	portEnvoyStats = 15090
)

// istiodNetworkPolicies let into istiod's pods, of every revision, what
// Istio needs: xDS and certificates from every pod of the cluster,
// webhook calls from the API server, monitoring from its namespace.
func (t *topology) istiodNetworkPolicies(meta objects.Meta) []typedObject {
	s := t.spec
	n := &s.NetworkPolicy
	rules := []networkingv1.NetworkPolicyIngressRule{
		netpol.Rule(netpol.AnyPod(), portXDS, portXDSTLS),
		netpol.Rule(netpol.CIDRs(n.APIServerCIDRs), portWebhooks),
	}
	if n.MonitoringNamespace != "" {
		rules = append(rules, netpol.Rule(netpol.Namespace(n.MonitoringNamespace), portMonitoring))
	}
	return append(t.denyByDefault(meta, s.Istiod.Namespace, istiodField),
		netpol.Allow(meta, s.Istiod.Namespace, "istiod", map[string]string{naming.LabelApp: "istiod"}, rules...))
}

// denyByDefault is deny-by-default in a namespace meshrender owns, from
// its first owner alone, so that a namespace shared by istiod and a
// gateway gets it once.
func (t *topology) denyByDefault(meta objects.Meta, namespace, owner string) []typedObject {
	if ns := t.Namespace(namespace); ns == nil || ns.Field != owner {
		return nil
	}
	return []typedObject{netpol.DenyByDefault(meta, namespace)}
}

// gatewayNetworkPolicy lets into a gateway's pods its Service's target
// ports from from (nil for anywhere) and the status port, and its
// metrics from the monitoring namespace.
func gatewayNetworkPolicy(s *v1alpha1.MeshSpec, meta objects.Meta, namespace, name string, pods map[string]string, ports []v1alpha1.GatewayPort, from []networkingv1.NetworkPolicyPeer) typedObject {
	var targets []int32
	for _, p := range ports {
		targets = append(targets, p.TargetPort)
	}
	if from == nil {
		// Load balancers check the status port from outside.
		targets = append(targets, gateway.StatusPort)
	}
	rules := []networkingv1.NetworkPolicyIngressRule{netpol.Rule(from, targets...)}
	if ns := s.NetworkPolicy.MonitoringNamespace; ns != "" {
		rules = append(rules, netpol.Rule(netpol.Namespace(ns), portMerged, portEnvoyStats))
	}
	return netpol.Allow(meta, namespace, name, pods, rules...)
}

// applicationNetworkPolicies are the reference architecture's policies
// of one application namespace.
func applicationNetworkPolicies(s *v1alpha1.MeshSpec, meta objects.Meta, np v1alpha1.NamespacePolicy) []typedObject {
	var out []typedObject
	if *np.DenyByDefault {
		out = append(out, netpol.DenyByDefault(meta, np.Name))
	}
	if *np.AllowFromIngress {
		out = append(out, netpol.Allow(meta, np.Name, netpol.AllowFromIngressName, nil,
			netpol.Rule(netpol.NamespacesLabelled(map[string]string{netpol.IngressGatewayNamespaceLabel: "true"}))))
	}
	if *np.AllowSameNamespace {
		out = append(out, netpol.Allow(meta, np.Name, netpol.AllowSameNamespaceName, nil, netpol.Rule(netpol.SameNamespace())))
	}
	if *np.DenyByDefault && s.InAmbient(np.Name) {
		// The kubelet's probes of ambient pods come from istio-cni's
		// SNAT address, not the node's.
		out = append(out, netpol.Allow(meta, np.Name, netpol.AllowProbesName, nil, netpol.Rule(netpol.CIDRs([]string{netpol.AmbientProbeSource}))))
		// Ambient pods of other namespaces call in over HBONE, whose
		// tunnel hides the port called: ztunnel's authorization
		// policies, which see it and the caller's identity, decide.
		out = append(out, netpol.Allow(meta, np.Name, netpol.AllowHBONEName, nil,
			netpol.Rule(netpol.NamespacesLabelled(map[string]string{ownership.LabelDataPlaneMode: v1alpha1.DataPlaneAmbient}), netpol.HBONEPort)))
		// Every caller of what uses a waypoint reaches the waypoint,
		// sidecars and gateways included; it enforces the L7 policy.
		for _, w := range s.Waypoints(np.Name) {
			out = append(out, netpol.Allow(meta, np.Name, netpol.AllowToWaypointPrefix+w.Name, map[string]string{netpol.WaypointPodLabel: w.Name},
				netpol.Rule(netpol.AnyPod(), netpol.HBONEPort)))
		}
	}
	if ns := s.NetworkPolicy.MonitoringNamespace; ns != "" && *np.DenyByDefault {
		out = append(out, netpol.Allow(meta, np.Name, netpol.AllowMonitoringName, nil, netpol.Rule(netpol.Namespace(ns), portMerged, portEnvoyStats)))
	}
	return out
}
