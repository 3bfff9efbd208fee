package render

import (
	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/application"
	"github.com/meshrender/meshrender/render/internal/certmanager"
	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// applicationComponents plans the applications, in the applications
// layer after the gateways that serve them and the issuer their
// certificates come from: what an application has in its own namespace
// in applications/<namespace>, one component per application
// namespace, and its Istio Gateways and Certificates in
// applications/<gateway namespace>, one per gateway namespace, the
// egress gateway's included. Planned
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
		if a.Routed() {
			out = append(out, component{
				Name:  string(LayerApplications) + "/" + v.EgressGateway.Namespace,
				Field: "applications",
				Layer: LayerApplications,
				Build: func() ([]typedObject, error) { return t.egressObjects(a, v), nil },
			})
		}
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
		NetworkPolicy: t.spec.IsolatesNetwork(), Ambient: t.spec.InAmbient(a.Metadata.Namespace),
	}
	if w := t.spec.NamespaceWaypoint(a.Metadata.Namespace); w != nil && v.Ambient {
		// istiod runs a waypoint under a ServiceAccount of its name.
		v.Waypoint = &application.Waypoint{Principal: t.TrustDomain + "/ns/" + a.Metadata.Namespace + "/sa/" + w.Name, Ingress: w.Ingress}
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
	if g := t.Egress(); g != nil {
		v.EgressGateway = &application.EgressGateway{
			Namespace: g.Namespace, Selector: g.Selector, Port: v1alpha1.EgressGatewayPort,
			Host: g.Name + "." + g.Namespace + ".svc.cluster.local",
		}
	}
	for i := range s.Egress {
		d := &s.Egress[i]
		dest := application.Destination{
			Host: d.Host, Slug: v1alpha1.HostSlug(d.Host), Resolution: d.Resolution, Routed: d.Routed(),
			GatewayObjectName: a.EgressObjectName(d),
		}
		for _, p := range d.Ports {
			dest.Ports = append(dest.Ports, application.Port{Number: p.Number, Protocol: p.Protocol})
		}
		if o := d.Origination; o != nil {
			dest.Origination = &application.Origination{Mode: o.Mode, Port: o.Port, CredentialName: a.OriginationCredential(d)}
		}
		v.Egress = append(v.Egress, dest)
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

// egressObjects are what an application routing hosts through the
// egress gateway has in the gateway's namespace: its Gateway, TLS
// origination, and the client certificates from the mesh's issuer.
func (t *topology) egressObjects(a *v1alpha1.Application, v application.Values) []typedObject {
	out := application.EgressObjects(v)
	for i := range a.Spec.Egress {
		if d := &a.Spec.Egress[i]; d.Routed() && d.Issued() {
			out = append(out, clientCertificate(&t.spec.Certificates, v.Meta, v.EgressGateway.Namespace, a, d))
		}
	}
	return out
}

// clientCertificate is the certificate the egress gateway presents to an
// external host for an application: usages client auth, from the mesh's
// issuer, into the Secret the gateway's TLS origination names.
func clientCertificate(c *v1alpha1.Certificates, meta objects.Meta, namespace string, a *v1alpha1.Application, d *v1alpha1.EgressDestination) typedObject {
	o := d.Origination
	return certmanager.NewCertificate(meta, namespace, a.EgressObjectName(d), certmanager.CertificateSpec{
		SecretName: a.OriginationCredential(d),
		IssuerRef:  certmanager.IssuerRef{Name: c.Issuer.Name, Kind: c.Issuer.Kind, Group: certmanager.Group},
		CommonName: o.CommonName, DNSNames: o.DNSNames,
		PrivateKey: &certmanager.PrivateKey{Algorithm: "ECDSA", RotationPolicy: "Always"},
		Usages:     []string{"client auth", "digital signature"},
	})
}

// issuesForApplications reports whether an application takes a
// certificate from the mesh's issuer on the gateways of a set (for its
// hosts on an ingress set, for its client certificates on the egress
// gateway), which then need a namespaced issuer of their own.
func (t *topology) issuesForApplications(set string) bool {
	for i := range t.applications {
		a := &t.applications[i]
		if a.Issued() && a.Set() == set {
			return true
		}
		if set != v1alpha1.GatewaySetEgress {
			continue
		}
		for j := range a.Spec.Egress {
			if d := &a.Spec.Egress[j]; d.Routed() && d.Issued() {
				return true
			}
		}
	}
	return false
}
