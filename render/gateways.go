package render

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/certmanager"
	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/netpol"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// gatewayComponents plans every gateway of the mesh, each in its own
// namespace: the gateway itself in gateways/<namespace>; what guards it
// in policies/<namespace> (its NetworkPolicies, its JWT policies and its
// teams' RoleBindings, with a namespaced issuer the issuer); and its
// certificates in certificates/<namespace>, applied once their issuer
// exists.
func gatewayComponents(t *topology) []component {
	var out []component
	for _, g := range t.Gateways {
		values := t.gatewayValues(g)
		proxyConfig := t.proxyConfigs[g.Plane]
		out = append(out, component{
			Name:       string(LayerGateways) + "/" + g.Namespace,
			Field:      g.Field,
			Layer:      LayerGateways,
			Namespaces: []namespaceSpec{ownedSpec(t.Namespace(g.Namespace))},
			Build: func() ([]typedObject, error) {
				var err error
				if values.ProxyConfig, err = proxyConfig(); err != nil {
					return nil, err
				}
				objs := gateway.Objects(values)
				if g.Set == v1alpha1.GatewaySetEastWest {
					objs = append(objs, gateway.CrossNetworkGateway(values, v1alpha1.EastWestPort))
				}
				return objs, nil
			},
		})
		if policies := t.gatewayPolicies(g); policies != nil {
			out = append(out, policyComponent(LayerPolicies, g.Namespace, g.Field, policies))
		}
		if certificates := t.gatewayCertificates(g); certificates != nil {
			out = append(out, policyComponent(LayerCertificates, g.Namespace, "spec.certificates.gateways", certificates))
		}
	}
	return out
}

// gatewayValues are what a gateway's objects are built from.
func (t *topology) gatewayValues(g *v1alpha1.Gateway) gateway.Values {
	s := t.spec
	cp := g.Plane
	w := g.Workload
	values := gateway.Values{
		Meta: t.meta(cp.Version), Name: g.Name, Namespace: g.Namespace, Selector: g.Selector,
		Zone: g.Zone, Zones: s.Zones, Revision: cp.RevisionLabel(),
		Workload: objects.Workload{
			Image: t.Image(cp, "proxyv2"), PullSecrets: s.Registry.PullSecrets,
			MinReplicas: g.Min, MaxReplicas: g.Max, TargetCPU: derefOr(w.TargetCPU, 0),
			Resources: *w.Resources, MaxSurge: w.RollingUpdate.MaxSurge, MaxUnavailable: w.RollingUpdate.MaxUnavailable,
			Env: w.Env,
		},
		Service: gateway.Service{
			Type: g.Service.Type, ExternalTrafficPolicy: g.Service.ExternalTrafficPolicy,
			Annotations: g.Service.Annotations, LoadBalancerClass: g.Service.LoadBalancerClass,
		},
		Ingress:          !g.Egress(),
		Ports:            gatewayPorts(g.Ports),
		DiscoveryAddress: cp.DiscoveryAddress(),
		TrustDomain:      t.TrustDomain,
		MeshID:           t.MeshID,
		ClusterID:        t.spec.MultiCluster.ClusterName,
		Network:          t.spec.MultiCluster.Network,
	}
	return values
}

func gatewayPorts(ports []v1alpha1.GatewayPort) []gateway.Port {
	out := make([]gateway.Port, len(ports))
	for i, p := range ports {
		out[i] = gateway.Port{Name: p.Name, Port: p.Port, TargetPort: p.TargetPort}
	}
	return out
}

// gatewayPolicies builds what guards a gateway: with network isolation,
// deny-by-default in the namespace it owns and what may reach its pods
// (for the ingress gateways their ports and status port from anywhere,
// for the egress gateway its ports from every pod); its end-user
// authentication; its teams' RoleBindings and a namespaced issuer for
// its certificates. It is nil when nothing guards the gateway.
func (t *topology) gatewayPolicies(g *v1alpha1.Gateway) func() []typedObject {
	s := t.spec
	c := &s.Certificates
	teams := t.teamsOf(g.Set)
	namespacedIssuer := c.Issuer.Kind == certmanager.KindIssuer && (len(t.certificatesOf(g.Set)) > 0 || t.issuesForApplications(g.Set))
	if !s.IsolatesNetwork() && g.JWT == nil && len(teams) == 0 && !namespacedIssuer {
		return nil
	}
	return func() []typedObject {
		meta := t.meta(t.ClusterWide.Version)
		var out []typedObject
		if s.IsolatesNetwork() {
			out = append(out, t.denyByDefault(meta, g.Namespace, g.Field)...)
			var from []networkingv1.NetworkPolicyPeer
			if g.Egress() {
				from = netpol.AnyPod()
			}
			out = append(out, gatewayNetworkPolicy(s, meta, g.Namespace, g.Name, g.Selector, g.Ports, from))
		}
		if g.JWT != nil {
			out = append(out, jwtPolicies(meta, g.Namespace, g.Selector, g.JWT)...)
		}
		if namespacedIssuer {
			out = append(out, certmanager.IssuerObjects(issuerValues(c, meta, g.Namespace))...)
		}
		for _, team := range teams {
			out = append(out, certmanager.TeamBinding(meta, g.Namespace, team.Name+"-gateway-config", v1alpha1.GatewayConfigRole, subjects(team)))
		}
		return out
	}
}

// gatewayCertificates builds the certificates of a gateway's set in its
// namespace, or is nil when it has none.
func (t *topology) gatewayCertificates(g *v1alpha1.Gateway) func() []typedObject {
	certs := t.certificatesOf(g.Set)
	if len(certs) == 0 {
		return nil
	}
	return func() []typedObject {
		meta := t.meta(t.ClusterWide.Version)
		out := make([]typedObject, len(certs))
		for i, cert := range certs {
			out[i] = certificate(&t.spec.Certificates, meta, g.Namespace, cert)
		}
		return out
	}
}
