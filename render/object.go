package render

import (
	"strings"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// Object is one rendered Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Component is the unit of the mesh the object belongs to, such as
	// crds, control-plane or gateways/istio-ingress.
	Component string
	// Layer is the stage of the installation the component belongs to.
	Layer Layer
	// YAML is the object as a YAML document, without a "---" line.
	YAML []byte
}

// key is what install order sorts on.
func (o *Object) key() objects.Key {
	return objects.Key{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// identity is what an overlay target selects on.
func identity(k objects.Key) overlays.Identity {
	group, version, ok := strings.Cut(k.APIVersion, "/")
	if !ok {
		group, version = "", k.APIVersion
	}
	return overlays.Identity{Group: group, Version: version, Kind: k.Kind, Name: k.Name, Namespace: k.Namespace}
}

// namespacedName is namespace/name, or the name of a cluster-scoped object.
func namespacedName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// The labels that mark an object as meshrender's, on every rendered object
// and on the GitOps objects around them.
const (
	// LabelManagedBy is app.kubernetes.io/managed-by, ManagedBy on every
	// object meshrender writes.
	LabelManagedBy = objects.LabelManagedBy
	// LabelInstance is app.kubernetes.io/instance, the mesh's name. The
	// CRDs, which every mesh renders the same, carry none.
	LabelInstance = objects.LabelInstance
	// LabelPartOf is app.kubernetes.io/part-of, always PartOf.
	LabelPartOf = objects.LabelPartOf
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = objects.ManagedBy
	// PartOf is the value of LabelPartOf.
	PartOf = objects.PartOf
)

// OwnerLabels returns the labels that mark an object as the named mesh's.
func OwnerLabels(instance string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedBy, LabelPartOf: PartOf, LabelInstance: instance}
}

// Owns reports whether labels mark an object as rendered for the named
// mesh.
func Owns(labels map[string]string, instance string) bool {
	return labels[LabelManagedBy] == ManagedBy && labels[LabelInstance] == instance
}

// SharedByMeshes reports whether labels mark an object meshrender renders
// the same for every mesh, such as a CRD: managed by meshrender, without
// an instance.
func SharedByMeshes(labels map[string]string) bool {
	_, hasInstance := labels[LabelInstance]
	return labels[LabelManagedBy] == ManagedBy && !hasInstance
}
