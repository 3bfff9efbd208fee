package render

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

const applicationsMesh = `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: apps}
spec:
  zones: [a, b, c]
  ingress:
    jwt: {rules: [{issuer: https://id.example.com, jwksUri: https://id.example.com/keys, forwardOriginalToken: true}]}
  exposureClasses: [{name: partners}]
  namespaces: [{name: shop, istioInjection: true}]
  networkPolicy: {enabled: true}
  certificates:
    issuer: {kind: Issuer, vault: {server: https://vault.example.com, path: pki/sign/example, role: issuer}}
`

const applicationsDocs = `apiVersion: meshrender.dev/v1alpha1
kind: Application
metadata: {name: web, namespace: shop}
spec:
  ingress:
    hosts: [shop.example.com]
    claims: {preferred_username: [prod001]}
    routes:
    - match: {pathPrefix: /api}
      destination: {service: api, port: 8080, versions: [{name: v1, weight: 90}, {name: v2, weight: 10}]}
      timeout: 5s
      retries: {attempts: 2, perTryTimeout: 2s}
    - destination: {service: web, port: 80, targetPort: 8080}
  mesh:
    connectionPool: {maxConnections: 100}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s}
    allowedNamespaces: [shop]
---
apiVersion: meshrender.dev/v1alpha1
kind: Application
metadata: {name: partner-api, namespace: shop}
spec:
  ingress:
    hosts: [api.partner.example.com]
    exposure: partners
    tls: {mode: MUTUAL, secretName: partner-api-tls, clientCA: {secretName: partner-ca}}
    routes: [{destination: {service: api, port: 8080}}]
`

func renderApplications(t *testing.T, mesh, docs string) ([]Object, error) {
	t.Helper()
	m, err := v1alpha1.Decode([]byte(mesh))
	if err != nil {
		t.Fatal(err)
	}
	apps, err := v1alpha1.DecodeApplications([]byte(docs))
	if err != nil {
		t.Fatal(err)
	}
	return Render(m, WithApplications(apps...))
}

func TestApplicationObjects(t *testing.T) {
	objs, err := renderApplications(t, applicationsMesh, applicationsDocs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Object{}
	for _, o := range objs {
		if o.Layer == LayerApplications {
			if o.Component != "applications/"+o.Namespace {
				t.Errorf("%s %s/%s is in component %s", o.Kind, o.Namespace, o.Name, o.Component)
			}
			got[o.Kind+" "+o.Namespace+"/"+o.Name] = o
		}
	}
	// The default set is four gateways (all zones, then a, b, c), the
	// exposure class four more.
	var want []string
	for _, ns := range []string{"istio-ingress", "istio-ingress--a", "istio-ingress--b", "istio-ingress--c"} {
		want = append(want, "Gateway "+ns+"/shop-web", "Certificate "+ns+"/shop-web")
	}
	for _, ns := range []string{"istio-ingress-handler-partners", "istio-ingress-handler-partners--a", "istio-ingress-handler-partners--b", "istio-ingress-handler-partners--c"} {
		want = append(want, "Gateway "+ns+"/shop-partner-api")
	}
	want = append(want, "VirtualService shop/web", "VirtualService shop/partner-api",
		"DestinationRule shop/web-api", "DestinationRule shop/web-web", "DestinationRule shop/partner-api-api",
		"AuthorizationPolicy shop/web", "AuthorizationPolicy shop/partner-api", "RequestAuthentication shop/web",
		"NetworkPolicy shop/web-from-gateways", "NetworkPolicy shop/partner-api-from-gateways")
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Errorf("missing %s", w)
		}
		delete(got, w)
	}
	for k := range got {
		t.Errorf("unexpected %s", k)
	}
	for _, o := range objs {
		key := o.Kind + " " + o.Namespace + "/" + o.Name
		for _, want := range map[string][]string{
			"Gateway istio-ingress--b/shop-web":                       {"istio: ingressgateway--zone--b", "credentialName: shop-web", "mode: SIMPLE", "hosts:\n    - shop.example.com"},
			"Gateway istio-ingress-handler-partners/shop-partner-api": {"mode: MUTUAL", "credentialName: partner-api-tls", "caCertCredentialName: partner-ca"},
			"VirtualService shop/web":                                 {"- istio-ingress--c/shop-web", "host: api.shop.svc.cluster.local", "subset: v2", "weight: 10", "prefix: /api", "timeout: 5s"},
			"AuthorizationPolicy shop/web":                            {"cluster.local/ns/istio-ingress--a/sa/istio-ingressgateway-service-account", "key: request.auth.claims[preferred_username]", "- prod001", "namespaces:\n        - shop"},
			"DestinationRule shop/web-api":                            {"mode: ISTIO_MUTUAL", "maxConnections: 100", "consecutive5xxErrors: 5", "name: v1", "version: v2"},
			"NetworkPolicy shop/web-from-gateways":                    {"kubernetes.io/metadata.name: istio-ingress--a", "port: 8080"},
			"Certificate istio-ingress/shop-web":                      {"secretName: shop-web", "- shop.example.com", "kind: Issuer"},
		}[key] {
			if !bytes.Contains(o.YAML, []byte(want)) {
				t.Errorf("%s lacks %q:\n%s", key, want, o.YAML)
			}
		}
		// A namespaced issuer is rendered where applications need it.
		if key == "Issuer istio-ingress--c/vault" {
			delete(got, "issuer")
			got["issuer"] = o
		}
	}
	if _, ok := got["issuer"]; !ok {
		t.Error("no namespaced Issuer in istio-ingress--c for the certificates of the applications")
	}
}

func TestApplicationsAreDeterministic(t *testing.T) {
	docs := strings.SplitN(applicationsDocs, "---\n", 2)
	a, err := renderApplications(t, applicationsMesh, docs[0]+"---\n"+docs[1])
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderApplications(t, applicationsMesh, docs[1]+"---\n"+docs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d objects, then %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].YAML, b[i].YAML) {
			t.Fatalf("object %d differs:\n%s\n%s", i, a[i].YAML, b[i].YAML)
		}
	}
}

func TestInvalidApplicationRendersNothing(t *testing.T) {
	objs, err := renderApplications(t, applicationsMesh, strings.Replace(applicationsDocs, "exposure: partners", "exposure: internal", 1))
	var verr *v1alpha1.ValidationError
	if !errors.As(err, &verr) || objs != nil {
		t.Fatalf("got %d objects, %v", len(objs), err)
	}
	if want := `applications[shop/partner-api].spec.ingress.exposure: unknown exposure class "internal"; the mesh has "partners"`; err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestApplicationRoutingIsVisibleToItsGateways: the seed profile exports
// VirtualServices and DestinationRules nowhere by default ("~"), so an
// application's own must name the namespaces that read them: its own and
// its gateways', zonal copies included, and for a DestinationRule the
// namespaces allowed to call it.
func TestApplicationRoutingIsVisibleToItsGateways(t *testing.T) {
	mesh := strings.Replace(applicationsMesh, "spec:\n", "spec:\n  profile: seed\n  injection: {enabled: true}\n", 1)
	objs, err := renderApplications(t, mesh, applicationsDocs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"VirtualService shop/web":              "exportTo:\n  - '.'\n  - istio-ingress\n  - istio-ingress--a\n  - istio-ingress--b\n  - istio-ingress--c\n",
		"VirtualService shop/partner-api":      "exportTo:\n  - '.'\n  - istio-ingress-handler-partners\n",
		"DestinationRule shop/partner-api-api": "exportTo:\n  - '.'\n  - istio-ingress-handler-partners\n",
	}
	for _, o := range objs {
		id := o.Kind + " " + o.Namespace + "/" + o.Name
		if w, ok := want[id]; ok {
			if !strings.Contains(string(o.YAML), w) {
				t.Errorf("%s is not exported to %q:\n%s", id, w, o.YAML)
			}
			delete(want, id)
		}
	}
	for id := range want {
		t.Errorf("%s is not rendered", id)
	}
}
