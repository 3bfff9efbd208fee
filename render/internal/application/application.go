// Package application builds what one application of the mesh needs:
// the Istio Gateways that serve its hosts on every gateway of its set,
// the VirtualService that routes them to its services, the
// DestinationRules that call those services over Istio mutual TLS, the
// AuthorizationPolicy and RequestAuthentication of its workload, with
// network isolation the NetworkPolicy that lets the gateways in, and for
// the hosts outside the mesh it calls their ServiceEntries and, through
// the egress gateway, the routes and TLS origination of Istio's egress
// gateway pattern.
package application

import (
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networkingapi "istio.io/api/networking/v1alpha3"
	securityapi "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	k8snetworkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/netpol"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// Values are what an application's objects are built from: its
// defaulted spec as plain values, and the gateways of its set.
type Values struct {
	Meta objects.Meta
	// Name and Namespace are the application's.
	Name, Namespace string
	// GatewayObjectName names its Gateways in the gateways' namespaces,
	// where applications of every namespace meet: <namespace>-<name>.
	GatewayObjectName string
	// Selector are its pods' labels.
	Selector map[string]string
	// Ingress is nil for an application not reached from outside.
	Ingress *Ingress
	// TrafficPolicy is what its DestinationRules add to ISTIO_MUTUAL.
	ConnectionPool   *networkingapi.ConnectionPoolSettings
	OutlierDetection *networkingapi.OutlierDetection
	// AllowedNamespaces may call its workload.
	AllowedNamespaces []string
	// NetworkPolicy says the mesh isolates namespaces, so the gateways
	// need a NetworkPolicy to reach the application's pods.
	NetworkPolicy bool
	// Ambient says the namespace is in the ambient data plane: callers
	// reach its pods over HBONE, on netpol.HBONEPort.
	Ambient bool
	// Waypoint is the waypoint the whole ambient namespace's service
	// traffic goes through, nil without one: the application's L7
	// policy is enforced there, on its Services, and ztunnel admits the
	// waypoint.
	Waypoint *Waypoint
	// Egress are the hosts outside the mesh it calls.
	Egress []Destination
	// EgressGateway is the mesh's egress gateway, nil without one.
	EgressGateway *EgressGateway
}

// Ingress is how the application is served by its gateways.
type Ingress struct {
	Gateways []Gateway
	Hosts    []string
	// Port is the gateways' Service port the hosts are served on.
	Port int32
	// Mode is SIMPLE, MUTUAL or PASSTHROUGH.
	Mode string
	// CredentialName is the Secret with the certificate, and
	// CACertCredentialName the one with the client CA when Istio would
	// not find it by its conventional name.
	CredentialName, CACertCredentialName string
	Routes                               []Route
	// Claims are required of the end user's token at the workload, and
	// JWTRules check that token there.
	Claims   map[string][]string
	JWTRules []*securityapi.JWTRule
}

// Waypoint is an ambient namespace's waypoint.
type Waypoint struct {
	// Principal is its workload identity.
	Principal string
	// Ingress says the ingress gateways' requests go through it too.
	Ingress bool
}

// Gateway is one gateway of the application's set.
type Gateway struct {
	Namespace string
	Selector  map[string]string
	// Principal is its workload identity: <trust domain>/ns/<ns>/sa/<sa>.
	Principal string
}

// Route is one route to a service of the application's namespace.
type Route struct {
	PathPrefix, PathExact string
	Service               string
	Port, TargetPort      int32
	// Versions are subset names with their weights.
	Versions []Version
	Timeout  *metav1.Duration
	Retries  *Retries
}

// Version is a share of a route's requests for the pods of one version.
type Version struct {
	Name   string
	Weight int32
}

// Retries are a route's HTTP retries.
type Retries struct {
	Attempts      int32
	PerTryTimeout *metav1.Duration
	RetryOn       string
}

// VersionLabel is the pod label a version's subset selects.
const VersionLabel = "version"

// Objects are the application's objects in its own namespace; its
// Gateways are GatewayObject's, and what it has in the egress gateway's
// namespace EgressObjects'.
func Objects(v Values) []objects.Object {
	var out []objects.Object
	if in := v.Ingress; in != nil {
		out = append(out, virtualService(v))
		if len(in.Claims) > 0 {
			out = append(out, requestAuthentication(v))
		}
	}
	out = append(out, destinationRules(v)...)
	out = append(out, authorizationPolicies(v)...)
	if np := networkPolicy(v); np != nil {
		out = append(out, np)
	}
	return append(out, egressObjects(v)...)
}

func (v Values) objectMeta(name, namespace string) metav1.ObjectMeta {
	return v.Meta.ObjectMeta(name, namespace, v.Name, nil)
}

// GatewayObject serves the hosts on one gateway of the application's
// ingress, in its namespace, selecting exactly its pods: zonal copies
// carry their zone in their selector.
func GatewayObject(v Values, g Gateway) *networkingv1.Gateway {
	in := v.Ingress
	tls := &networkingapi.ServerTLSSettings{Mode: networkingapi.ServerTLSSettings_SIMPLE, CredentialName: in.CredentialName}
	protocol := "HTTPS"
	switch in.Mode {
	case "MUTUAL":
		tls.Mode = networkingapi.ServerTLSSettings_MUTUAL
		tls.CaCertCredentialName = in.CACertCredentialName
	case "PASSTHROUGH":
		tls = &networkingapi.ServerTLSSettings{Mode: networkingapi.ServerTLSSettings_PASSTHROUGH}
		protocol = "TLS"
	}
	return &networkingv1.Gateway{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "Gateway"},
		ObjectMeta: v.objectMeta(v.GatewayObjectName, g.Namespace),
		Spec: networkingapi.Gateway{
			Selector: g.Selector,
			Servers: []*networkingapi.Server{{
				Port:  &networkingapi.Port{Number: uint32(in.Port), Name: fmt.Sprintf("%s-%d", protocolName(protocol), in.Port), Protocol: protocol},
				Hosts: in.Hosts,
				Tls:   tls,
			}},
		},
	}
}

func protocolName(protocol string) string {
	if protocol == "TLS" {
		return "tls"
	}
	return "https"
}

// host is a service's name in the mesh.
func (v Values) host(service string) string {
	return service + "." + v.Namespace + ".svc.cluster.local"
}

func (v Values) destinations(r Route) []*networkingapi.HTTPRouteDestination {
	dest := func(subset string) *networkingapi.Destination {
		return &networkingapi.Destination{Host: v.host(r.Service), Port: &networkingapi.PortSelector{Number: uint32(r.Port)}, Subset: subset}
	}
	if len(r.Versions) == 0 {
		return []*networkingapi.HTTPRouteDestination{{Destination: dest("")}}
	}
	out := make([]*networkingapi.HTTPRouteDestination, len(r.Versions))
	for i, ver := range r.Versions {
		out[i] = &networkingapi.HTTPRouteDestination{Destination: dest(ver.Name), Weight: ver.Weight}
	}
	return out
}

// virtualService routes the hosts, on the application's Gateways only,
// to its services.
func virtualService(v Values) *networkingv1.VirtualService {
	in := v.Ingress
	vs := &networkingv1.VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"},
		ObjectMeta: v.objectMeta(v.Name, v.Namespace),
	}
	spec := &vs.Spec
	spec.Hosts = in.Hosts
	spec.ExportTo = v.ingressExportTo()
	for _, g := range in.Gateways {
		spec.Gateways = append(spec.Gateways, g.Namespace+"/"+v.GatewayObjectName)
	}
	for _, r := range in.Routes {
		dests := v.destinations(r)
		if in.Mode == "PASSTHROUGH" {
			route := &networkingapi.TLSRoute{Match: []*networkingapi.TLSMatchAttributes{{SniHosts: in.Hosts, Port: uint32(in.Port)}}}
			for _, d := range dests {
				route.Route = append(route.Route, &networkingapi.RouteDestination{Destination: d.Destination, Weight: d.Weight})
			}
			spec.Tls = append(spec.Tls, route)
			continue
		}
		route := &networkingapi.HTTPRoute{Route: dests, Timeout: duration(r.Timeout)}
		switch {
		case r.PathPrefix != "":
			route.Match = []*networkingapi.HTTPMatchRequest{{Uri: &networkingapi.StringMatch{MatchType: &networkingapi.StringMatch_Prefix{Prefix: r.PathPrefix}}}}
		case r.PathExact != "":
			route.Match = []*networkingapi.HTTPMatchRequest{{Uri: &networkingapi.StringMatch{MatchType: &networkingapi.StringMatch_Exact{Exact: r.PathExact}}}}
		}
		if rt := r.Retries; rt != nil {
			route.Retries = &networkingapi.HTTPRetry{Attempts: rt.Attempts, PerTryTimeout: duration(rt.PerTryTimeout), RetryOn: rt.RetryOn}
		}
		spec.Http = append(spec.Http, route)
	}
	return vs
}

// ingressExportTo are the namespaces that must see the application's
// ingress routing config, named whatever the mesh's default visibility
// (defaultVirtualServiceExportTo and defaultDestinationRuleExportTo may be
// "." or "~"): its own, its gateways' and those given.
func (v Values) ingressExportTo(also ...string) []string {
	var out []string
	if in := v.Ingress; in != nil {
		for _, g := range in.Gateways {
			out = append(out, g.Namespace)
		}
	}
	out = append(out, also...)
	slices.Sort(out)
	return append([]string{"."}, slices.DeleteFunc(slices.Compact(out), func(ns string) bool { return ns == v.Namespace })...)
}

func duration(d *metav1.Duration) *durationpb.Duration {
	if d == nil {
		return nil
	}
	return durationpb.New(d.Duration)
}

// destinationRules call each service the routes name over Istio mutual
// TLS, with a subset per version the routes split across.
func destinationRules(v Values) []objects.Object {
	if v.Ingress == nil {
		return nil
	}
	subsets := map[string][]string{}
	var services []string
	for _, r := range v.Ingress.Routes {
		if !slices.Contains(services, r.Service) {
			services = append(services, r.Service)
		}
		for _, ver := range r.Versions {
			if !slices.Contains(subsets[r.Service], ver.Name) {
				subsets[r.Service] = append(subsets[r.Service], ver.Name)
			}
		}
	}
	slices.Sort(services)
	out := make([]objects.Object, len(services))
	for i, svc := range services {
		dr := &networkingv1.DestinationRule{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"},
			ObjectMeta: v.objectMeta(v.Name+"-"+svc, v.Namespace),
		}
		spec := &dr.Spec
		spec.Host = v.host(svc)
		spec.ExportTo = v.ingressExportTo(v.AllowedNamespaces...)
		spec.TrafficPolicy = &networkingapi.TrafficPolicy{
			Tls:              &networkingapi.ClientTLSSettings{Mode: networkingapi.ClientTLSSettings_ISTIO_MUTUAL},
			ConnectionPool:   v.ConnectionPool,
			OutlierDetection: v.OutlierDetection,
		}
		names := slices.Sorted(slices.Values(subsets[svc]))
		for _, name := range names {
			spec.Subsets = append(spec.Subsets, &networkingapi.Subset{Name: name, Labels: map[string]string{VersionLabel: name}})
		}
		out[i] = dr
	}
	return out
}

// ConnectionPool is Istio's connection pool of the settings given; nil
// when none is.
func ConnectionPool(maxConnections, maxPending, maxPerConnection int32) *networkingapi.ConnectionPoolSettings {
	if maxConnections == 0 && maxPending == 0 && maxPerConnection == 0 {
		return nil
	}
	out := &networkingapi.ConnectionPoolSettings{}
	if maxConnections > 0 {
		out.Tcp = &networkingapi.ConnectionPoolSettings_TCPSettings{MaxConnections: maxConnections}
	}
	if maxPending > 0 || maxPerConnection > 0 {
		out.Http = &networkingapi.ConnectionPoolSettings_HTTPSettings{Http1MaxPendingRequests: maxPending, MaxRequestsPerConnection: maxPerConnection}
	}
	return out
}

// OutlierDetection is Istio's outlier detection of the settings given.
func OutlierDetection(consecutive5xx int32, interval, baseEjection *metav1.Duration, maxEjectionPercent int32) *networkingapi.OutlierDetection {
	out := &networkingapi.OutlierDetection{Interval: duration(interval), BaseEjectionTime: duration(baseEjection), MaxEjectionPercent: maxEjectionPercent}
	if consecutive5xx > 0 {
		out.Consecutive_5XxErrors = wrapperspb.UInt32(uint32(consecutive5xx))
	}
	return out
}

// requestAuthentication checks the end user's token at the workload, as
// the gateways did, so its claims can be required there.
func requestAuthentication(v Values) *securityv1.RequestAuthentication {
	return &securityv1.RequestAuthentication{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "RequestAuthentication"},
		ObjectMeta: v.objectMeta(v.Name, v.Namespace),
		Spec: securityapi.RequestAuthentication{
			Selector:   v.workloadSelector(),
			TargetRefs: v.serviceRefs(),
			JwtRules:   v.Ingress.JWTRules,
		},
	}
}

// workloadSelector selects the application's pods for a policy their
// own proxy enforces: a sidecar, or ztunnel without a waypoint; nil when
// the waypoint enforces it.
func (v Values) workloadSelector() *typev1beta1.WorkloadSelector {
	if v.Waypoint != nil {
		return nil
	}
	return &typev1beta1.WorkloadSelector{MatchLabels: v.Selector}
}

// serviceRefs attach a policy to the application's Services, which the
// waypoint enforces it for; nil without a waypoint.
func (v Values) serviceRefs() []*typev1beta1.PolicyTargetReference {
	if v.Waypoint == nil {
		return nil
	}
	var out []*typev1beta1.PolicyTargetReference
	for _, svc := range v.services() {
		out = append(out, &typev1beta1.PolicyTargetReference{Kind: "Service", Name: svc})
	}
	return out
}

// services are the Services the application's routes go to, sorted.
func (v Values) services() []string {
	if v.Ingress == nil {
		return nil
	}
	var out []string
	for _, r := range v.Ingress.Routes {
		if !slices.Contains(out, r.Service) {
			out = append(out, r.Service)
		}
	}
	slices.Sort(out)
	return out
}

// authorizationPolicies allow the workload to be called by its
// gateways, with the claims it requires, and by the allowed namespaces:
// one policy its own proxy enforces or, in an ambient namespace with a
// waypoint, that policy on its Services for the waypoint and one for
// ztunnel admitting the waypoint (and the gateways that bypass it).
// None when nothing may call it, which an empty ALLOW policy would say as
// deny all.
func authorizationPolicies(v Values) []objects.Object {
	var gateways *securityapi.Rule
	if in := v.Ingress; in != nil {
		var principals []string
		for _, g := range in.Gateways {
			principals = append(principals, g.Principal)
		}
		gateways = &securityapi.Rule{From: []*securityapi.Rule_From{{Source: &securityapi.Source{Principals: principals}}}}
		for _, claim := range slices.Sorted(maps.Keys(in.Claims)) {
			gateways.When = append(gateways.When, &securityapi.Condition{Key: "request.auth.claims[" + claim + "]", Values: in.Claims[claim]})
		}
	}
	var namespaces *securityapi.Rule
	if len(v.AllowedNamespaces) > 0 {
		namespaces = &securityapi.Rule{From: []*securityapi.Rule_From{{Source: &securityapi.Source{Namespaces: v.AllowedNamespaces}}}}
	}
	w := v.Waypoint
	if w == nil {
		return nonNil(v.allow(v.Name, v.workloadSelector(), nil, gateways, namespaces))
	}
	// Through the waypoint: the gateways only when they use it.
	viaWaypoint, direct := gateways, (*securityapi.Rule)(nil)
	if !w.Ingress {
		viaWaypoint, direct = nil, gateways
	}
	waypoint := &securityapi.Rule{From: []*securityapi.Rule_From{{Source: &securityapi.Source{Principals: []string{w.Principal}}}}}
	l7 := v.allow(v.Name, nil, v.serviceRefs(), viaWaypoint, namespaces)
	if l7 == nil {
		// Nothing comes through the waypoint, which ztunnel then need
		// not admit.
		waypoint = nil
	}
	return nonNil(l7, v.allow(v.Name+"-ztunnel", &typev1beta1.WorkloadSelector{MatchLabels: v.Selector}, nil, waypoint, direct))
}

// allow is an ALLOW policy of the rules that are not nil, on the pods
// selected or the targets; nil without rules.
func (v Values) allow(name string, selector *typev1beta1.WorkloadSelector, targets []*typev1beta1.PolicyTargetReference, rules ...*securityapi.Rule) objects.Object {
	var set []*securityapi.Rule
	for _, r := range rules {
		if r != nil {
			set = append(set, r)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return &securityv1.AuthorizationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "AuthorizationPolicy"},
		ObjectMeta: v.objectMeta(name, v.Namespace),
		Spec: securityapi.AuthorizationPolicy{
			Selector:   selector,
			TargetRefs: targets,
			Action:     securityapi.AuthorizationPolicy_ALLOW,
			Rules:      set,
		},
	}
}

// nonNil are the objects that are not nil.
func nonNil(objs ...objects.Object) []objects.Object {
	var out []objects.Object
	for _, o := range objs {
		if o != nil {
			out = append(out, o)
		}
	}
	return out
}

// networkPolicy lets the gateways' namespaces and the allowed ones reach
// the application's pods on the ports its routes name, with network
// isolation; nil without it.
func networkPolicy(v Values) *k8snetworkingv1.NetworkPolicy {
	if !v.NetworkPolicy {
		return nil
	}
	var ports []int32
	var from []k8snetworkingv1.NetworkPolicyPeer
	if in := v.Ingress; in != nil {
		for _, r := range in.Routes {
			if !slices.Contains(ports, r.TargetPort) {
				ports = append(ports, r.TargetPort)
			}
		}
		for _, g := range in.Gateways {
			from = append(from, netpol.Namespace(g.Namespace)...)
		}
	}
	for _, ns := range v.AllowedNamespaces {
		from = append(from, netpol.Namespace(ns)...)
	}
	if len(from) == 0 || len(ports) == 0 {
		return nil
	}
	if v.Ambient {
		ports = append(ports, netpol.HBONEPort)
	}
	slices.Sort(ports)
	return netpol.Allow(v.Meta, v.Namespace, v.Name+"-from-gateways", v.Selector, netpol.Rule(from, ports...))
}
