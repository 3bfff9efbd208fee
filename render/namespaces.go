package render

import (
	"slices"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/internal/waypoint"
	"github.com/meshrender/meshrender/render/ownership"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Annotations on an application namespace that keep GitOps tools from
// deleting it: it is the team's.
const (
	// fluxPrune disabled keeps Flux from deleting the namespace when it
	// leaves the tree.
	fluxPrune = "kustomize.toolkit.fluxcd.io/prune"
	// argoSyncOptions Prune=false and Delete=false keep Argo CD from
	// deleting it when it leaves the tree or the Application goes.
	argoSyncOptions = "argocd.argoproj.io/sync-options"
)

// namespaceComponents plans the application namespaces' labels, in the
// data-plane layer: they join the mesh once the control planes that
// inject them run. With network isolation, each namespace's policies
// are in policies/<namespace>.
func namespaceComponents(t *topology) []component {
	s := t.spec
	var out []component
	if len(s.Namespaces) > 0 {
		namespaces := slices.Clone(s.Namespaces)
		instance := t.Mesh.Metadata.Name
		out = append(out, component{
			Name:  string(LayerDataPlane) + "/namespaces",
			Field: "spec.namespaces",
			Layer: LayerDataPlane,
			Build: func() ([]typedObject, error) {
				out := make([]typedObject, len(namespaces))
				for i, ns := range namespaces {
					out[i] = applicationNamespace(ns, instance)
				}
				return out, nil
			},
		})
		if slices.ContainsFunc(namespaces, func(ns v1alpha1.MeshNamespace) bool { return len(ns.Waypoints) > 0 }) {
			out = append(out, component{
				Name:  string(LayerDataPlane) + "/waypoints",
				Field: "spec.namespaces",
				Layer: LayerDataPlane,
				Build: func() ([]typedObject, error) { return waypoints(t, namespaces), nil },
			})
		}
	}
	if s.IsolatesNetwork() {
		for _, np := range s.NetworkPolicy.Namespaces {
			out = append(out, policyComponent(LayerPolicies, np.Name, "spec.networkPolicy", func() []typedObject {
				return applicationNetworkPolicies(s, t.meta(t.ClusterWide.Version), np)
			}))
		}
	}
	return out
}

// applicationNamespace is the part of an application namespace meshrender
// owns: one label, for injection or the ambient data plane. Applied server-side under meshrender's own
// field manager, it sets that label and leaves the rest of the namespace
// to whoever owns it; applied again with the other label, it moves the
// namespace to another revision.
func applicationNamespace(ns v1alpha1.MeshNamespace, instance string) *corev1.Namespace {
	labels := map[string]string{ownership.LabelRevision: ns.Revision}
	switch {
	case ns.DataPlaneMode == v1alpha1.DataPlaneAmbient:
		labels = map[string]string{ownership.LabelDataPlaneMode: v1alpha1.DataPlaneAmbient}
		for _, w := range ns.Waypoints {
			if w.UsedByNamespace {
				labels[ownership.LabelUseWaypoint] = w.Name
			}
			if w.Ingress {
				labels[ownership.LabelIngressUseWaypoint] = "true"
			}
		}
	case ns.IstioInjection:
		labels = map[string]string{ownership.LabelIstioInjection: "enabled"}
	}
	return &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   ns.Name,
			Labels: labels,
			Annotations: map[string]string{
				ownership.AnnotationNamespaceLabels: instance,
				fluxPrune:                           "disabled",
				argoSyncOptions:                     "Prune=false,Delete=false",
			},
		},
	}
}

// waypoints are the ambient namespaces' waypoints, each a Gateway that
// istiod, of the revision it names, deploys.
func waypoints(t *topology, namespaces []v1alpha1.MeshNamespace) []typedObject {
	var out []typedObject
	for _, ns := range namespaces {
		for _, w := range ns.Waypoints {
			plane := t.Resolve(w.Revision)
			var rev map[string]string
			if w.Revision != "" {
				rev = map[string]string{objects.LabelRev: w.Revision}
			}
			out = append(out, waypoint.New(w.Name, ns.Name, w.For, t.meta(plane.Version).Labels(w.Name, rev)))
		}
	}
	return out
}
