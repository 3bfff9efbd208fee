package render

import (
	"bytes"
	"slices"
	"testing"
)

// egressAppsMesh has an egress gateway, an issuer of the Issuer kind and
// only registered hosts reachable.
const egressAppsMesh = `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: apps}
spec:
  namespaces: [{name: shop, istioInjection: true}, {name: billing, istioInjection: true}]
  egress: {enabled: true, namespace: istio-egress}
  meshConfig: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
  certificates:
    issuer: {kind: Issuer, vault: {server: https://vault.example.com, path: pki/sign/example, role: issuer}}
`

const egressAppsDocs = `apiVersion: meshrender.dev/v1alpha1
kind: Application
metadata: {name: web, namespace: shop}
spec:
  egress:
  - host: api.partner.example.com
    ports: [{number: 80, protocol: HTTP}]
    origination: {}
  - host: pay.example.com
    ports: [{number: 443, protocol: HTTPS}]
  - host: '*.storage.example.com'
    viaEgressGateway: false
    ports: [{number: 443, protocol: TLS}]
---
apiVersion: meshrender.dev/v1alpha1
kind: Application
metadata: {name: ledger, namespace: billing}
spec:
  selector: {app: ledger}
`

func TestApplicationEgressObjects(t *testing.T) {
	objs, err := renderApplications(t, egressAppsMesh, egressAppsDocs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Object{}
	var entries []string
	for _, o := range objs {
		key := o.Kind + " " + o.Namespace + "/" + o.Name
		if o.Kind == "ServiceEntry" {
			entries = append(entries, key)
		}
		if o.Layer == LayerApplications {
			if o.Component != "applications/"+o.Namespace {
				t.Errorf("%s is in component %s", key, o.Component)
			}
			got[key] = o
		}
	}
	// With REGISTRY_ONLY, the ServiceEntries are what makes a host
	// reachable: there is one for each declared host, and none other.
	if want := []string{"ServiceEntry shop/web-egress-api-partner-example-com", "ServiceEntry shop/web-egress-pay-example-com", "ServiceEntry shop/web-egress-wildcard-storage-example-com"}; !slices.Equal(slices.Sorted(slices.Values(entries)), want) {
		t.Errorf("ServiceEntries %v, want %v", entries, want)
	}
	// Istio's zero values are left out: resolution NONE, a subset's
	// tls mode DISABLE (tls: {}), a server's PASSTHROUGH.
	want := map[string][]string{
		"ServiceEntry shop/web-egress-api-partner-example-com": {"- api.partner.example.com", "resolution: DNS",
			"name: http-80\n    number: 80\n    protocol: HTTP", "name: https-443\n    number: 443\n    protocol: HTTPS", "exportTo:\n  - '.'\n  - istio-egress"},
		"ServiceEntry shop/web-egress-pay-example-com":              {"name: https-443", "exportTo:\n  - '.'\n  - istio-egress"},
		"ServiceEntry shop/web-egress-wildcard-storage-example-com": {"- '*.storage.example.com'", "exportTo:\n  - '.'\n"},
		"VirtualService shop/web-egress-api-partner-example-com": {"- mesh\n  - istio-egress/shop-web-egress",
			"host: istio-egressgateway.istio-egress.svc.cluster.local", "subset: api-partner-example-com",
			"- gateways:\n      - istio-egress/shop-web-egress\n      port: 443", "host: api.partner.example.com\n        port:\n          number: 443"},
		"VirtualService shop/web-egress-pay-example-com": {"tls:", "sniHosts:\n      - pay.example.com", "subset: pay-example-com"},
		"DestinationRule shop/web-egress-gateway": {"host: istio-egressgateway.istio-egress.svc.cluster.local", "name: api-partner-example-com",
			"mode: ISTIO_MUTUAL\n          sni: api.partner.example.com", "name: pay-example-com\n    trafficPolicy:\n      tls: {}", "exportTo:\n  - '.'"},
		"Gateway istio-egress/shop-web-egress": {"istio: egressgateway", "name: https-api-partner-example-com\n      number: 443\n      protocol: HTTPS", "mode: ISTIO_MUTUAL",
			"name: tls-pay-example-com\n      number: 443\n      protocol: TLS", "tls: {}"},
		"DestinationRule istio-egress/shop-web-api-partner-example-com": {"host: api.partner.example.com", "mode: MUTUAL", "credentialName: shop-web-api-partner-example-com",
			"sni: api.partner.example.com", "exportTo:\n  - '.'"},
		// The egress gateway passes the routed hosts only: HTTP from the
		// application's namespace, TLS by server name.
		"AuthorizationPolicy istio-egress/shop-web-egress": {"namespaces:\n        - shop", "- api.partner.example.com\n        - api.partner.example.com:*",
			"key: connection.sni\n      values:\n      - pay.example.com", "istio: egressgateway"},
		"Certificate istio-egress/shop-web-api-partner-example-com": {"secretName: shop-web-api-partner-example-com", "- client auth", "commonName: api.partner.example.com", "kind: Issuer"},
		"Issuer istio-egress/vault":                                 nil,
	}
	for key, parts := range want {
		o, ok := got[key]
		if !ok && key == "Issuer istio-egress/vault" {
			for _, obj := range objs {
				ok = ok || obj.Kind+" "+obj.Namespace+"/"+obj.Name == key
			}
		}
		if !ok {
			t.Errorf("missing %s", key)
			continue
		}
		for _, p := range parts {
			if !bytes.Contains(o.YAML, []byte(p)) {
				t.Errorf("%s lacks %q:\n%s", key, p, o.YAML)
			}
		}
		delete(got, key)
	}
	for key := range got {
		t.Errorf("unexpected %s", key)
	}
}

func TestApplicationEgressWithoutGateway(t *testing.T) {
	mesh := `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: apps}
spec:
  namespaces: [{name: shop, istioInjection: true}]
`
	objs, err := renderApplications(t, mesh, `apiVersion: meshrender.dev/v1alpha1
kind: Application
metadata: {name: web, namespace: shop}
spec:
  egress: [{host: pay.example.com, ports: [{number: 443, protocol: HTTPS}]}]
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		if o.Layer == LayerApplications {
			got = append(got, o.Kind+" "+o.Namespace+"/"+o.Name)
		}
	}
	// The sidecars call the host directly: its ServiceEntry alone.
	if want := []string{"ServiceEntry shop/web-egress-pay-example-com"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
