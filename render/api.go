package render

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/overlays"
)

// The identity of the config type and the one Istio release it renders.
const (
	// APIVersion is the apiVersion of a Mesh document.
	APIVersion = "meshrender.dev/v1alpha1"
	// Kind is the kind of a Mesh document.
	Kind = "Mesh"
	// IstioVersion is the Istio release meshrender renders; spec.version
	// must be empty or equal to it.
	IstioVersion = "1.30.3"
)

// Profile names accepted in spec.profile. The presets themselves live in
// the profiles package.
const (
	ProfileDefault = ""
	ProfileSeed    = "seed"
	ProfileMinimal = "minimal"
)

// Mesh is the whole configuration of one Istio installation: the function
// config of the KRM function and the document behind `meshrender render -f`.
type Mesh struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       MeshSpec   `json:"spec"`
}

// ObjectMeta is the part of Kubernetes object metadata a Mesh carries.
// Annotations are where kustomize and kpt put function settings; they do
// not change what is rendered.
type ObjectMeta struct {
	// Name names the mesh; it becomes the app.kubernetes.io/instance label.
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// MeshSpec describes the mesh. Every field is optional; Default fills in
// what is left out and Validate reports what cannot be rendered.
type MeshSpec struct {
	// Profile names a preset that is merged under this spec: the spec
	// wins field by field. One of "", "seed", "minimal".
	Profile string `json:"profile,omitempty"`
	// Version is the Istio release; only IstioVersion is supported.
	Version string `json:"version,omitempty"`
	// Revision, when set, gives the control plane its own name
	// (istiod-<revision>) and istio.io/rev label so that two releases can
	// run side by side during a canary upgrade.
	Revision string `json:"revision,omitempty"`
	// Registry says where images come from.
	Registry Registry `json:"registry,omitzero"`
	// MTLS sets the mesh-wide PeerAuthentication.
	MTLS MTLS `json:"mtls,omitzero"`
	// Zones lists the availability zones the cluster spans. With two or
	// more, gateways are spread over them and zonal gateways are added.
	Zones []string `json:"zones,omitempty"`
	// Istiod tunes the control plane.
	Istiod Istiod `json:"istiod,omitzero"`
	// Ingress configures the default ingress gateway and its zonal copies.
	Ingress Ingress `json:"ingress,omitzero"`
	// ExposureClasses adds one ingress gateway (and, with zones, zonal
	// ones) per network a control plane can be exposed on.
	ExposureClasses []ExposureClass `json:"exposureClasses,omitempty"`
	// MeshConfig sets fields of Istio's mesh config (ConfigMap istio).
	MeshConfig MeshConfig `json:"meshConfig,omitzero"`
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

// Registry says where images come from: hub/name:tag[-variant], or
// hub/name@digest when Digests has an entry for the image name.
type Registry struct {
	// Hub is the registry and path prefix, such as docker.io/istio.
	Hub string `json:"hub,omitempty"`
	// Tag defaults to spec.version.
	Tag string `json:"tag,omitempty"`
	// Variant selects an image flavour such as "distroless"; it is
	// appended to the tag.
	Variant string `json:"variant,omitempty"`
	// PullSecrets are Secret names added to every pod and service account.
	PullSecrets []string `json:"pullSecrets,omitempty"`
	// Digests maps an image name (pilot, proxyv2) to a sha256 digest that
	// pins it.
	Digests map[string]string `json:"digests,omitempty"`
}

// MTLS is the mesh-wide mutual TLS policy.
type MTLS struct {
	// Mode is STRICT (default) or PERMISSIVE.
	Mode string `json:"mode,omitempty"`
}

// Istiod tunes the control plane deployment.
type Istiod struct {
	// Namespace is where istiod runs and Istio's root namespace
	// (default istio-system).
	Namespace string `json:"namespace,omitempty"`
	// Replicas bounds the horizontal autoscaler (default 2 to 5).
	Replicas Replicas `json:"replicas,omitzero"`
	// Resources of the discovery container.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// Replicas bounds a horizontal pod autoscaler.
type Replicas struct {
	Min *int32 `json:"min,omitempty"`
	Max *int32 `json:"max,omitempty"`
}

// Ingress configures the default ingress gateway. With two or more zones
// and Zonal left true, every zone also gets a gateway pinned to it.
type Ingress struct {
	// Enabled renders the ingress gateways (default true).
	Enabled *bool `json:"enabled,omitempty"`
	// Namespace of the all-zone gateway (default istio-ingress); zonal
	// gateways run in <namespace>--<zone>.
	Namespace string `json:"namespace,omitempty"`
	// Zonal adds one gateway per zone when there are two or more zones
	// (default true).
	Zonal *bool `json:"zonal,omitempty"`
	// Service configures the LoadBalancer Service of every gateway.
	Service GatewayService `json:"service,omitzero"`
	// ZoneOverrides change the Service of one zone's gateway.
	ZoneOverrides []ZoneOverride `json:"zoneOverrides,omitempty"`
	// Replicas bounds the autoscaler of each zonal gateway; the all-zone
	// gateway gets both bounds multiplied by the number of zones.
	Replicas Replicas `json:"replicas,omitzero"`
	// Ports are the Service ports besides the status port 15021
	// (default http2 80->8080 and https 443->8443).
	Ports []GatewayPort `json:"ports,omitempty"`
	// Resources of the istio-proxy container.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// GatewayService configures a gateway's LoadBalancer Service.
type GatewayService struct {
	// Type is LoadBalancer (default), NodePort or ClusterIP.
	Type corev1.ServiceType `json:"type,omitempty"`
	// ExternalTrafficPolicy is Cluster or Local; empty leaves the
	// Kubernetes default (Cluster).
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`
	// Annotations are added to the Service, for cloud load balancer
	// settings.
	Annotations map[string]string `json:"annotations,omitempty"`
	// LoadBalancerClass selects a load balancer implementation.
	LoadBalancerClass string `json:"loadBalancerClass,omitempty"`
}

// GatewayPort is one Service port of a gateway.
type GatewayPort struct {
	Name       string `json:"name"`
	Port       int32  `json:"port"`
	TargetPort int32  `json:"targetPort,omitempty"`
}

// ZoneOverride changes the Service of the gateways pinned to one zone.
type ZoneOverride struct {
	Zone    string              `json:"zone"`
	Service ZoneServiceOverride `json:"service,omitzero"`
}

// ZoneServiceOverride holds the Service settings a zone may change.
// Annotations are merged over the gateway's; the policy replaces it.
type ZoneServiceOverride struct {
	Annotations           map[string]string                   `json:"annotations,omitempty"`
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`
}

// ExposureClass is a network a control plane can be exposed on, served by
// its own ingress gateway in istio-ingress-handler-<name>.
type ExposureClass struct {
	// Name is a DNS label; it names the gateway namespace and the
	// handler.exposureclass.gardener.cloud/name label.
	Name string `json:"name"`
	// Labels are added to the gateway pods and used in its selector.
	Labels map[string]string `json:"labels,omitempty"`
	// Service configures this class's LoadBalancer Service; unset fields
	// fall back to spec.ingress.service.
	Service GatewayService `json:"service,omitzero"`
	// Zonal adds one gateway per zone for this class (default: the value
	// of spec.ingress.zonal).
	Zonal *bool `json:"zonal,omitempty"`
}

// MeshConfig sets fields of Istio's mesh config.
type MeshConfig struct {
	// OutboundTrafficPolicy is ALLOW_ANY (default) or REGISTRY_ONLY.
	OutboundTrafficPolicy string `json:"outboundTrafficPolicy,omitempty"`
	// AccessLogFile is where proxies write access logs, such as
	// /dev/stdout; empty turns them off.
	AccessLogFile string `json:"accessLogFile,omitempty"`
	// ExportTo sets where Services, VirtualServices and DestinationRules
	// are visible unless they say otherwise.
	ExportTo ExportTo `json:"exportTo,omitzero"`
}

// ExportTo holds mesh-wide default visibility. Each entry is "*" (every
// namespace), "." (the object's own namespace), "~" (nowhere) or a
// namespace name; empty keeps Istio's default, "*".
type ExportTo struct {
	Services         []string `json:"services,omitempty"`
	VirtualServices  []string `json:"virtualServices,omitempty"`
	DestinationRules []string `json:"destinationRules,omitempty"`
}
