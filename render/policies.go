package render

import (
	"github.com/meshrender/meshrender/render/internal/certmanager"
	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/netpol"
)

// policyComponents plans the mesh admin's security layer: in the policies
// layer, one component per namespace, policies/<namespace>, with its
// NetworkPolicies, its gateway's JWT policies, its teams' RoleBindings
// and, for a namespaced issuer, the issuer; the cluster issuer with its
// ServiceAccount and RBAC and the teams' ClusterRole in
// policies/certificate-issuer; and, in the certificates layer, each
// gateway namespace's Certificates in certificates/<namespace>, applied
// once their issuer exists.
func policyComponents(m *Mesh, _ *problems) []Component {
	s := &m.Spec
	meta := meshMeta(m, s.clusterWide().version)
	policies := newObjectsByNamespace()
	gateways := ingressGateways(s)
	if s.networkPolicies() {
		policies.add(s.Istiod.Namespace, istiodNetworkPolicies(s, meta)...)
		for _, g := range gateways {
			policies.add(g.namespace, netpol.DenyByDefault(meta, g.namespace),
				gatewayNetworkPolicy(s, meta, g.namespace, gateway.IngressName, g.selector, s.Ingress.Ports, nil))
		}
		if e := &s.Egress; *e.Enabled {
			if e.Namespace != s.Istiod.Namespace {
				policies.add(e.Namespace, netpol.DenyByDefault(meta, e.Namespace))
			}
			policies.add(e.Namespace, gatewayNetworkPolicy(s, meta, e.Namespace, gateway.EgressName, egressSelector(), e.Ports, netpol.AnyPod()))
		}
		for _, np := range s.NetworkPolicy.Namespaces {
			policies.add(np.Name, applicationNetworkPolicies(s, meta, np)...)
		}
	}
	for _, g := range gateways {
		if g.jwt != nil {
			policies.add(g.namespace, jwtPolicies(meta, g.namespace, g.selector, g.jwt)...)
		}
	}

	c := &s.Certificates
	certificates := newObjectsByNamespace()
	var issuer []TypedObject
	if !c.IsZero() {
		sets := s.gatewaySets(gateways)
		for _, g := range c.Gateways {
			for _, ns := range sets[g.Gateway] {
				certificates.add(ns, c.certificate(meta, ns, g))
			}
		}
		if c.Issuer.Kind == certmanager.KindClusterIssuer {
			issuer = append(issuer, certmanager.IssuerObjects(c.issuerValues(meta, c.CertManager.Namespace))...)
		} else {
			for _, ns := range certificates.namespaces {
				policies.add(ns, certmanager.IssuerObjects(c.issuerValues(meta, ns))...)
			}
		}
		if len(c.Teams) > 0 {
			issuer = append(issuer, certmanager.GatewayConfigRole(meta, GatewayConfigRole))
		}
		for _, t := range c.Teams {
			for _, set := range t.Gateways {
				for _, ns := range sets[set] {
					policies.add(ns, certmanager.TeamBinding(meta, ns, t.Name+"-gateway-config", GatewayConfigRole, t.subjects()))
				}
			}
		}
	}

	var out []Component
	if len(issuer) > 0 {
		out = append(out, staticComponent(LayerPolicies, "certificate-issuer", "spec.certificates", issuer))
	}
	out = append(out, policies.components(LayerPolicies, "spec.networkPolicy")...)
	return append(out, certificates.components(LayerCertificates, "spec.certificates.gateways")...)
}

// objectsByNamespace collects objects per namespace, in the order the
// namespaces first come.
type objectsByNamespace struct {
	namespaces []string
	objects    map[string][]TypedObject
}

func newObjectsByNamespace() *objectsByNamespace {
	return &objectsByNamespace{objects: map[string][]TypedObject{}}
}

func (o *objectsByNamespace) add(namespace string, objs ...TypedObject) {
	if _, seen := o.objects[namespace]; !seen {
		o.namespaces = append(o.namespaces, namespace)
	}
	o.objects[namespace] = append(o.objects[namespace], objs...)
}

// components are one component per namespace, <layer>/<namespace>.
func (o *objectsByNamespace) components(layer Layer, field string) []Component {
	var out []Component
	for _, ns := range o.namespaces {
		out = append(out, staticComponent(layer, ns, field, o.objects[ns]))
	}
	return out
}

// staticComponent is a component of objects built while planning.
func staticComponent(layer Layer, part, field string, objs []TypedObject) Component {
	return Component{
		Name:  string(layer) + "/" + part,
		Field: field,
		Layer: layer,
		Build: func() ([]TypedObject, error) { return objs, nil },
	}
}
