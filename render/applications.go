package render

import (
	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/application"
	"github.com/meshrender/meshrender/render/internal/gateway"
)

// applicationComponents plans the applications, one component per
// application namespace in applications/<namespace>, after the gateways
// that serve them and the issuer their certificates come from: the
// Istio Gateways and Certificates in the gateways' namespaces, the
// routes, DestinationRules and policies in the application's own.
func applicationComponents(t *topology) []component {
	var out []component
	for i := 0; i < len(t.applications); {
		ns := t.applications[i].Metadata.Namespace
		j := i
		for j < len(t.applications) && t.applications[j].Metadata.Namespace == ns {
			j++
		}
		apps := t.applications[i:j]
		out = append(out, component{
			Name:  string(LayerApplications) + "/" + ns,
			Field: "applications",
			Layer: LayerApplications,
			Build: func() ([]typedObject, error) {
				var objs []typedObject
				for k := range apps {
					objs = append(objs, t.applicationObjects(&apps[k])...)
				}
				return objs, nil
			},
		})
		i = j
	}
	return out
}

// applicationObjects are one valid application's objects.
func (t *topology) applicationObjects(a *v1alpha1.Application) []typedObject {
	meta := t.meta(t.ClusterWide.Version)
	s := &a.Spec
	v := application.Values{
		Meta: meta, Name: a.Metadata.Name, Namespace: a.Metadata.Namespace,
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
	var out []typedObject
	if in := s.Ingress; in != nil {
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
			if a.Issued() {
				out = append(out, certificate(&t.spec.Certificates, meta, g.Namespace, v1alpha1.GatewayCertificate{
					Name: a.ObjectName(), SecretName: a.CredentialName(), DNSNames: in.Hosts, PrivateKeyAlgorithm: "ECDSA",
				}))
			}
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
	}
	return append(out, application.Objects(v)...)
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
