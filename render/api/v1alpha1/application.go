package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ApplicationKind is the kind of an Application document; its
// apiVersion is APIVersion, the Mesh's.
const ApplicationKind = "Application"

// Application is one application's place in the mesh, written by the
// team that owns it and kept apart from the Mesh: how it is reached from
// outside (hosts, TLS, routes, who may call it with which token claims),
// how it is called inside the mesh, and which hosts outside the mesh it
// calls. It is rendered together with the
// Mesh it targets, against that mesh's gateways, issuer and policies,
// and the Mesh's file does not change when a team onboards.
//
// +k8s:deepcopy-gen=true
type Application struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Metadata names the application; its namespace is the application's
	// namespace, one of the Mesh's spec.namespaces.
	Metadata ObjectMeta      `json:"metadata"`
	Spec     ApplicationSpec `json:"spec"`
}

// ApplicationSpec describes an application. Ingress, Mesh and Egress
// are each optional.
//
// +k8s:deepcopy-gen=true
type ApplicationSpec struct {
	// Selector are the labels of the application's pods, which its
	// AuthorizationPolicy and NetworkPolicy select (default app: <name>).
	Selector map[string]string `json:"selector,omitempty"`
	// Ingress is how the application is reached through the mesh's
	// ingress gateways.
	Ingress *ApplicationIngress `json:"ingress,omitempty"`
	// Mesh is how the application's services are called inside the mesh.
	Mesh *ApplicationMesh `json:"mesh,omitempty"`
	// Egress are the hosts outside the mesh the application calls.
	Egress []EgressDestination `json:"egress,omitempty"`
}

// ApplicationIngress exposes the application on the gateways of one
// gateway set: the default ingress gateway, or an exposure class, each
// with every zonal copy.
//
// +k8s:deepcopy-gen=true
type ApplicationIngress struct {
	// Hosts are the names the application is served under; a leading
	// "*." is a wildcard. Required.
	Hosts []string `json:"hosts"`
	// Exposure is the gateway set: "" for spec.ingress's gateways, or the
	// name of one of the Mesh's exposure classes.
	Exposure string `json:"exposure,omitempty"`
	// Port is the gateway's Service port the hosts are served on
	// (default 443); the gateway must expose it.
	Port int32 `json:"port,omitempty"`
	// TLS is how the gateway terminates (or passes through) TLS.
	TLS ApplicationTLS `json:"tls,omitzero"`
	// Routes send requests to the application's services, in order; the
	// first that matches wins.
	Routes []Route `json:"routes,omitempty"`
	// Claims are what the end user's JWT must say, claim by claim: one of
	// the values each. They are checked at the application, as
	// request.auth.claims[<claim>], so the gateways' JWT rules must
	// forward the token.
	Claims map[string][]string `json:"claims,omitempty"`
}

// TLS modes of an application's hosts.
const (
	// TLSSimple terminates TLS at the gateway with the application's
	// certificate.
	TLSSimple = "SIMPLE"
	// TLSMutual terminates TLS at the gateway and requires a client
	// certificate signed by the client CA.
	TLSMutual = "MUTUAL"
	// TLSPassthrough passes TLS through to the application by SNI.
	TLSPassthrough = "PASSTHROUGH"
)

// ApplicationTLS is how the gateway serves the application's hosts.
//
// +k8s:deepcopy-gen=true
type ApplicationTLS struct {
	// Mode is SIMPLE (default), MUTUAL or PASSTHROUGH.
	Mode string `json:"mode,omitempty"`
	// SecretName names an existing Secret, in every gateway namespace of
	// the set, with the certificate and key (the credentialName). Left
	// empty, the certificate comes from the Mesh's issuer: a cert-manager
	// Certificate <namespace>-<name> in each gateway namespace, for the
	// hosts.
	SecretName string `json:"secretName,omitempty"`
	// ClientCA is where the CA that signs client certificates is, for
	// MUTUAL. Required then.
	ClientCA *ClientCA `json:"clientCA,omitempty"`
}

// ClientCA is a Secret holding ca.crt, in every gateway namespace of the
// set. Named <credentialName>-cacert, or the credential itself, Istio
// finds it by convention; under any other name the Gateway names it as
// caCertCredentialName.
//
// +k8s:deepcopy-gen=true
type ClientCA struct {
	// SecretName is the Secret's name. Required.
	SecretName string `json:"secretName"`
}

// Route sends the requests that match it to a service of the
// application.
//
// +k8s:deepcopy-gen=true
type Route struct {
	// Match selects requests by path; none matches every request.
	Match *RouteMatch `json:"match,omitempty"`
	// Destination is the service and port the requests go to.
	Destination RouteDestination `json:"destination"`
	// Timeout bounds each request, retries included.
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// Retries retry a failed request.
	Retries *Retries `json:"retries,omitempty"`
}

// RouteMatch matches a request path, by prefix or exactly; one of the
// two.
//
// +k8s:deepcopy-gen=true
type RouteMatch struct {
	PathPrefix string `json:"pathPrefix,omitempty"`
	PathExact  string `json:"pathExact,omitempty"`
}

// RouteDestination is a service of the application's namespace.
//
// +k8s:deepcopy-gen=true
type RouteDestination struct {
	// Service is the Service's name. Required.
	Service string `json:"service"`
	// Port is the Service port. Required.
	Port int32 `json:"port"`
	// TargetPort is the port the pods listen on, which the gateways'
	// namespaces are let through to with network isolation (default
	// Port).
	TargetPort int32 `json:"targetPort,omitempty"`
	// Versions split the requests across the pods of each version (their
	// version label) by weight; the weights add up to 100.
	Versions []WeightedVersion `json:"versions,omitempty"`
}

// WeightedVersion is a share of a route's requests for one version: a
// DestinationRule subset of the pods labelled version: <name>.
//
// +k8s:deepcopy-gen=true
type WeightedVersion struct {
	Name   string `json:"name"`
	Weight int32  `json:"weight"`
}

// Retries are Istio's HTTP retries of a route.
//
// +k8s:deepcopy-gen=true
type Retries struct {
	// Attempts is how many times a request is retried. Required.
	Attempts int32 `json:"attempts"`
	// PerTryTimeout bounds each try.
	PerTryTimeout *metav1.Duration `json:"perTryTimeout,omitempty"`
	// RetryOn are Envoy's retry conditions, such as 5xx,connect-failure.
	RetryOn string `json:"retryOn,omitempty"`
}

// ApplicationMesh is how the application's services are called inside
// the mesh: always over Istio mutual TLS, by the ingress gateways and by
// the namespaces named here.
//
// +k8s:deepcopy-gen=true
type ApplicationMesh struct {
	// ConnectionPool limits the connections to each service.
	ConnectionPool *ConnectionPool `json:"connectionPool,omitempty"`
	// OutlierDetection takes failing pods out of the load balancing.
	OutlierDetection *OutlierDetection `json:"outlierDetection,omitempty"`
	// AllowedNamespaces may call the application, besides the gateways of
	// its ingress.
	AllowedNamespaces []string `json:"allowedNamespaces,omitempty"`
}

// ConnectionPool is a part of Istio's connection pool settings.
//
// +k8s:deepcopy-gen=true
type ConnectionPool struct {
	// MaxConnections bounds the TCP connections to a service.
	MaxConnections int32 `json:"maxConnections,omitempty"`
	// MaxPendingRequests bounds the requests waiting for a connection.
	MaxPendingRequests int32 `json:"maxPendingRequests,omitempty"`
	// MaxRequestsPerConnection bounds the requests on one connection.
	MaxRequestsPerConnection int32 `json:"maxRequestsPerConnection,omitempty"`
}

// OutlierDetection is a part of Istio's outlier detection.
//
// +k8s:deepcopy-gen=true
type OutlierDetection struct {
	// Consecutive5xxErrors eject a pod after so many errors in a row.
	Consecutive5xxErrors int32 `json:"consecutive5xxErrors,omitempty"`
	// Interval is how often pods are checked.
	Interval *metav1.Duration `json:"interval,omitempty"`
	// BaseEjectionTime is how long a pod is ejected at first.
	BaseEjectionTime *metav1.Duration `json:"baseEjectionTime,omitempty"`
	// MaxEjectionPercent bounds the share of pods ejected.
	MaxEjectionPercent int32 `json:"maxEjectionPercent,omitempty"`
}

// DefaultApplicationPort is the gateway port an application's hosts are
// served on unless spec.ingress.port says otherwise.
const DefaultApplicationPort = 443

// Default fills what the application leaves empty.
func (a *Application) Default() {
	s := &a.Spec
	if len(s.Selector) == 0 {
		s.Selector = map[string]string{"app": a.Metadata.Name}
	}
	if in := s.Ingress; in != nil {
		if in.Port == 0 {
			in.Port = DefaultApplicationPort
		}
		if in.TLS.Mode == "" {
			in.TLS.Mode = TLSSimple
		}
		for i := range in.Routes {
			d := &in.Routes[i].Destination
			if d.TargetPort == 0 {
				d.TargetPort = d.Port
			}
		}
	}
	for i := range s.Egress {
		s.Egress[i].setDefaults()
	}
}

// Key is namespace/name, which names the application in messages and
// orders applications.
func (a *Application) Key() string { return a.Metadata.Namespace + "/" + a.Metadata.Name }

// CredentialName is the Secret the gateways read the application's
// certificate from: spec.ingress.tls.secretName, or the one its
// Certificate from the Mesh's issuer writes.
func (a *Application) CredentialName() string {
	if in := a.Spec.Ingress; in != nil && in.TLS.SecretName != "" {
		return in.TLS.SecretName
	}
	return a.ObjectName()
}

// ObjectName names what is rendered for the application outside its
// namespace, in the gateways' namespaces: <namespace>-<name>.
func (a *Application) ObjectName() string {
	return a.Metadata.Namespace + "-" + a.Metadata.Name
}

// Issued reports whether the application's certificate comes from the
// Mesh's issuer.
func (a *Application) Issued() bool {
	in := a.Spec.Ingress
	return in != nil && in.TLS.Mode != TLSPassthrough && in.TLS.SecretName == ""
}
