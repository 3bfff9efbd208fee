package v1alpha1

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
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
	// EastWestGateway is the gateway through which the other networks'
	// clusters reach this cluster's pods (and, later, its istiod).
	EastWestGateway EastWestGateway `json:"eastWestGateway,omitzero"`
	// RemoteClusters are the other clusters whose API servers this
	// cluster's istiod reads, finding their services and endpoints: a
	// remote secret each (a kubeconfig with a token of that cluster's
	// reader ServiceAccount), labelled istio/multiCluster so istiod
	// watches it. Only the other cluster can issue that token, so the
	// secrets come from spec.secretStore through the External Secrets
	// Operator (key istio-remote-secret-<name>, a Secret of that name
	// holding the kubeconfig under the cluster's name), or, without a
	// store, from `meshrender remote-secret`. A Fleet sets them.
	RemoteClusters []string `json:"remoteClusters,omitempty"`
	// ReaderToken renders a token Secret of istio-reader-service-account
	// (istio-reader-service-account-token), which kube-controller-manager
	// fills in: the credential other clusters' istiods read this one with,
	// and what `meshrender remote-secret` puts into their remote secret.
	// Deleting the Secret revokes the token; the GitOps tool creates it
	// again with a new one. A Fleet of more than one cluster sets it.
	ReaderToken *bool `json:"readerToken,omitempty"`
}

// RemoteSecretPrefix starts the name of a remote secret, and its key in a
// secret store: istio-remote-secret-<cluster>, as istioctl names them.
const RemoteSecretPrefix = "istio-remote-secret-"

// Istiod finds remote secrets by this label, among the Secrets of its
// namespace, and reads each data key as a cluster's name and its value as
// that cluster's kubeconfig; the annotation names the cluster too.
const (
	LabelMultiCluster       = "istio/multiCluster"
	AnnotationRemoteCluster = "networking.istio.io/cluster"
)

// ReaderTokenSecret is the token Secret of the reader ServiceAccount.
const ReaderTokenSecret = "istio-reader-service-account-token"

// RendersReaderToken reports whether the mesh renders the reader's token
// Secret.
func (s *MeshSpec) RendersReaderToken() bool {
	return s.MultiCluster.ReaderToken != nil && *s.MultiCluster.ReaderToken
}

// EastWestGateway is the gateway of a cluster's network that pods of
// other networks reach its pods through: Istio's east-west gateway, with
// mutual TLS passed through by SNI on 15443 (AUTO_PASSTHROUGH).
//
// +k8s:deepcopy-gen=true
type EastWestGateway struct {
	// Enabled renders it (default false; a Fleet whose clusters are on
	// more than one network turns it on for each). It needs a network.
	Enabled *bool `json:"enabled,omitempty"`
	// Namespace it runs in (default istio-eastwest), a namespace of its
	// own like every gateway's.
	Namespace string `json:"namespace,omitempty"`
	// Service is its Service, which the other networks reach: type
	// (default LoadBalancer) and annotations for the load balancer.
	Service GatewayService `json:"service,omitzero"`
	// Replicas bound its autoscaler (default 2 to 5).
	Replicas Replicas `json:"replicas,omitzero"`
}

// DefaultEastWestNamespace is where the east-west gateway runs unless
// spec.multiCluster.eastWestGateway.namespace says otherwise.
const DefaultEastWestNamespace = "istio-eastwest"

// EastWestEnabled reports whether the mesh renders an east-west gateway.
func (s *MeshSpec) EastWestEnabled() bool {
	e := s.MultiCluster.EastWestGateway.Enabled
	return e != nil && *e
}

// LabelNetwork is the label that tells Istio the network of the pods of a
// namespace, or of a gateway's pods.
const LabelNetwork = "topology.istio.io/network"

func (s *MeshSpec) setMultiClusterDefaults() {
	mc := &s.MultiCluster
	if mc.ClusterName == "" {
		mc.ClusterName = objects.ClusterID
	}
	e := &mc.EastWestGateway
	if e.Enabled == nil {
		e.Enabled = ptr(false)
	}
	if !*e.Enabled {
		return
	}
	if e.Namespace == "" {
		e.Namespace = DefaultEastWestNamespace
	}
	if e.Service.Type == "" {
		e.Service.Type = corev1.ServiceTypeLoadBalancer
	}
	defaultReplicas(&e.Replicas, 2, 5)
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
	if s.EastWestEnabled() {
		e := &mc.EastWestGateway
		if mc.Network == "" {
			p.add("spec.multiCluster.eastWestGateway.enabled", "an east-west gateway joins the cluster's network to others; set spec.multiCluster.network")
		}
		validateNamespaceName(p, "spec.multiCluster.eastWestGateway.namespace", e.Namespace)
		validateReplicas(p, "spec.multiCluster.eastWestGateway.replicas", e.Replicas, 1)
		validateAnnotations(p, "spec.multiCluster.eastWestGateway.service.annotations", e.Service.Annotations)
		p.checkEnum("spec.multiCluster.eastWestGateway.service.type", "GatewayService.Type", string(e.Service.Type))
	}
	seen := map[string]bool{}
	for i, name := range mc.RemoteClusters {
		f := fmt.Sprintf("spec.multiCluster.remoteClusters[%d]", i)
		// The name is a Secret's name suffix and its data key.
		for _, msg := range validation.IsDNS1123Label(name) {
			p.add(f, "%q is not a DNS label: %s", name, msg)
		}
		switch {
		case name == mc.ClusterName:
			p.add(f, "%q is this cluster (spec.multiCluster.clusterName); istiod reads its own cluster without a remote secret", name)
		case seen[name]:
			p.add(f, "duplicate cluster %q", name)
		}
		seen[name] = true
	}
	if dc, ok := s.MeshConfig.fields()["defaultConfig"].(map[string]any); ok {
		if id, ok := dc["meshId"]; ok && id != mc.MeshID {
			p.add("spec.meshConfig.defaultConfig.meshId", "set spec.multiCluster.meshID instead, which the injector and gateways read too")
		}
	}
}
