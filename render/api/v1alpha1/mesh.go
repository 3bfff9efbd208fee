package v1alpha1

import (
	"github.com/meshrender/meshrender/overlays"
)

// The identity of the config type and the one Istio release it renders.
const (
	// APIVersion is the apiVersion of a Mesh document.
	APIVersion = "meshrender.dev/v1alpha1"
	// Kind is the kind of a Mesh document.
	Kind = "Mesh"
	// IstioVersion is the newest Istio release meshrender renders, the
	// default of spec.version; IstioReleases lists them all.
	IstioVersion = "1.31.4"
)

// Profile names accepted in spec.profile. The presets themselves live in
// the profiles package.
const (
	ProfileDefault   = ""
	ProfileSeed      = "seed"
	ProfileMinimal   = "minimal"
	ProfileReference = "reference"
)

// DefaultMeshName names a mesh whose metadata.name is empty.
const DefaultMeshName = "default"

// Mesh is the whole configuration of one Istio installation: the function
// config of the KRM function and the document behind `meshrender render -f`.
//
// +k8s:deepcopy-gen=true
type Mesh struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       MeshSpec   `json:"spec"`
}

// ObjectMeta is the part of Kubernetes object metadata a Mesh carries.
// Annotations are where kustomize and kpt put function settings; they do
// not change what is rendered.
//
// +k8s:deepcopy-gen=true
type ObjectMeta struct {
	// Name names the mesh; it becomes the app.kubernetes.io/instance label.
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// MeshSpec describes the mesh. Every field is optional; Default fills in
// what is left out and Validate reports what cannot be rendered.
//
// +k8s:deepcopy-gen=true
type MeshSpec struct {
	// Profile names a preset that is merged under this spec: the spec
	// wins field by field. One of "", "seed", "minimal", "reference".
	Profile string `json:"profile,omitempty"`
	// Version is the Istio release, one of IstioReleases (default the
	// newest): the release of the control plane, or of every revision
	// that names none.
	Version string `json:"version,omitempty"`
	// CompatibilityVersion is Istio's compatibilityVersion: a minor
	// release, one or two before the control plane's, whose behaviour the
	// control plane keeps (istiod gets the settings of the release's
	// compatibility-version profile), so that an upgrade changes the
	// release first and the behaviour later. It is the default of each
	// revision's compatibilityVersion.
	CompatibilityVersion string `json:"compatibilityVersion,omitempty"`
	// Revision, when set, gives the one control plane its own name
	// (istiod-<revision>) and istio.io/rev label. A mesh with
	// spec.revisions names each control plane there instead.
	Revision string `json:"revision,omitempty"`
	// Revisions are the control planes of a mesh that runs several side
	// by side, for a canary upgrade: each its own istiod, injector and
	// webhooks, of its own release. What the cluster has once (the CRDs,
	// the namespaces, the mesh-wide mTLS policy, istio-cni) is rendered
	// once.
	Revisions []Revision `json:"revisions,omitempty"`
	// Tags map a tag name (default, stable, canary, ...) to the revision
	// it stands for: namespaces labelled istio.io/rev=<tag> are injected
	// by that revision, and moving a tag is changing its revision here.
	// The tag "default" also takes namespaces labelled
	// istio-injection=enabled and validates Istio resources without an
	// istio.io/rev label.
	Tags map[string]string `json:"tags,omitempty"`
	// Registry says where images come from.
	Registry Registry `json:"registry,omitzero"`
	// MTLS sets the mesh-wide PeerAuthentication.
	MTLS MTLS `json:"mtls,omitzero"`
	// Zones lists the availability zones the cluster spans. With two or
	// more, gateways are spread over them and zonal gateways are added.
	Zones []string `json:"zones,omitempty"`
	// Istiod tunes the control plane.
	Istiod Istiod `json:"istiod,omitzero"`
	// Injection is automatic sidecar injection.
	Injection Injection `json:"injection,omitzero"`
	// CNI runs istio-cni on every node, so injected pods need no
	// privileges.
	CNI CNI `json:"cni,omitzero"`
	// Ambient runs Istio's ambient data plane beside the sidecars:
	// ztunnel on every node, for the namespaces whose dataPlaneMode is
	// ambient.
	Ambient Ambient `json:"ambient,omitzero"`
	// MultiCluster places the cluster in a mesh of several clusters.
	MultiCluster MultiCluster `json:"multiCluster,omitzero"`
	// SecretStore is the External Secrets Operator's store the remote
	// secrets and a plugged-in CA come from.
	SecretStore SecretStore `json:"secretStore,omitzero"`
	// GatewayAPI says whether the Gateway API CRDs, which waypoints need,
	// are rendered.
	GatewayAPI GatewayAPI `json:"gatewayAPI,omitzero"`
	// Ingress configures the default ingress gateway and its zonal copies.
	Ingress Ingress `json:"ingress,omitzero"`
	// ExposureClasses adds one ingress gateway (and, with zones, zonal
	// ones) per network a control plane can be exposed on.
	ExposureClasses []ExposureClass `json:"exposureClasses,omitempty"`
	// Egress configures the egress gateway.
	Egress Egress `json:"egress,omitzero"`
	// Namespaces are the application namespaces in the mesh, each
	// labelled for the revision or tag whose istiod injects its pods.
	// meshrender sets that label and owns nothing else of them.
	Namespaces []MeshNamespace `json:"namespaces,omitempty"`
	// NetworkPolicy isolates meshrender's namespaces and the application
	// namespaces with NetworkPolicies.
	NetworkPolicy NetworkPolicy `json:"networkPolicy,omitzero"`
	// Certificates are the gateways' credentials from Vault through
	// cert-manager, and the teams that may ask for them.
	Certificates Certificates `json:"certificates,omitzero"`
	// MeshConfig is Istio's mesh config (ConfigMap istio), any field of
	// Istio's MeshConfig under Istio's own names.
	MeshConfig MeshConfig `json:"meshConfig,omitzero"`
	// PodSecurity sets the Pod Security level of a namespace meshrender
	// owns (istiod's, a gateway's, istio-cni's own), keyed by namespace:
	// restricted, baseline or privileged. Each is restricted but
	// istio-cni's, which is privileged; this is the one way to change
	// that, since every pod template is checked against its namespace's
	// level and an overlay may not relabel a namespace.
	PodSecurity map[string]string `json:"podSecurity,omitempty"`
	// Overlays patch the rendered objects, in order, for what the typed
	// fields leave out: strategic merge patches and JSON 6902 patches,
	// selected the way kustomize's patches are.
	Overlays []Overlay `json:"overlays,omitempty"`
}

// Overlay is a patch applied to the rendered objects; see the overlays
// package.
type Overlay = overlays.Patch

// OverlayTarget selects the objects an overlay patches.
type OverlayTarget = overlays.Target
