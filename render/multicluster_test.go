package render

import "testing"

// TestMultiClusterSettings checks that spec.multiCluster reaches every
// place Istio reads the mesh, the cluster and the network from: istiod's
// CLUSTER_ID, the mesh config's meshId, the injector's values, the
// gateways' and ztunnel's env, and the network label of istiod's
// namespace.
func TestMultiClusterSettings(t *testing.T) {
	objs, err := renderApplications(t, `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: eu1}
spec:
  ambient: {enabled: true}
  multiCluster: {meshID: fleet-eu, clusterName: seed-eu1, network: net-a}
`, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Namespace /istio-system":                       {"topology.istio.io/network: net-a"},
		"Deployment istio-system/istiod":                {"name: CLUSTER_ID\n          value: seed-eu1\n"},
		"ConfigMap istio-system/istio":                  {"defaultConfig:\n      discoveryAddress: istiod.istio-system.svc:15012\n      meshId: fleet-eu\n"},
		"ConfigMap istio-system/istio-sidecar-injector": {`"meshID": "fleet-eu"`, `"network": "net-a"`, `"clusterName": "seed-eu1"`},
		"Deployment istio-ingress/istio-ingressgateway": {"name: ISTIO_META_MESH_ID\n          value: fleet-eu\n", "name: ISTIO_META_CLUSTER_ID\n          value: seed-eu1\n", "name: ISTIO_META_NETWORK\n          value: net-a\n"},
		"DaemonSet kube-system/ztunnel":                 {"name: NETWORK\n          value: net-a\n", "name: ISTIO_META_CLUSTER_ID\n          value: seed-eu1\n"},
	}
	got := byKey(objs)
	checkObjects(t, got, want)
}

// TestEastWestGateway checks the east-west gateway: the ingress
// gateway's pods in sni-dnat mode on the cluster's network, upstream's
// ports, a Service labelled with the network (istiod finds a network's
// gateways by it) and the cross-network Gateway passing mutual TLS
// through on 15443.
func TestEastWestGateway(t *testing.T) {
	objs, err := renderApplications(t, `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: eu1}
spec:
  multiCluster: {clusterName: eu1, network: net-a, eastWestGateway: {enabled: true}}
`, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Deployment istio-eastwest/istio-eastwestgateway": {"name: ISTIO_META_ROUTER_MODE\n          value: sni-dnat\n", "name: ISTIO_META_REQUESTED_NETWORK_VIEW\n          value: net-a\n", "topology.istio.io/network: net-a"},
		"Service istio-eastwest/istio-eastwestgateway":    {"topology.istio.io/network: net-a", "name: tls\n    port: 15443", "name: tls-istiod\n    port: 15012", "name: tls-webhook\n    port: 15017", "type: LoadBalancer"},
		"Gateway istio-eastwest/cross-network-gateway":    {"mode: AUTO_PASSTHROUGH", "number: 15443", "- '*.local'", "istio: eastwestgateway"},
		"Namespace /istio-eastwest":                       {"pod-security.kubernetes.io/enforce: restricted"},
	}
	got := byKey(objs)
	checkObjects(t, got, want)
}
