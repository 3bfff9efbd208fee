package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// EgressDestination is a host outside the mesh that the application
// calls. Declared, it is in the mesh's service registry (an Istio
// ServiceEntry), which a mesh whose outboundTrafficPolicy is
// REGISTRY_ONLY requires of every external host; with the mesh's egress
// gateway, the calls leave the mesh through it, as Istio's egress
// gateway tasks describe, and the gateway can originate TLS for them.
//
// +k8s:deepcopy-gen=true
type EgressDestination struct {
	// Host is the external host's DNS name. A leading "*." is a wildcard,
	// which Istio cannot resolve or route through an egress gateway: its
	// calls go straight from the sidecars, with resolution NONE.
	Host string `json:"host"`
	// Ports are the ports the application calls the host on, each with
	// its protocol. At least one.
	Ports []EgressPort `json:"ports"`
	// Resolution is how the host's addresses are found: DNS (default),
	// DNS_ROUND_ROBIN, or NONE (the address the application connected
	// to; the default for a wildcard).
	Resolution string `json:"resolution,omitempty"`
	// ViaEgressGateway sends the calls through the mesh's egress gateway
	// (default: whenever the mesh has one, spec.egress.enabled). False,
	// the sidecars call the host directly.
	ViaEgressGateway *bool `json:"viaEgressGateway,omitempty"`
	// Origination has the egress gateway open TLS to the host for the
	// application's plain HTTP calls: mutual TLS with a client
	// certificate, or TLS alone. It needs ViaEgressGateway and one HTTP
	// port.
	Origination *Origination `json:"origination,omitempty"`
}

// EgressPort is a port of an external host and the protocol spoken on
// it.
//
// +k8s:deepcopy-gen=true
type EgressPort struct {
	// Number is the port, 1 to 65535. Required.
	Number int32 `json:"number"`
	// Protocol is HTTP, HTTPS, TLS or TCP. Required.
	Protocol string `json:"protocol"`
}

// Protocols of an external host's ports, as Istio names them.
const (
	ProtocolHTTP  = "HTTP"
	ProtocolHTTPS = "HTTPS"
	ProtocolTLS   = "TLS"
	ProtocolTCP   = "TCP"
)

// Resolutions of an external host's addresses, as Istio names them.
const (
	ResolutionDNS           = "DNS"
	ResolutionDNSRoundRobin = "DNS_ROUND_ROBIN"
	ResolutionNone          = "NONE"
)

// Origination is TLS the egress gateway opens to an external host for
// the application's plain HTTP calls.
//
// +k8s:deepcopy-gen=true
type Origination struct {
	// Mode is MUTUAL (default), with a client certificate, or SIMPLE.
	Mode string `json:"mode,omitempty"`
	// Port is the host's TLS port the gateway connects to (default 443);
	// not one of the destination's ports.
	Port int32 `json:"port,omitempty"`
	// SecretName names an existing Secret in the egress gateway's
	// namespace with the client certificate, key and the CA that signs
	// the host's certificate (tls.crt, tls.key, ca.crt), for MUTUAL. Left
	// empty, the client certificate comes from the mesh's issuer: a
	// cert-manager Certificate <namespace>-<name>-<host> there, with
	// usages client auth.
	SecretName string `json:"secretName,omitempty"`
	// CommonName of the issued client certificate (default the host, the
	// name the issuer's role is asked to allow).
	CommonName string `json:"commonName,omitempty"`
	// DNSNames of the issued client certificate (default the common
	// name).
	DNSNames []string `json:"dnsNames,omitempty"`
}

// DefaultOriginationPort is the TLS port the egress gateway connects to
// unless spec.egress[].origination.port says otherwise.
const DefaultOriginationPort = 443

// Wildcard reports whether the destination's host is a wildcard.
func (d *EgressDestination) Wildcard() bool { return strings.HasPrefix(d.Host, "*") }

// Routed reports whether the destination's calls go through the mesh's
// egress gateway; it holds for a checked application.
func (d *EgressDestination) Routed() bool { return d.ViaEgressGateway != nil && *d.ViaEgressGateway }

// Issued reports whether the destination's client certificate comes from
// the mesh's issuer.
func (d *EgressDestination) Issued() bool {
	o := d.Origination
	return o != nil && o.Mode == TLSMutual && o.SecretName == ""
}

// setDefaults fills what a destination leaves empty but whether it is
// routed through the egress gateway, which follows the mesh.
func (d *EgressDestination) setDefaults() {
	if d.Resolution == "" {
		d.Resolution = ResolutionDNS
		if d.Wildcard() {
			d.Resolution = ResolutionNone
		}
	}
	if o := d.Origination; o != nil {
		if o.Mode == "" {
			o.Mode = TLSMutual
		}
		if o.Port == 0 {
			o.Port = DefaultOriginationPort
		}
		if d.Issued() {
			if o.CommonName == "" {
				o.CommonName = d.Host
			}
			if len(o.DNSNames) == 0 {
				o.DNSNames = []string{o.CommonName}
			}
		}
	}
}

// maxSlug bounds HostSlug, so what it names (Istio subset and port names
// among them) stays a DNS label.
const maxSlug = 48

// HostSlug names what is rendered for one external host: the host with
// its dots as dashes and a wildcard as "wildcard", cut short with a hash
// of the host when longer than 48 characters.
func HostSlug(host string) string {
	s := strings.ReplaceAll(strings.Replace(host, "*", "wildcard", 1), ".", "-")
	if len(s) <= maxSlug {
		return s
	}
	sum := sha256.Sum256([]byte(host))
	return strings.TrimRight(s[:maxSlug-9], "-") + "-" + hex.EncodeToString(sum[:])[:8]
}

// EgressObjectName names what is rendered for one of the application's
// external hosts in the egress gateway's namespace:
// <namespace>-<name>-<host slug>.
func (a *Application) EgressObjectName(d *EgressDestination) string {
	return a.ObjectName() + "-" + HostSlug(d.Host)
}

// OriginationCredential is the Secret the egress gateway reads the
// destination's client certificate from: origination.secretName, or the
// one its Certificate from the mesh's issuer writes; "" without mutual
// TLS origination.
func (a *Application) OriginationCredential(d *EgressDestination) string {
	o := d.Origination
	switch {
	case o == nil || o.Mode != TLSMutual:
		return ""
	case o.SecretName != "":
		return o.SecretName
	}
	return a.EgressObjectName(d)
}

// Routed reports whether any of the application's calls go through the
// mesh's egress gateway.
func (a *Application) Routed() bool {
	for i := range a.Spec.Egress {
		if a.Spec.Egress[i].Routed() {
			return true
		}
	}
	return false
}
