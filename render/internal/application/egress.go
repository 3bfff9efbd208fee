package application

import (
	"fmt"
	"strings"

	networkingapi "istio.io/api/networking/v1alpha3"
	securityapi "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Destination is a host outside the mesh the application calls.
type Destination struct {
	Host string
	// Slug names its objects and its subset of the egress gateway.
	Slug  string
	Ports []Port
	// Resolution is DNS, DNS_ROUND_ROBIN or NONE.
	Resolution string
	// Routed sends its calls through the egress gateway.
	Routed bool
	// Origination is TLS the egress gateway opens to the host, or nil.
	Origination *Origination
	// GatewayObjectName names its TLS origination in the egress
	// gateway's namespace.
	GatewayObjectName string
}

// Port is a port of an external host with its protocol: HTTP, HTTPS,
// TLS or TCP.
type Port struct {
	Number   int32
	Protocol string
}

// Origination is TLS the egress gateway originates.
type Origination struct {
	// Mode is MUTUAL or SIMPLE.
	Mode string
	// Port is the host's TLS port.
	Port int32
	// CredentialName is the Secret with the client certificate, for
	// MUTUAL.
	CredentialName string
}

// EgressGateway is the mesh's egress gateway.
type EgressGateway struct {
	Namespace string
	Selector  map[string]string
	// Host is its Service's name in the mesh.
	Host string
	// Port is the Service port routed calls reach it on.
	Port int32
}

// EgressGatewayObjectName names the application's Gateway in the egress
// gateway's namespace.
func (v Values) EgressGatewayObjectName() string { return v.GatewayObjectName + "-egress" }

// egressName names an object of one destination in the application's
// namespace.
func (v Values) egressName(d Destination) string { return v.Name + "-egress-" + d.Slug }

// egressObjects are the application's objects for its external hosts in
// its own namespace: a ServiceEntry per host, and for the hosts routed
// through the egress gateway a VirtualService each and one
// DestinationRule for the gateway.
func egressObjects(v Values) []objects.Object {
	var out []objects.Object
	routed := false
	for _, d := range v.Egress {
		out = append(out, serviceEntry(v, d))
		if d.Routed {
			routed = true
			out = append(out, egressVirtualService(v, d))
		}
	}
	if routed {
		out = append(out, egressGatewayRule(v))
	}
	return out
}

// exportTo makes an object visible in the application's namespace and,
// for what the egress gateway reads, in the gateway's.
func (v Values) exportTo(routed bool) []string {
	if routed && v.EgressGateway.Namespace != v.Namespace {
		return []string{".", v.EgressGateway.Namespace}
	}
	return []string{"."}
}

// serviceEntry puts an external host in the registry of the
// application's namespace and, when it is routed, of the egress
// gateway's, whose proxy resolves it and forwards to it: with
// REGISTRY_ONLY nothing else reaches it. The host's TLS port for
// origination is among its ports.
func serviceEntry(v Values, d Destination) *networkingv1.ServiceEntry {
	se := &networkingv1.ServiceEntry{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "ServiceEntry"},
		ObjectMeta: v.objectMeta(v.egressName(d), v.Namespace),
		Spec: networkingapi.ServiceEntry{
			Hosts:      []string{d.Host},
			Location:   networkingapi.ServiceEntry_MESH_EXTERNAL,
			Resolution: networkingapi.ServiceEntry_Resolution(networkingapi.ServiceEntry_Resolution_value[d.Resolution]),
			ExportTo:   v.exportTo(d.Routed),
		},
	}
	ports := d.Ports
	if o := d.Origination; o != nil {
		ports = append(ports[:len(ports):len(ports)], Port{Number: o.Port, Protocol: "HTTPS"})
	}
	for _, p := range ports {
		se.Spec.Ports = append(se.Spec.Ports, &networkingapi.ServicePort{
			Number: uint32(p.Number), Protocol: p.Protocol, Name: fmt.Sprintf("%s-%d", strings.ToLower(p.Protocol), p.Number),
		})
	}
	return se
}

// egressVirtualService routes the calls to a host from the sidecars of
// the application's namespace to the egress gateway, and from the
// gateway to the host: HTTP by port, HTTPS and TLS by server name.
func egressVirtualService(v Values, d Destination) *networkingv1.VirtualService {
	g := v.EgressGateway
	gateway := g.Namespace + "/" + v.EgressGatewayObjectName()
	vs := &networkingv1.VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"},
		ObjectMeta: v.objectMeta(v.egressName(d), v.Namespace),
		Spec: networkingapi.VirtualService{
			Hosts:    []string{d.Host},
			Gateways: []string{"mesh", gateway},
			ExportTo: v.exportTo(true),
		},
	}
	toGateway := &networkingapi.Destination{Host: g.Host, Subset: d.Slug, Port: &networkingapi.PortSelector{Number: uint32(g.Port)}}
	for _, p := range d.Ports {
		toHost := &networkingapi.Destination{Host: d.Host, Port: &networkingapi.PortSelector{Number: uint32(p.Number)}}
		if p.Protocol == "HTTP" {
			if o := d.Origination; o != nil {
				toHost.Port.Number = uint32(o.Port)
			}
			vs.Spec.Http = append(vs.Spec.Http,
				&networkingapi.HTTPRoute{
					Match: []*networkingapi.HTTPMatchRequest{{Gateways: []string{"mesh"}, Port: uint32(p.Number)}},
					Route: []*networkingapi.HTTPRouteDestination{{Destination: toGateway}},
				},
				&networkingapi.HTTPRoute{
					Match: []*networkingapi.HTTPMatchRequest{{Gateways: []string{gateway}, Port: uint32(g.Port)}},
					Route: []*networkingapi.HTTPRouteDestination{{Destination: toHost}},
				})
			continue
		}
		vs.Spec.Tls = append(vs.Spec.Tls,
			&networkingapi.TLSRoute{
				Match: []*networkingapi.TLSMatchAttributes{{Gateways: []string{"mesh"}, Port: uint32(p.Number), SniHosts: []string{d.Host}}},
				Route: []*networkingapi.RouteDestination{{Destination: toGateway}},
			},
			&networkingapi.TLSRoute{
				Match: []*networkingapi.TLSMatchAttributes{{Gateways: []string{gateway}, Port: uint32(g.Port), SniHosts: []string{d.Host}}},
				Route: []*networkingapi.RouteDestination{{Destination: toHost}},
			})
	}
	return vs
}

// egressGatewayRule is how the sidecars of the application's namespace
// call the egress gateway: a subset per routed host, over Istio mutual
// TLS with the host as server name for HTTP, which the gateway's server
// for the host accepts; HTTPS and TLS pass the application's own TLS.
func egressGatewayRule(v Values) *networkingv1.DestinationRule {
	g := v.EgressGateway
	dr := &networkingv1.DestinationRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"},
		ObjectMeta: v.objectMeta(v.Name+"-egress-gateway", v.Namespace),
		Spec: networkingapi.DestinationRule{
			Host:     g.Host,
			ExportTo: []string{"."},
		},
	}
	for _, d := range v.Egress {
		if !d.Routed {
			continue
		}
		subset := &networkingapi.Subset{Name: d.Slug}
		if passesTLS(d) {
			// Without TLS settings Istio would choose mutual TLS to a
			// gateway whose server for the host expects the
			// application's TLS.
			subset.TrafficPolicy = &networkingapi.TrafficPolicy{Tls: &networkingapi.ClientTLSSettings{Mode: networkingapi.ClientTLSSettings_DISABLE}}
		} else {
			subset.TrafficPolicy = &networkingapi.TrafficPolicy{PortLevelSettings: []*networkingapi.TrafficPolicy_PortTrafficPolicy{{
				Port: &networkingapi.PortSelector{Number: uint32(g.Port)},
				Tls:  &networkingapi.ClientTLSSettings{Mode: networkingapi.ClientTLSSettings_ISTIO_MUTUAL, Sni: d.Host},
			}}}
		}
		dr.Spec.Subsets = append(dr.Spec.Subsets, subset)
	}
	return dr
}

// passesTLS reports whether a routed host's calls are the application's
// own TLS, which the egress gateway passes through.
func passesTLS(d Destination) bool {
	return len(d.Ports) > 0 && d.Ports[0].Protocol != "HTTP"
}

// EgressObjects are what the application has in the egress gateway's
// namespace, nil when no host is routed through it: a Gateway with a
// server per routed host, on the egress gateway's pods, and a
// DestinationRule per host whose TLS the gateway originates, read by the
// gateway alone, with the client certificate's Secret, which the gateway
// reads from its namespace.
func EgressObjects(v Values) []objects.Object {
	g := v.EgressGateway
	gw := &networkingv1.Gateway{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "Gateway"},
		ObjectMeta: v.objectMeta(v.EgressGatewayObjectName(), g.Namespace),
		Spec:       networkingapi.Gateway{Selector: g.Selector},
	}
	var out []objects.Object
	for _, d := range v.Egress {
		if !d.Routed {
			continue
		}
		server := &networkingapi.Server{
			Port:  &networkingapi.Port{Number: uint32(g.Port), Name: "https-" + d.Slug, Protocol: "HTTPS"},
			Hosts: []string{d.Host},
			Tls:   &networkingapi.ServerTLSSettings{Mode: networkingapi.ServerTLSSettings_ISTIO_MUTUAL},
		}
		if passesTLS(d) {
			server.Port.Name, server.Port.Protocol = "tls-"+d.Slug, "TLS"
			server.Tls = &networkingapi.ServerTLSSettings{Mode: networkingapi.ServerTLSSettings_PASSTHROUGH}
		}
		gw.Spec.Servers = append(gw.Spec.Servers, server)
		if o := d.Origination; o != nil {
			out = append(out, originationRule(v, d, o))
		}
	}
	if len(gw.Spec.Servers) == 0 {
		return nil
	}
	return append([]objects.Object{gw, egressAuthorizationPolicy(v)}, out...)
}

// egressAuthorizationPolicy lets the egress gateway pass the
// application's calls to its routed hosts and, since ALLOW policies on a
// workload deny whatever none of them allows, nothing the applications
// do not declare: HTTP calls, which reach it over Istio mutual TLS, only
// from the application's namespace and for the host; TLS of the
// application's own, whose source the gateway cannot see, only for the
// host's server name.
func egressAuthorizationPolicy(v Values) *securityv1.AuthorizationPolicy {
	var rules []*securityapi.Rule
	for _, d := range v.Egress {
		switch {
		case !d.Routed:
		case passesTLS(d):
			rules = append(rules, &securityapi.Rule{When: []*securityapi.Condition{{Key: "connection.sni", Values: []string{d.Host}}}})
		default:
			rules = append(rules, &securityapi.Rule{
				From: []*securityapi.Rule_From{{Source: &securityapi.Source{Namespaces: []string{v.Namespace}}}},
				To:   []*securityapi.Rule_To{{Operation: &securityapi.Operation{Hosts: []string{d.Host, d.Host + ":*"}}}},
			})
		}
	}
	return &securityv1.AuthorizationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "AuthorizationPolicy"},
		ObjectMeta: v.objectMeta(v.EgressGatewayObjectName(), v.EgressGateway.Namespace),
		Spec: securityapi.AuthorizationPolicy{
			Selector: &typev1beta1.WorkloadSelector{MatchLabels: v.EgressGateway.Selector},
			Action:   securityapi.AuthorizationPolicy_ALLOW,
			Rules:    rules,
		},
	}
}

// originationRule has the egress gateway open TLS to the host's TLS
// port, with the client certificate for MUTUAL; exported to the
// gateway's namespace only, so no sidecar originates.
func originationRule(v Values, d Destination, o *Origination) *networkingv1.DestinationRule {
	tls := &networkingapi.ClientTLSSettings{Mode: networkingapi.ClientTLSSettings_SIMPLE, Sni: d.Host}
	if o.Mode == "MUTUAL" {
		tls.Mode = networkingapi.ClientTLSSettings_MUTUAL
		tls.CredentialName = o.CredentialName
	}
	return &networkingv1.DestinationRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"},
		ObjectMeta: v.objectMeta(d.GatewayObjectName, v.EgressGateway.Namespace),
		Spec: networkingapi.DestinationRule{
			Host:     d.Host,
			ExportTo: []string{"."},
			TrafficPolicy: &networkingapi.TrafficPolicy{PortLevelSettings: []*networkingapi.TrafficPolicy_PortTrafficPolicy{{
				Port: &networkingapi.PortSelector{Number: uint32(o.Port)},
				Tls:  tls,
			}}},
		},
	}
}
