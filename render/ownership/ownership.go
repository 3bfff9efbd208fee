// Package ownership says which objects are meshrender's: the labels and
// annotations every rendered object carries, and the checks the KRM
// function, the GitOps writer and the tests make with them before they
// replace, keep or prune an object.
package ownership

import (
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/internal/waypoint"
)

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

// Labels returns the labels that mark an object as the named mesh's.
func Labels(instance string) map[string]string {
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

// An application namespace is the team's: meshrender renders it only to
// set its injection label, so no GitOps tool may delete it when it leaves
// the mesh.
const (
	// AnnotationNamespaceLabels marks an application namespace whose
	// injection label the named mesh sets, and nothing else of it.
	AnnotationNamespaceLabels = "meshrender.dev/labels-for-mesh"
	// LabelIstioInjection and LabelRevision are the injection labels of
	// an application namespace, LabelDataPlaneMode puts it in the ambient
	// data plane; meshrender sets one of them and removes the others.
	LabelIstioInjection = "istio-injection"
	LabelRevision       = objects.LabelRev
	LabelDataPlaneMode  = "istio.io/dataplane-mode"
	// LabelUseWaypoint names the waypoint an ambient namespace's traffic
	// goes through, and LabelIngressUseWaypoint sends the ingress
	// gateways' traffic through it too.
	LabelUseWaypoint        = waypoint.LabelUse
	LabelIngressUseWaypoint = waypoint.LabelIngressUse
)

// DataPlaneLabels are the labels of an application namespace meshrender
// sets: it sets those it renders and removes the others.
var DataPlaneLabels = []string{LabelRevision, LabelIstioInjection, LabelDataPlaneMode, LabelUseWaypoint, LabelIngressUseWaypoint}

// LabelsOnly reports whether annotations mark a rendered object whose
// labels are all meshrender sets of it: an application namespace, which
// is someone else's and must never be replaced, pruned or deleted.
func LabelsOnly(annotations map[string]string) bool {
	_, ok := annotations[AnnotationNamespaceLabels]
	return ok
}
