package render

import (
	networkingv1 "k8s.io/api/networking/v1"

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
	for _, g := range t.gateways {
		values := t.gatewayValues(g)
		proxyConfig := g.plane.proxyConfig
		out = append(out, component{
			Name:       string(LayerGateways) + "/" + g.namespace,
			Field:      g.field,
			Layer:      LayerGateways,
			Namespaces: []namespaceSpec{t.namespace(g.namespace).namespaceSpec},
			Build: func() ([]typedObject, error) {
				var err error
				if values.ProxyConfig, err = proxyConfig(); err != nil {
					return nil, err
				}
				return gateway.Objects(values), nil
			},
		})
		if policies := t.gatewayPolicies(g); policies != nil {
			out = append(out, policyComponent(LayerPolicies, g.namespace, g.field, policies))
		}
		if certificates := t.gatewayCertificates(g); certificates != nil {
			out = append(out, policyComponent(LayerCertificates, g.namespace, "spec.certificates.gateways", certificates))
		}
	}
	return out
}

// gatewayValues are what a gateway's objects are built from.
func (t *topology) gatewayValues(g *meshGateway) gateway.Values {
	s := t.spec
	cp := g.plane
	w := g.workload
	values := gateway.Values{
		Meta: t.meta(cp.version), Name: g.name, Namespace: g.namespace, Selector: g.selector,
		Zone: g.zone, Zones: s.Zones, Revision: cp.names.RevLabel(),
		Workload: objects.Workload{
			Image: t.image(cp, "proxyv2"), PullSecrets: s.Registry.PullSecrets,
			MinReplicas: g.min, MaxReplicas: g.max, TargetCPU: derefOr(w.targetCPU, 0),
			Resources: *w.resources, MaxSurge: w.rollingUpdate.MaxSurge, MaxUnavailable: w.rollingUpdate.MaxUnavailable,
			Env: w.env,
		},
		Service: gateway.Service{
			Type: g.service.Type, ExternalTrafficPolicy: g.service.ExternalTrafficPolicy,
			Annotations: g.service.Annotations, LoadBalancerClass: g.service.LoadBalancerClass,
		},
		Ingress:          !g.egress(),
		Ports:            gatewayPorts(g.ports),
		DiscoveryAddress: cp.names.DiscoveryAddress(),
		TrustDomain:      t.trustDomain,
	}
	return values
}

func gatewayPorts(ports []GatewayPort) []gateway.Port {
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
func (t *topology) gatewayPolicies(g *meshGateway) func() []typedObject {
	s := t.spec
	c := &s.Certificates
	teams := t.teamsOf(g.set)
	namespacedIssuer := c.Issuer.Kind == certmanager.KindIssuer && len(t.certificatesOf(g.set)) > 0
	if !s.networkPolicies() && g.jwt == nil && len(teams) == 0 && !namespacedIssuer {
		return nil
	}
	return func() []typedObject {
		meta := t.meta(t.clusterWide.version)
		var out []typedObject
		if s.networkPolicies() {
			out = append(out, t.denyByDefault(meta, g.namespace, g.field)...)
			var from []networkingv1.NetworkPolicyPeer
			if g.egress() {
				from = netpol.AnyPod()
			}
			out = append(out, gatewayNetworkPolicy(s, meta, g.namespace, g.name, g.selector, g.ports, from))
		}
		if g.jwt != nil {
			out = append(out, jwtPolicies(meta, g.namespace, g.selector, g.jwt)...)
		}
		if namespacedIssuer {
			out = append(out, certmanager.IssuerObjects(c.issuerValues(meta, g.namespace))...)
		}
		for _, team := range teams {
			out = append(out, certmanager.TeamBinding(meta, g.namespace, team.Name+"-gateway-config", GatewayConfigRole, team.subjects()))
		}
		return out
	}
}

// gatewayCertificates builds the certificates of a gateway's set in its
// namespace, or is nil when it has none.
func (t *topology) gatewayCertificates(g *meshGateway) func() []typedObject {
	certs := t.certificatesOf(g.set)
	if len(certs) == 0 {
		return nil
	}
	return func() []typedObject {
		meta := t.meta(t.clusterWide.version)
		out := make([]typedObject, len(certs))
		for i, cert := range certs {
			out[i] = t.spec.Certificates.certificate(meta, g.namespace, cert)
		}
		return out
	}
}
