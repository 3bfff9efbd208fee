package render

import (
	"bytes"
	"testing"
)

// ambientMesh mixes an ambient namespace with a sidecar one, with its
// node agents in a namespace of their own and a revisioned control plane.
const ambientMesh = `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: mixed}
spec:
  revision: blue
  cni: {namespace: istio-node}
  ambient: {enabled: true}
  namespaces:
  - {name: shop, dataPlaneMode: ambient, waypoints: [{name: waypoint, usedByNamespace: true, ingress: true, revision: blue}, {name: search, for: all, revision: blue}]}
  - {name: pay, revision: blue}
  networkPolicy: {enabled: true, namespaces: [{name: shop}, {name: pay}]}
`

// TestAmbientObjects checks what ties the ambient pieces together: istiod
// trusts ztunnel where it runs, ztunnel talks to this revision's istiod,
// proxies speak HBONE, the namespaces get their labels and the ambient
// one admits the probes istio-cni SNATs.
func TestAmbientObjects(t *testing.T) {
	objs, err := renderApplications(t, ambientMesh, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Deployment istio-system/istiod-blue": {"name: CA_TRUSTED_NODE_ACCOUNTS\n          value: istio-node/ztunnel\n        - name: PILOT_ENABLE_AMBIENT\n          value: 'true'"},
		"DaemonSet istio-node/ztunnel": {"name: CA_ADDRESS\n          value: istiod-blue.istio-system.svc:15012", "name: XDS_ADDRESS\n          value: istiod-blue.istio-system.svc:15012",
			"istio.io/dataplane-mode: none", "maxUnavailable: 0\n    type: RollingUpdate"},
		"ConfigMap istio-node/istio-cni-config":                        {"AMBIENT_ENABLED: 'true'"},
		"ClusterRole /istio-cni-ambient":                               {"- pods/status"},
		"ConfigMap istio-system/istio-blue":                            {"proxyMetadata:\n        ISTIO_META_ENABLE_HBONE: 'true'"},
		"ConfigMap istio-system/istio-sidecar-injector-blue":           {`"ambient": {`, `"PILOT_ENABLE_AMBIENT": "true"`},
		"Namespace /shop":                                              {"istio.io/dataplane-mode: ambient", "istio.io/ingress-use-waypoint: 'true'\n    istio.io/use-waypoint: waypoint\n"},
		"Namespace /pay":                                               {"istio.io/rev: blue"},
		"Namespace /istio-node":                                        {"pod-security.kubernetes.io/enforce: privileged"},
		"NetworkPolicy shop/allow-ambient-probes":                      {"cidr: 169.254.7.127/32"},
		"NetworkPolicy shop/allow-hbone-from-ambient":                  {"namespaceSelector:\n        matchLabels:\n          istio.io/dataplane-mode: ambient\n    ports:\n    - port: 15008"},
		"NetworkPolicy shop/allow-to-waypoint-search":                  {"podSelector:\n    matchLabels:\n      gateway.networking.k8s.io/gateway-name: search", "port: 15008"},
		"Gateway shop/waypoint":                                        {"istio.io/rev: blue\n    istio.io/waypoint-for: service", "gatewayClassName: istio-waypoint", "- name: mesh\n    port: 15008\n    protocol: HBONE"},
		"Gateway shop/search":                                          {"istio.io/waypoint-for: all"},
		"CustomResourceDefinition /gateways.gateway.networking.k8s.io": {"gateway.networking.k8s.io/bundle-version: v1.6.0"},
	}
	got := byKey(objs)
	checkObjects(t, got, want)
	// The sidecar namespace admits no probes from the SNAT address, and
	// the ambient one is labelled for nothing else.
	if _, ok := got["NetworkPolicy pay/allow-ambient-probes"]; ok {
		t.Error("the sidecar namespace pay got allow-ambient-probes")
	}
	if ns := got["Namespace /shop"]; bytes.Contains(ns.YAML, []byte("istio.io/rev")) || bytes.Contains(ns.YAML, []byte("istio-injection")) {
		t.Errorf("the ambient namespace has an injection label:\n%s", ns.YAML)
	}
}

// TestApplicationPoliciesInAmbient checks where an ambient application's
// policies go: with the namespace's waypoint, the claims and the allowed
// namespaces on its Services, for the waypoint, and ztunnel admitting the
// waypoint; without one, one policy on its pods, which ztunnel enforces.
func TestApplicationPoliciesInAmbient(t *testing.T) {
	mesh := `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: apps}
spec:
  ingress:
    jwt: {rules: [{issuer: https://id.example.com, jwksUri: https://id.example.com/keys, forwardOriginalToken: true}]}
  ambient: {enabled: true}
  namespaces:
  - {name: edge, dataPlaneMode: ambient, waypoints: [{name: wp, usedByNamespace: true, ingress: true}]}
  - {name: shop, dataPlaneMode: ambient}
`
	docs := `apiVersion: meshrender.dev/v1alpha1
kind: Application
metadata: {name: web, namespace: edge}
spec:
  ingress:
    hosts: [edge.example.com]
    tls: {secretName: edge-tls}
    claims: {sub: [a]}
    routes: [{destination: {service: web, port: 80}}]
  mesh: {allowedNamespaces: [shop]}
---
apiVersion: meshrender.dev/v1alpha1
kind: Application
metadata: {name: web, namespace: shop}
spec:
  ingress:
    hosts: [shop.example.com]
    tls: {secretName: shop-tls}
    routes: [{destination: {service: web, port: 80}}]
`
	objs, err := renderApplications(t, mesh, docs)
	if err != nil {
		t.Fatal(err)
	}
	got := byKey(objs)
	want := map[string][]string{
		"AuthorizationPolicy edge/web":         {"targetRefs:\n  - kind: Service\n    name: web\n", "principals:\n        - cluster.local/ns/istio-ingress/sa/istio-ingressgateway-service-account\n    when:\n    - key: request.auth.claims[sub]", "namespaces:\n        - shop"},
		"AuthorizationPolicy edge/web-ztunnel": {"selector:\n    matchLabels:\n      app: web", "principals:\n        - cluster.local/ns/edge/sa/wp\n"},
		"RequestAuthentication edge/web":       {"targetRefs:\n  - kind: Service\n    name: web\n"},
		"AuthorizationPolicy shop/web":         {"selector:\n    matchLabels:\n      app: web", "principals:\n        - cluster.local/ns/istio-ingress/sa/istio-ingressgateway-service-account\n"},
	}
	checkObjects(t, got, want)
	for _, key := range []string{"AuthorizationPolicy shop/web-ztunnel", "RequestAuthentication shop/web"} {
		if _, ok := got[key]; ok {
			t.Errorf("%s is rendered for a namespace without a waypoint", key)
		}
	}
	if p := got["AuthorizationPolicy edge/web"]; bytes.Contains(p.YAML, []byte("selector:")) {
		t.Errorf("the waypoint's policy selects pods, which ztunnel would enforce:\n%s", p.YAML)
	}
}
