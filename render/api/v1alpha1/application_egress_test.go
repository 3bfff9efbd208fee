package v1alpha1_test

import (
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// egressMesh is appMesh with its egress gateway.
const egressMesh = appMesh + "  egress: {enabled: true}\n"

const partnerEgress = `egress:
- host: api.partner.example.com
  ports: [{number: 80, protocol: HTTP}]
  origination: {}`

func TestApplicationEgressValidation(t *testing.T) {
	tests := []struct {
		name string
		mesh string
		docs []string
		// want lists "field: message substring" entries that must all
		// appear, and nothing else.
		want []string
	}{
		{"origination through the gateway", egressMesh, []string{app("shop/web", partnerEgress)}, nil},
		{"direct without a gateway", appMesh, []string{app("shop/web", `egress:
- {host: api.example.com, ports: [{number: 443, protocol: HTTPS}, {number: 5432, protocol: TCP}]}
- {host: '*.storage.example.com', ports: [{number: 443, protocol: TLS}]}`)}, nil},
		{"routing without a gateway", appMesh, []string{app("shop/web", "egress: [{host: api.example.com, viaEgressGateway: true, ports: [{number: 443, protocol: HTTPS}]}]")},
			[]string{`applications[shop/web].spec.egress[0].viaEgressGateway: the mesh has no egress gateway (spec.egress.enabled is false)`}},
		{"origination without a gateway", appMesh, []string{app("shop/web", partnerEgress)},
			[]string{`applications[shop/web].spec.egress[0].origination: TLS is originated by the egress gateway, and the host is not routed through it`}},
		{"ports", egressMesh, []string{app("shop/web", `egress:
- host: api.example.com
  viaEgressGateway: false
  ports: [{number: 0, protocol: HTTP}, {number: 443, protocol: QUIC}, {number: 443, protocol: TLS}]`)},
			[]string{`applications[shop/web].spec.egress[0].ports[0].number: must be between 1 and 65535, got 0`,
				`applications[shop/web].spec.egress[0].ports[1].protocol: must be HTTP, HTTPS, TLS or TCP, got "QUIC"`,
				`applications[shop/web].spec.egress[0].ports[2].number: duplicate port 443 (also applications[shop/web].spec.egress[0].ports[1])`}},
		{"no ports", appMesh, []string{app("shop/web", "egress: [{host: api.example.com}]")},
			[]string{`applications[shop/web].spec.egress[0].ports: needs at least one port`}},
		{"routed wildcard, TCP and two ports", egressMesh, []string{app("shop/web", `egress:
- {host: '*.example.com', ports: [{number: 443, protocol: TLS}]}
- {host: db.example.com, ports: [{number: 5432, protocol: TCP}, {number: 5433, protocol: TCP}]}`)},
			[]string{`applications[shop/web].spec.egress[0].host: a wildcard host cannot be routed through the egress gateway`,
				`applications[shop/web].spec.egress[1].ports: a host routed through the egress gateway takes one port`,
				`applications[shop/web].spec.egress[1].ports[0].protocol: TCP is not routed through the egress gateway`,
				`applications[shop/web].spec.egress[1].ports[1].protocol: TCP is not routed through the egress gateway`}},
		{"wildcard resolved by DNS", appMesh, []string{app("shop/web", "egress: [{host: '*.example.com', resolution: DNS, ports: [{number: 443, protocol: TLS}]}]")},
			[]string{`applications[shop/web].spec.egress[0].resolution: a wildcard host has no addresses to resolve; it needs NONE, got DNS`}},
		{"origination of TLS", egressMesh, []string{app("shop/web", `egress:
- host: api.example.com
  ports: [{number: 443, protocol: HTTPS}]
  origination: {mode: SIMPLE, secretName: client, commonName: web}`)},
			[]string{`applications[shop/web].spec.egress[0].ports[0].protocol: with origination the application calls the host in plain HTTP`,
				`applications[shop/web].spec.egress[0].origination.port: 443 is also a port the application calls in plain HTTP`,
				`applications[shop/web].spec.egress[0].origination.secretName: SIMPLE presents no client certificate`,
				`applications[shop/web].spec.egress[0].origination: commonName and dnsNames name a client certificate from the mesh's issuer`}},
		{"host declared twice", egressMesh, []string{app("shop/web", "egress: [{host: api.example.com, ports: [{number: 80, protocol: HTTP}]}, {host: api.example.com, ports: [{number: 81, protocol: HTTP}]}]")},
			[]string{`applications[shop/web].spec.egress[1].host: duplicate host "api.example.com" (also applications[shop/web].spec.egress[0])`}},
		{"conflicting ports across applications", appMesh, []string{
			app("shop/web", "egress: [{host: api.example.com, ports: [{number: 443, protocol: HTTPS}]}]"),
			app("partners/web", "egress: [{host: api.example.com, ports: [{number: 443, protocol: TLS}]}]")},
			[]string{`applications[shop/web].spec.egress[0].ports: host "api.example.com" is declared by applications[partners/web] with ports 443/TLS, here with 443/HTTPS`}},
		{"same ports across applications", appMesh, []string{
			app("shop/web", "egress: [{host: api.example.com, ports: [{number: 443, protocol: HTTPS}]}]"),
			app("partners/web", "egress: [{host: api.example.com, ports: [{number: 443, protocol: HTTPS}]}]")}, nil},
		{"routed twice", egressMesh, []string{app("shop/web", partnerEgress), app("partners/web", partnerEgress)},
			[]string{`applications[shop/web].spec.egress[0].host: host "api.partner.example.com" is also routed through the egress gateway by applications[partners/web]`}},
		{"routed once, direct once", egressMesh, []string{app("shop/web", partnerEgress), app("partners/web", `egress:
- {host: api.partner.example.com, viaEgressGateway: false, ports: [{number: 80, protocol: HTTP}]}`)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := checkedMesh(t, tt.mesh)
			checkApplications(t, top, tt.docs, tt.want)
		})
	}
}

func TestOriginationNeedsIssuer(t *testing.T) {
	top := checkedMesh(t, "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {egress: {enabled: true}, namespaces: [{name: shop, istioInjection: true}]}\n")
	_, err := v1alpha1.CheckApplications(top, decodeApps(t, app("shop/web", partnerEgress)))
	if err == nil || !strings.Contains(err.Error(), "applications[shop/web].spec.egress[0].origination.secretName: is empty, so the client certificate would come from the mesh's issuer, and the mesh has none") {
		t.Fatalf("got %v", err)
	}
	if _, err := v1alpha1.CheckApplications(top, decodeApps(t, app("shop/web", partnerEgress[:len(partnerEgress)-2]+"{secretName: partner-client}"))); err != nil {
		t.Fatalf("an existing Secret needs no issuer: %v", err)
	}
}

func TestEgressDefaults(t *testing.T) {
	top := checkedMesh(t, egressMesh)
	apps, err := v1alpha1.CheckApplications(top, decodeApps(t, app("shop/web", partnerEgress+`
- {host: '*.example.org', viaEgressGateway: false, ports: [{number: 443, protocol: TLS}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	a := &apps[0]
	d, w := &a.Spec.Egress[0], &a.Spec.Egress[1]
	if !d.Routed() || d.Resolution != "DNS" || d.Origination.Mode != "MUTUAL" || d.Origination.Port != 443 ||
		d.Origination.CommonName != "api.partner.example.com" || len(d.Origination.DNSNames) != 1 {
		t.Errorf("defaulted %+v, origination %+v", d, d.Origination)
	}
	if got := a.OriginationCredential(d); got != "shop-web-api-partner-example-com" {
		t.Errorf("credential %q", got)
	}
	if w.Routed() || w.Resolution != "NONE" {
		t.Errorf("wildcard defaulted %+v", w)
	}
}

func TestHostSlug(t *testing.T) {
	for host, want := range map[string]string{
		"api.example.com":                        "api-example-com",
		"*.example.com":                          "wildcard-example-com",
		strings.Repeat("a", 60) + ".example.com": strings.Repeat("a", 39) + "-",
	} {
		got := v1alpha1.HostSlug(host)
		if !strings.HasPrefix(got, want) || len(got) > 48 {
			t.Errorf("HostSlug(%q) = %q, want %q...", host, got, want)
		}
	}
}
