package v1alpha1_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

const fleetDoc = `apiVersion: meshrender.dev/v1alpha1
kind: Fleet
metadata: {name: fleet-eu}
spec:
  mesh:
    meshConfig: {trustDomain: eu.example.com}
    namespaces: [{name: shop, istioInjection: true}]
  clusters:
  - {name: eu1, network: eu, zones: [a, b, c]}
  - {name: eu2, network: eu, mesh: {istiod: {replicas: {min: 3, max: 6}}}}
`

func decodeFleet(t *testing.T, doc string) v1alpha1.Fleet {
	t.Helper()
	f, err := v1alpha1.DecodeFleet([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFleetMeshes checks what each cluster's Mesh gets: the shared spec,
// its own fields and overrides, and spec.multiCluster from the fleet.
func TestFleetMeshes(t *testing.T) {
	f := decodeFleet(t, fleetDoc)
	meshes, err := f.Meshes()
	if err != nil {
		t.Fatal(err)
	}
	eu1, eu2 := meshes[0], meshes[1]
	if eu1.Metadata.Name != "eu1" || len(eu1.Spec.Zones) != 3 || len(eu2.Spec.Zones) != 0 {
		t.Errorf("cluster names or zones: %s %v, %s %v", eu1.Metadata.Name, eu1.Spec.Zones, eu2.Metadata.Name, eu2.Spec.Zones)
	}
	if mc := eu2.Spec.MultiCluster; mc.MeshID != "fleet-eu" || mc.ClusterName != "eu2" || mc.Network != "eu" || eu2.Spec.EastWestEnabled() {
		t.Errorf("eu2's multiCluster is %+v, want fleet-eu, eu2, eu and no east-west gateway on one network", mc)
	}
	if r := eu2.Spec.Istiod.Replicas.Min; r == nil || *r != 3 {
		t.Errorf("eu2's override of istiod's replicas is lost: %v", r)
	}
	if len(eu2.Spec.Namespaces) != 1 || eu2.Spec.Namespaces[0].Name != "shop" {
		t.Errorf("eu2 lost the shared namespaces: %+v", eu2.Spec.Namespaces)
	}
	// Every cluster is read by the others with its reader's token; the
	// fleet names no store, so no remote secret is rendered.
	if !eu2.Spec.RendersReaderToken() || eu2.Spec.MultiCluster.RemoteClusters != nil {
		t.Errorf("eu2's readerToken %v and remoteClusters %v, want true and none without a store", eu2.Spec.MultiCluster.ReaderToken, eu2.Spec.MultiCluster.RemoteClusters)
	}
	withStore := decodeFleet(t, strings.Replace(fleetDoc, "  mesh:\n", "  mesh:\n    secretStore: {name: vault}\n", 1))
	stored, err := withStore.Meshes()
	if err != nil {
		t.Fatal(err)
	}
	if got := stored[1].Spec.MultiCluster.RemoteClusters; len(got) != 1 || got[0] != "eu1" {
		t.Errorf("eu2 reads %v, want [eu1]", got)
	}
	one, err := f.Mesh("eu2")
	if err != nil {
		t.Fatal(err)
	}
	if one.Metadata.Name != "eu2" || one.Spec.MultiCluster.ClusterName != eu2.Spec.MultiCluster.ClusterName {
		t.Errorf("Mesh(eu2) is not Meshes()'s eu2")
	}
}

// TestFleetValidation checks the fleet's own problems and the clusters',
// all at once with their paths.
func TestFleetValidation(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"duplicates, networks and the fleet's settings", `apiVersion: meshrender.dev/v1alpha1
kind: Fleet
metadata: {name: f}
spec:
  mesh: {multiCluster: {network: x}}
  clusters:
  - {name: eu1, network: a}
  - {name: eu1, network: b, mesh: {zones: [a], multiCluster: {clusterName: other}, meshConfig: {trustDomain: other}}}
  - {name: Eu_3, network: c, mesh: {multiCluster: {eastWestGateway: {enabled: false}}}}
  - {name: eu4, network: a, mesh: {secretStore: {name: own}, multiCluster: {remoteClusters: [eu1]}}}
`, []string{
			`spec.mesh.multiCluster: meshID, clusterName, network, remoteClusters and readerToken are set for each cluster by the fleet`,
			`spec.clusters[1].name: duplicate cluster "eu1" (also spec.clusters[0])`,
			`spec.clusters[1].mesh.multiCluster: meshID, clusterName, network, remoteClusters and readerToken are the fleet's`,
			`spec.clusters[1].mesh.meshConfig.trustDomain: the trust domain is the fleet's`,
			`spec.clusters[1].mesh.zones: set the cluster's own zones: spec.clusters[1].zones`,
			`spec.clusters[2].name: "Eu_3" is not a DNS label`,
			`spec.clusters[2].network: no cluster of network "c" has an east-west gateway, through which the other networks reach it`,
			`spec.clusters[3].mesh.multiCluster: meshID, clusterName, network, remoteClusters and readerToken are the fleet's`,
			`spec.clusters[3].mesh.secretStore: the secret store is the fleet's, which every cluster's remote secrets come from: set it in spec.mesh.secretStore`,
		}},
		{"no clusters", "apiVersion: meshrender.dev/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec: {clusters: []}\n", []string{`spec.clusters: must list at least one cluster`}},
		{"the clusters' own problems", `apiVersion: meshrender.dev/v1alpha1
kind: Fleet
metadata: {name: f}
spec:
  clusters:
  - {name: eu1, zones: [a, a]}
  - {name: eu2}
  - {name: eu3, mesh: {version: 1.30.8}}
`, []string{
			`clusters[eu1].spec.zones[1]: duplicate zone "a"`,
			`spec.clusters[2]: its newest control plane is Istio 1.30, whose CRDs the cluster gets, and eu2's is 1.31; a fleet's clusters share the release of their CRDs`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := decodeFleet(t, tc.doc)
			_, err := f.Meshes()
			var verr *v1alpha1.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("want a *ValidationError, got %v", err)
			}
			if len(verr.Errors) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(verr.Errors), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	for doc, want := range map[string]string{fleetDoc: "Fleet", "kind: Mesh\n": "Mesh", "{": "", "- a\n": ""} {
		if got := v1alpha1.KindOf([]byte(doc)); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", doc[:min(len(doc), 20)], got, want)
		}
	}
}
