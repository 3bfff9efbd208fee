package v1alpha1

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// EgressGatewayPort is the egress gateway's port that routed calls reach
// it on, from the sidecars: over Istio mutual TLS for HTTP, and as the
// application's own TLS, passed through by server name, for HTTPS and
// TLS.
const EgressGatewayPort = 443

// egressProtocols, resolutions and originationModes are what the
// destinations' enumerated fields accept.
var (
	egressProtocols  = []string{ProtocolHTTP, ProtocolHTTPS, ProtocolTLS, ProtocolTCP}
	resolutions      = []string{ResolutionDNS, ResolutionDNSRoundRobin, ResolutionNone}
	originationModes = []string{TLSMutual, TLSSimple}
)

// checkOneOf reports a value that is not one of those allowed.
func checkOneOf(p *problems, f, value string, allowed []string) bool {
	if slices.Contains(allowed, value) {
		return true
	}
	p.add(f, "must be %s, got %q", oneOf(allowed), value)
	return false
}

func (t *Topology) validateApplicationEgress(p *problems, f string, a *Application) {
	hosts := map[string]int{}
	slugs := map[string]string{}
	for i := range a.Spec.Egress {
		d := &a.Spec.Egress[i]
		df := fmt.Sprintf("%s[%d]", f, i)
		validateHost(p, df+".host", d.Host)
		if j, ok := hosts[d.Host]; ok && d.Host != "" {
			p.add(df+".host", "duplicate host %q (also %s[%d]); declare its ports together", d.Host, f, j)
		}
		hosts[d.Host] = i
		if other, ok := slugs[HostSlug(d.Host)]; ok && other != d.Host {
			p.add(df+".host", "%q and %q would name the same objects; rename one", d.Host, other)
		}
		slugs[HostSlug(d.Host)] = d.Host
		validateEgressPorts(p, df+".ports", d.Ports)
		if checkOneOf(p, df+".resolution", d.Resolution, resolutions) && d.Wildcard() && d.Resolution != ResolutionNone {
			p.add(df+".resolution", "a wildcard host has no addresses to resolve; it needs NONE, got %s", d.Resolution)
		}
		if d.Routed() {
			t.validateRouted(p, df, d)
		}
		if o := d.Origination; o != nil {
			t.validateOrigination(p, df, d, o)
		}
	}
}

func validateEgressPorts(p *problems, f string, ports []EgressPort) {
	if len(ports) == 0 {
		p.add(f, "needs at least one port")
	}
	seen := map[int32]int{}
	for i, port := range ports {
		pf := fmt.Sprintf("%s[%d]", f, i)
		if port.Number < 1 || port.Number > 65535 {
			p.add(pf+".number", "must be between 1 and 65535, got %d", port.Number)
		} else if j, ok := seen[port.Number]; ok {
			p.add(pf+".number", "duplicate port %d (also %s[%d])", port.Number, f, j)
		}
		seen[port.Number] = i
		checkOneOf(p, pf+".protocol", port.Protocol, egressProtocols)
	}
}

// validateRouted checks what Istio's egress gateway pattern asks of a
// destination routed through the gateway: a gateway to route through,
// one named host it can resolve, and one HTTP, HTTPS or TLS port, which
// reaches the gateway on its port 443.
func (t *Topology) validateRouted(p *problems, f string, d *EgressDestination) {
	g := t.Egress()
	if g == nil {
		p.add(f+".viaEgressGateway", "the mesh has no egress gateway (spec.egress.enabled is false); leave viaEgressGateway out or false to call the host directly")
		return
	}
	if !slices.ContainsFunc(g.Ports, func(gp GatewayPort) bool { return gp.Port == EgressGatewayPort }) {
		p.add(f+".viaEgressGateway", "the mesh's egress gateway does not expose port %d (spec.egress.ports), which routed calls reach it on", EgressGatewayPort)
	}
	const direct = "; set viaEgressGateway: false to call it directly"
	if d.Wildcard() {
		p.add(f+".host", "a wildcard host cannot be routed through the egress gateway, which must resolve the host it forwards to"+direct)
	} else if d.Resolution == ResolutionNone {
		p.add(f+".resolution", "NONE would have the egress gateway forward to the address it was called on, its own"+direct)
	}
	if len(d.Ports) > 1 {
		p.add(f+".ports", "a host routed through the egress gateway takes one port, which its calls reach the gateway on; got %d (declare another port in a destination with viaEgressGateway: false)", len(d.Ports))
	}
	for i, port := range d.Ports {
		if port.Protocol == ProtocolTCP {
			p.add(fmt.Sprintf("%s.ports[%d].protocol", f, i), "TCP is not routed through the egress gateway, which tells hosts apart by HTTP host or TLS server name"+direct)
		}
	}
}

func (t *Topology) validateOrigination(p *problems, f string, d *EgressDestination, o *Origination) {
	of := f + ".origination"
	if !d.Routed() {
		p.add(of, "TLS is originated by the egress gateway, and the host is not routed through it (viaEgressGateway is false, or the mesh has no egress gateway)")
	}
	for i, port := range d.Ports {
		if port.Protocol != ProtocolHTTP {
			p.add(fmt.Sprintf("%s.ports[%d].protocol", f, i), "with origination the application calls the host in plain HTTP and the egress gateway opens TLS; got %s", port.Protocol)
		}
	}
	modeOK := checkOneOf(p, of+".mode", o.Mode, originationModes)
	if o.Port < 1 || o.Port > 65535 {
		p.add(of+".port", "must be between 1 and 65535, got %d", o.Port)
	} else if slices.ContainsFunc(d.Ports, func(port EgressPort) bool { return port.Number == o.Port }) {
		p.add(of+".port", "%d is also a port the application calls in plain HTTP; the host's TLS port must be another", o.Port)
	}
	if s := o.SecretName; s != "" {
		for _, msg := range validation.IsDNS1123Subdomain(s) {
			p.add(of+".secretName", "%q is not a Secret name: %s", s, msg)
		}
		if o.Mode == TLSSimple {
			p.add(of+".secretName", "SIMPLE presents no client certificate; the gateway reads no Secret")
		}
	}
	if !modeOK || o.Mode != TLSMutual || o.SecretName != "" {
		if o.CommonName != "" || len(o.DNSNames) > 0 {
			p.add(of, "commonName and dnsNames name a client certificate from the mesh's issuer, which only MUTUAL without secretName has")
		}
		return
	}
	if t.spec.Certificates.Issuer.isZero() {
		p.add(of+".secretName", "is empty, so the client certificate would come from the mesh's issuer, and the mesh has none (spec.certificates.issuer); name an existing Secret")
	}
	if len(o.CommonName) > 64 {
		p.add(of+".commonName", "is %d characters; a certificate's common name has at most 64", len(o.CommonName))
	}
	for i, n := range o.DNSNames {
		validateHost(p, fmt.Sprintf("%s.dnsNames[%d]", of, i), n)
	}
}

// externalHosts are the external hosts applications declare, and which
// application declares each first.
type externalHosts map[string]externalHost

type externalHost struct {
	owner  string
	ports  string
	routed bool
}

// declare records an application's external hosts, reporting a host
// another application declares with other ports, and one that two
// applications route through the egress gateway: the gateway's server,
// TLS origination and client certificate for a host are one.
func (e externalHosts) declare(p *problems, f, owner string, ds []EgressDestination) {
	for i := range ds {
		d := &ds[i]
		var ports []string
		for _, port := range d.Ports {
			ports = append(ports, fmt.Sprintf("%d/%s", port.Number, port.Protocol))
		}
		slices.Sort(ports)
		h := externalHost{owner: owner, ports: strings.Join(ports, ", "), routed: d.Routed()}
		other, ok := e[d.Host]
		switch {
		case !ok:
			e[d.Host] = h
		case other.owner == owner:
			// A host declared twice by one application is reported once,
			// as a duplicate.
		case other.ports != h.ports:
			p.add(fmt.Sprintf("%s[%d].ports", f, i), "host %q is declared by %s with ports %s, here with %s; an external host's ports are the same for every application", d.Host, other.owner, other.ports, h.ports)
		case other.routed && h.routed:
			p.add(fmt.Sprintf("%s[%d].host", f, i), "host %q is also routed through the egress gateway by %s; the gateway serves a host for one application (set viaEgressGateway: false on the others)", d.Host, other.owner)
		case h.routed:
			e[d.Host] = h
		}
	}
}
