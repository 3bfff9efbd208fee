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
	got := map[string]Object{}
	for _, o := range objs {
		got[objectKey(o)] = o
	}
	for key, parts := range want {
		o, ok := got[key]
		if !ok {
			t.Errorf("missing %s", key)
			continue
		}
		checkParts(t, o, parts)
	}
}
