package v1alpha1

import (
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// MultiCluster places the cluster in a mesh that spans several clusters:
// the mesh's name, the cluster's name in it, and the network its pods are
// on. A Fleet sets it for each of its clusters.
//
// +k8s:deepcopy-gen=true
type MultiCluster struct {
	// MeshID names the mesh every cluster of it shares (Istio's
	// global.meshID and the mesh config's defaultConfig.meshId); left empty, none is
	// rendered and proxies report the trust domain, as upstream.
	MeshID string `json:"meshID,omitempty"`
	// ClusterName is the cluster's name in the mesh, istiod's CLUSTER_ID
	// (default Kubernetes, upstream's for a single cluster). Two clusters
	// of one mesh must not share it.
	ClusterName string `json:"clusterName,omitempty"`
	// Network is the network the cluster's pods are on (the label
	// topology.istio.io/network on istiod's namespace, and every proxy's
	// ISTIO_META_NETWORK): pods of one network reach each other directly,
	// other networks' only through their east-west gateways. Left empty,
	// the mesh has one network.
	Network string `json:"network,omitempty"`
}

// LabelNetwork is the label that tells Istio the network of the pods of a
// namespace, or of a gateway's pods.
const LabelNetwork = "topology.istio.io/network"

func (s *MeshSpec) setMultiClusterDefaults() {
	if s.MultiCluster.ClusterName == "" {
		s.MultiCluster.ClusterName = objects.ClusterID
	}
}

func (s *MeshSpec) validateMultiCluster(p *problems) {
	mc := &s.MultiCluster
	// A cluster name is a label value and a key of the Secrets that hold
	// other clusters' credentials.
	for _, msg := range validation.IsValidLabelValue(mc.ClusterName) {
		p.add("spec.multiCluster.clusterName", "%q is not a valid label value: %s", mc.ClusterName, msg)
	}
	for _, f := range []struct{ field, value string }{{"spec.multiCluster.meshID", mc.MeshID}, {"spec.multiCluster.network", mc.Network}} {
		for _, msg := range validation.IsValidLabelValue(f.value) {
			p.add(f.field, "%q is not a valid label value: %s", f.value, msg)
		}
	}
	if dc, ok := s.MeshConfig.fields()["defaultConfig"].(map[string]any); ok {
		if id, ok := dc["meshId"]; ok && id != mc.MeshID {
			p.add("spec.meshConfig.defaultConfig.meshId", "set spec.multiCluster.meshID instead, which the injector and gateways read too")
		}
	}
}
