package v1alpha1_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// appMesh is a valid three-zone mesh with an exposure class, a
// certificate issuer, end-user tokens on the default ingress and two
// application namespaces.
const appMesh = `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: apps}
spec:
  zones: [a, b, c]
  ingress:
    jwt: {rules: [{issuer: https://id.example.com, jwksUri: https://id.example.com/keys, forwardOriginalToken: true}]}
  exposureClasses: [{name: internal}]
  namespaces: [{name: shop, istioInjection: true}, {name: partners, istioInjection: true}]
  certificates:
    issuer: {vault: {server: https://vault.example.com, path: pki/sign/example, role: issuer}}
`

func checkedMesh(t *testing.T, doc string) *v1alpha1.Topology {
	t.Helper()
	m, err := v1alpha1.Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	top, err := v1alpha1.Check(m)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func decodeApps(t *testing.T, doc string) []v1alpha1.Application {
	t.Helper()
	apps, err := v1alpha1.DecodeApplications([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

// app is an Application document of shop/web with the spec given.
func app(name, spec string) string {
	ns, n, _ := strings.Cut(name, "/")
	return "apiVersion: meshrender.dev/v1alpha1\nkind: Application\nmetadata: {name: " + n + ", namespace: " + ns + "}\nspec:\n" + indent(spec)
}

const webIngress = `ingress:
  hosts: [shop.example.com]
  routes: [{destination: {service: web, port: 8080}}]`

func TestApplicationValidation(t *testing.T) {
	tests := []struct {
		name string
		docs []string
		// want lists "field: message substring" entries that must all
		// appear, and nothing else.
		want []string
	}{
		{"valid", []string{app("shop/web", webIngress+"\n  claims: {preferred_username: [prod001]}")}, nil},
		{"unknown exposure class", []string{app("shop/web", webIngress+"\n  exposure: partners")},
			[]string{`applications[shop/web].spec.ingress.exposure: unknown exposure class "partners"; the mesh has "internal"`}},
		{"unknown namespace", []string{app("billing/web", webIngress)},
			[]string{`applications[billing/web].metadata.namespace: "billing" is not an application namespace of the mesh; it has "shop", "partners"`}},
		{"host claimed twice", []string{app("shop/web", webIngress), app("partners/web", webIngress)},
			[]string{`applications[shop/web].spec.ingress.hosts[0]: host "shop.example.com" is also claimed by applications[partners/web] on the gateways of "ingress"`}},
		{"same host on two sets", []string{app("shop/web", webIngress), app("partners/web", webIngress+"\n  exposure: internal")}, nil},
		{"wildcard overlap", []string{app("shop/web", webIngress), app("partners/web", strings.Replace(webIngress, "shop.example.com", "'*.example.com'", 1))},
			[]string{`applications[shop/web].spec.ingress.hosts[0]: host "shop.example.com" overlaps host "*.example.com" of applications[partners/web]`}},
		{"mutual without client CA", []string{app("shop/web", webIngress+"\n  tls: {mode: MUTUAL}")},
			[]string{`applications[shop/web].spec.ingress.tls.clientCA: MUTUAL needs the CA that signs client certificates: a Secret with ca.crt, such as "shop-web-cacert"`}},
		{"client CA without MUTUAL", []string{app("shop/web", webIngress+"\n  tls: {clientCA: {secretName: ca}}")},
			[]string{`applications[shop/web].spec.ingress.tls.clientCA: only MUTUAL checks client certificates`}},
		{"http route on passthrough", []string{app("shop/web", `ingress:
  hosts: [shop.example.com]
  tls: {mode: PASSTHROUGH}
  routes: [{match: {pathPrefix: /}, destination: {service: web, port: 8443}}]`)},
			[]string{`applications[shop/web].spec.ingress.routes[0]: is an http route`}},
		{"route port", []string{app("shop/web", `ingress:
  hosts: [shop.example.com]
  routes: [{destination: {service: web, port: 0}}]`)},
			[]string{`applications[shop/web].spec.ingress.routes[0].destination.port: must be between 1 and 65535, got 0`,
				`applications[shop/web].spec.ingress.routes[0].destination.targetPort: must be between 1 and 65535, got 0`}},
		{"gateway port", []string{app("shop/web", webIngress+"\n  port: 8443")},
			[]string{`applications[shop/web].spec.ingress.port: the gateways of "ingress" do not expose port 8443; they expose 80, 443`}},
		{"weights", []string{app("shop/web", `ingress:
  hosts: [shop.example.com]
  routes: [{destination: {service: web, port: 80, versions: [{name: v1, weight: 50}, {name: v1, weight: 40}]}}]`)},
			[]string{`applications[shop/web].spec.ingress.routes[0].destination.versions[1].name: duplicate version "v1"`,
				`applications[shop/web].spec.ingress.routes[0].destination.versions: weights add up to 90, not 100`}},
		{"claims without token forwarding", []string{app("shop/web", webIngress+"\n  exposure: internal\n  claims: {sub: [a]}")},
			[]string{`applications[shop/web].spec.ingress.claims: the gateways of "internal" check no end-user tokens`}},
		{"match", []string{app("shop/web", `ingress:
  hosts: [shop.example.com]
  routes: [{match: {pathPrefix: api, pathExact: /x}, destination: {service: web, port: 80}}]`)},
			[]string{`applications[shop/web].spec.ingress.routes[0].match: takes pathPrefix or pathExact, not both`,
				`applications[shop/web].spec.ingress.routes[0].match.pathPrefix: "api" is not a path`}},
		{"defined twice", []string{app("shop/web", webIngress), app("shop/web", "mesh: {}")},
			[]string{`applications[shop/web]: is defined twice`}},
		{"bad host", []string{app("shop/web", strings.Replace(webIngress, "shop.example.com", "Shop_", 1))},
			[]string{`applications[shop/web].spec.ingress.hosts[0]: "Shop_" is not a host name`}},
		{"allowed namespaces", []string{app("shop/web", "mesh: {allowedNamespaces: [A]}")},
			[]string{`applications[shop/web].spec.mesh.allowedNamespaces[0]: "A" is not a namespace name`}},
	}
	top := checkedMesh(t, appMesh)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkApplications(t, top, tt.docs, tt.want)
		})
	}
}

func TestApplicationNeedsIssuer(t *testing.T) {
	top := checkedMesh(t, "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {namespaces: [{name: shop, istioInjection: true}]}\n")
	_, err := v1alpha1.CheckApplications(top, decodeApps(t, app("shop/web", webIngress)))
	if err == nil || !strings.Contains(err.Error(), "applications[shop/web].spec.ingress.tls.secretName: is empty, so the certificate would come from the mesh's issuer, and the mesh has none") {
		t.Fatalf("got %v", err)
	}
}

func TestDecodeApplications(t *testing.T) {
	apps, err := v1alpha1.DecodeApplications([]byte(app("shop/web", webIngress) + "---\n# nothing\n---\n" + app("shop/api", "mesh: {}")))
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 2 || apps[0].Key() != "shop/web" || apps[1].Key() != "shop/api" {
		t.Fatalf("got %+v", apps)
	}
	_, err = v1alpha1.DecodeApplications([]byte(app("shop/web", webIngress+"\n  hostz: [x]") + "---\n" + "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\n"))
	for _, want := range []string{`(document 1) spec.ingress.hostz: unknown field`, `(document 2) kind: must be "Application", got "Mesh"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	if apps, err := v1alpha1.DecodeApplications([]byte("# empty\n")); err != nil || len(apps) != 0 {
		t.Errorf("an empty file: got %v, %v", apps, err)
	}
	if _, err := v1alpha1.DecodeApplications([]byte("a: &x 1\nb: *x\n")); err == nil {
		t.Error("anchors are refused")
	}
}

// checkApplications decodes docs, checks them against top and compares
// the problems found with want, each a part of one message; none wanted
// means the applications are valid.
func checkApplications(t *testing.T, top *v1alpha1.Topology, docs, want []string) {
	t.Helper()
	var apps []v1alpha1.Application
	for _, d := range docs {
		apps = append(apps, decodeApps(t, d)...)
	}
	_, err := v1alpha1.CheckApplications(top, apps)
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error:\n%v", err)
		}
		return
	}
	var verr *v1alpha1.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	if len(verr.Errors) != len(want) {
		t.Errorf("want %d problems, got %d:\n%v", len(want), len(verr.Errors), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

// An application serving a certificate of the mesh's own
// (spec.certificates.gateways) must be on that certificate's gateways and
// within its names.
func TestApplicationCertificateCoversHosts(t *testing.T) {
	top := checkedMesh(t, strings.Replace(appMesh, "  certificates:\n", `  certificates:
    gateways:
    - {name: wildcard, gateway: ingress, dnsNames: ['*.example.com', example.org]}
    - {name: internal, gateway: internal, dnsNames: [shop.example.com], secretName: internal-tls}
`, 1))
	withSecret := func(secret, hosts string) string {
		return strings.Replace(webIngress, "[shop.example.com]", hosts, 1) + "\n  tls: {secretName: " + secret + "}"
	}
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"covered", withSecret("wildcard", "[shop.example.com, example.org]"), nil},
		{"a Secret the mesh does not render", withSecret("own-tls", "[shop.example.net]"), nil},
		{"two labels under the wildcard", withSecret("wildcard", "[api.shop.example.com, example.com, '*.example.com']"),
			[]string{`applications[shop/web].spec.ingress.hosts[0]: host "api.shop.example.com" is not among the dnsNames of the mesh's certificate "wildcard" (spec.certificates.gateways[0]), which serves it: *.example.com, example.org`,
				`applications[shop/web].spec.ingress.hosts[1]: host "example.com" is not among the dnsNames`}},
		{"another set's certificate", withSecret("internal-tls", "[shop.example.com]"),
			[]string{`applications[shop/web].spec.ingress.tls.secretName: Secret "internal-tls" is the certificate spec.certificates.gateways[1] of the gateways of "internal"; the gateways of "ingress" read Secrets only from their own namespaces`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkApplications(t, top, []string{app("shop/web", tt.doc)}, tt.want)
		})
	}
}

// TestApplicationInAmbient checks what an application in an ambient
// namespace needs of its waypoint: claims, namespace checks on its
// Services and routed egress are L7, which only a waypoint provides.
func TestApplicationInAmbient(t *testing.T) {
	mesh := strings.Replace(appMesh, "namespaces: [{name: shop, istioInjection: true}, {name: partners, istioInjection: true}]",
		`ambient: {enabled: true}
  egress: {enabled: true}
  namespaces:
  - {name: shop, dataPlaneMode: ambient}
  - {name: partners, dataPlaneMode: ambient, waypoints: [{name: waypoint, usedByNamespace: true}]}
  - {name: edge, dataPlaneMode: ambient, waypoints: [{name: waypoint, usedByNamespace: true, ingress: true}]}`, 1)
	top := checkedMesh(t, mesh)
	routed := "egress: [{host: api.example.org, ports: [{number: 443, protocol: TLS}], viaEgressGateway: true}]"
	tests := []struct {
		name string
		docs []string
		want []string
	}{
		{"L4 only", []string{app("shop/web", webIngress+"\nmesh: {allowedNamespaces: [partners]}")}, nil},
		{"claims through a waypoint", []string{app("edge/web", webIngress+"\n  claims: {sub: [a]}\nmesh: {allowedNamespaces: [shop]}\n"+routed)}, nil},
		{"claims without a waypoint", []string{app("shop/web", webIngress+"\n  claims: {sub: [a]}")},
			[]string{`applications[shop/web].spec.ingress.claims: "shop" is an ambient namespace, where only a waypoint checks claims, and the gateways' requests reach its pods through none; give spec.namespaces[0] a waypoint with usedByNamespace and ingress`}},
		{"claims bypassing the waypoint", []string{app("partners/web", webIngress+"\n  claims: {sub: [a]}")},
			[]string{`applications[partners/web].spec.ingress.claims: "partners" is an ambient namespace, where only a waypoint checks claims, and the gateways' requests reach its pods through none; give spec.namespaces[1] a waypoint with usedByNamespace and ingress`}},
		{"allowed namespaces without services", []string{app("partners/web", "mesh: {allowedNamespaces: [shop]}")},
			[]string{`applications[partners/web].spec.mesh.allowedNamespaces: in "partners" callers come through the waypoint "waypoint", which checks them on the application's Services, and the application routes to none`}},
		{"routed egress without a waypoint", []string{app("shop/web", routed)},
			[]string{`applications[shop/web].spec.egress[0]: "shop" is an ambient namespace, where only a waypoint routes requests to the egress gateway, and its services use none; give spec.namespaces[0] a waypoint with usedByNamespace`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkApplications(t, top, tt.docs, tt.want)
		})
	}
}
