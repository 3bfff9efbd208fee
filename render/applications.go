package render

import (
	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/application"
	"github.com/meshrender/meshrender/render/internal/gateway"
)

// applicationComponents plans the applications, in the applications
// layer after the gateways that serve them and the issuer their
// certificates come from: what an application has in its own namespace
// in applications/<namespace>, one component per application
// namespace, and its Istio Gateways and Certificates in
// applications/<gateway namespace>, one per gateway namespace. Planned
// per application, the components of one name are merged by the plan.
func applicationComponents(t *topology) []component {
	var out []component
	for i := range t.applications {
		a := &t.applications[i]
		v := t.applicationValues(a)
		out = append(out, component{
			Name:  string(LayerApplications) + "/" + a.Metadata.Namespace,
			Field: "applications",
			Layer: LayerApplications,
			Build: func() ([]typedObject, error) { return application.Objects(v), nil },
		})
		if v.Ingress == nil {
			continue
		}
		for _, g := range v.Ingress.Gateways {
			out = append(out, component{
				Name:  string(LayerApplications) + "/" + g.Namespace,
				Field: "applications",
				Layer: LayerApplications,
				Build: func() ([]typedObject, error) {
					objs := []typedObject{application.GatewayObject(v, g)}
					if a.Issued() {
						objs = append(objs, certificate(&t.spec.Certificates, v.Meta, g.Namespace, v1alpha1.GatewayCertificate{
							Name: a.ObjectName(), SecretName: a.CredentialName(), DNSNames: v.Ingress.Hosts, PrivateKeyAlgorithm: "ECDSA",
						}))
					}
					return objs, nil
				},
			})
		}
	}
	return out
}

// applicationValues are what one valid application's objects are built
// from.
func (t *topology) applicationValues(a *v1alpha1.Application) application.Values {
	s := &a.Spec
	v := application.Values{
		Meta: t.meta(t.ClusterWide.Version), Name: a.Metadata.Name, Namespace: a.Metadata.Namespace,
		GatewayObjectName: a.ObjectName(), Selector: s.Selector,
		NetworkPolicy: t.spec.IsolatesNetwork(),
	}
	if m := s.Mesh; m != nil {
		v.AllowedNamespaces = m.AllowedNamespaces
		if c := m.ConnectionPool; c != nil {
			v.ConnectionPool = application.ConnectionPool(c.MaxConnections, c.MaxPendingRequests, c.MaxRequestsPerConnection)
		}
		if o := m.OutlierDetection; o != nil {
			v.OutlierDetection = application.OutlierDetection(o.Consecutive5xxErrors, o.Interval, o.BaseEjectionTime, o.MaxEjectionPercent)
		}
	}
	in := s.Ingress
	if in == nil {
		return v
	}
	gateways := t.GatewaysOf(a.Set())
	ing := &application.Ingress{Hosts: in.Hosts, Port: in.Port, Mode: in.TLS.Mode, Claims: in.Claims}
	if in.TLS.Mode != v1alpha1.TLSPassthrough {
		ing.CredentialName = a.CredentialName()
	}
	if ca := in.TLS.ClientCA; ca != nil && ca.SecretName != ing.CredentialName && ca.SecretName != ing.CredentialName+"-cacert" {
		// Istio finds <credentialName>-cacert, or ca.crt in the
		// credential itself, without being told.
		ing.CACertCredentialName = ca.SecretName
	}
	if len(in.Claims) > 0 && len(gateways) > 0 && gateways[0].JWT != nil {
		ing.JWTRules = jwtRules(gateways[0].JWT)
	}
	for _, g := range gateways {
		ing.Gateways = append(ing.Gateways, application.Gateway{
			Namespace: g.Namespace, Selector: g.Selector,
			Principal: t.TrustDomain + "/ns/" + g.Namespace + "/sa/" + gateway.ServiceAccountName(g.Name),
		})
	}
	for _, r := range in.Routes {
		route := application.Route{Service: r.Destination.Service, Port: r.Destination.Port, TargetPort: r.Destination.TargetPort, Timeout: r.Timeout}
		if m := r.Match; m != nil {
			route.PathPrefix, route.PathExact = m.PathPrefix, m.PathExact
		}
		for _, ver := range r.Destination.Versions {
			route.Versions = append(route.Versions, application.Version{Name: ver.Name, Weight: ver.Weight})
		}
		if rt := r.Retries; rt != nil {
			route.Retries = &application.Retries{Attempts: rt.Attempts, PerTryTimeout: rt.PerTryTimeout, RetryOn: rt.RetryOn}
		}
		ing.Routes = append(ing.Routes, route)
	}
	v.Ingress = ing
	return v
}

// issuesForApplications reports whether an application takes its
// certificate from the mesh's issuer on the gateways of a set, which
// then need a namespaced issuer of their own.
func (t *topology) issuesForApplications(set string) bool {
	for i := range t.applications {
		if a := &t.applications[i]; a.Issued() && a.Set() == set {
			return true
		}
	}
	return false
}
