package render

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/internal/podsecurity"
)

// Layer is a stage of the installation. A GitOps tool applies the layers
// in order, each one healthy before the next starts.
type Layer string

// The layers, in install order.
const (
	// LayerCRDs holds Istio's CustomResourceDefinitions.
	LayerCRDs Layer = "crds"
	// LayerControlPlane holds istiod with its RBAC, config and webhooks,
	// and the mesh-wide policy.
	LayerControlPlane Layer = "control-plane"
	// LayerDataPlane holds what runs on every node for the workloads.
	LayerDataPlane Layer = "data-plane"
	// LayerGateways holds the gateways, one component per namespace.
	LayerGateways Layer = "gateways"
	// LayerPolicies holds what the mesh admin adds around the
	// installation: network isolation, edge authentication, the
	// certificate issuer and who may ask it for certificates.
	LayerPolicies Layer = "policies"
	// LayerCertificates holds the gateways' certificates, once their
	// issuer exists.
	LayerCertificates Layer = "certificates"
	// LayerApplications holds the applications rendered with the mesh,
	// one component per application namespace: their Istio Gateways and
	// certificates in the gateways' namespaces, their routes and policies
	// in their own. They need the gateways and the issuer first.
	LayerApplications Layer = "applications"
)

// Layers lists every layer in install order.
var Layers = []Layer{LayerCRDs, LayerControlPlane, LayerDataPlane, LayerGateways, LayerPolicies, LayerCertificates, LayerApplications}

// Rank is the layer's position in Layers; a layer not listed sorts last.
func (l Layer) Rank() int {
	for i, x := range Layers {
		if x == l {
			return i
		}
	}
	return len(Layers)
}

// namespaceSpec is a namespace a component owns: meshrender renders it,
// with the component's Pod Security level and labels.
type namespaceSpec struct {
	Name string
	// PodSecurity is enforced, warned about and audited.
	PodSecurity v1alpha1.PodSecurity
	// Labels are added to the namespace, such as the identity of the
	// gateway it holds, for policies that select namespaces.
	Labels map[string]string
}

// typedObject is a Kubernetes object built from its Go type, with its
// TypeMeta filled in.
type typedObject = objects.Object

// component is one unit of the mesh, planned from the topology of a
// valid mesh: everything in it is installed, upgraded and removed
// together.
type component struct {
	// Name is unique in a mesh. It is the layer, or the layer and a part
	// within it: "control-plane", "gateways/istio-ingress".
	Name string
	// Field is the part of the spec the component comes from, such as
	// spec.egress, for messages about it.
	Field string
	// Layer is the stage of the installation the component belongs to.
	Layer Layer
	// Namespaces are the namespaces the component owns, as the topology
	// has them. A namespace two components own is rendered once, with
	// the first one's name.
	Namespaces []namespaceSpec
	// Build returns the component's objects. It is pure: it reads only
	// what the planner captured from the mesh.
	Build func() ([]typedObject, error)
}

// namespaceLabels enforce a Pod Security level (warn and audit too, so a
// patched pod template that breaks it is reported on apply) and keep
// sidecar injection off in meshrender's own namespaces.
func namespaceLabels(level v1alpha1.PodSecurity) map[string]string {
	return map[string]string{
		podsecurity.LabelEnforce: string(level),
		podsecurity.LabelWarn:    string(level),
		podsecurity.LabelAudit:   string(level),
		"istio-injection":        "disabled",
	}
}

// componentNamespace is a namespace to render and the component it goes
// with.
type componentNamespace struct {
	namespaceSpec
	component *component
}

// namespaces merges what the components say about their namespaces, in
// the order the namespaces first appear.
func namespaces(components []component) []componentNamespace {
	var out []componentNamespace
	index := map[string]int{}
	for i := range components {
		c := &components[i]
		for _, ns := range c.Namespaces {
			j, seen := index[ns.Name]
			if !seen {
				index[ns.Name] = len(out)
				out = append(out, componentNamespace{namespaceSpec: namespaceSpec{Name: ns.Name, PodSecurity: ns.PodSecurity, Labels: objects.Merge(ns.Labels)}, component: c})
				continue
			}
			o := &out[j]
			o.Labels = objects.Merge(o.Labels, ns.Labels)
		}
	}
	return out
}

// object returns the Namespace with the standard and Pod Security labels.
func (ns componentNamespace) object(meta objects.Meta) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: meta.Labels("", objects.Merge(namespaceLabels(ns.PodSecurity), ns.Labels))},
	}
}

// ownedSpec is how a component lists a namespace the topology says it
// owns.
func ownedSpec(ns *v1alpha1.OwnedNamespace) namespaceSpec {
	return namespaceSpec{Name: ns.Name, PodSecurity: ns.PodSecurity, Labels: ns.Labels}
}

// derefOr is *p, or def when p is nil.
func derefOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
