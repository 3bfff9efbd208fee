package render

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/render/ownership"
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

func (t *topology) validateNamespaces(p *problems) {
	s := t.spec
	seen := map[string]int{}
	for i, ns := range s.Namespaces {
		f := fmt.Sprintf("spec.namespaces[%d]", i)
		switch {
		case ns.Name == "":
			p.add(f+".name", "must not be empty")
		case slices.Contains(systemNamespaces, ns.Name):
			p.add(f+".name", "%q is a system namespace; its pods must not be injected", ns.Name)
		case t.owns(ns.Name) || ns.Name == s.CNI.Namespace:
			p.add(f+".name", "%q is one of meshrender's own namespaces, where nothing is injected", ns.Name)
		default:
			for _, msg := range validation.IsDNS1123Label(ns.Name) {
				p.add(f+".name", "%q is not a namespace name: %s", ns.Name, msg)
			}
		}
		if j, ok := seen[ns.Name]; ok && ns.Name != "" {
			p.add(f+".name", "duplicate namespace %q (also spec.namespaces[%d])", ns.Name, j)
		}
		seen[ns.Name] = i
		switch {
		case !s.injecting():
			p.add(f, "namespaces join the mesh by sidecar injection, which spec.injection.enabled turns off")
		case ns.IstioInjection && ns.Revision != "":
			p.add(f, "takes revision or istioInjection, not both")
		case ns.IstioInjection:
			if !s.injectsByDefault() {
				p.add(f+".istioInjection", "istio-injection=enabled is injected by the control plane without a revision or the one the tag %q names, and the mesh has neither", DefaultTag)
			}
		case ns.Revision == "":
			p.add(f+".revision", "must name a revision or tag (or set istioInjection)")
		default:
			t.validateFollowedRevision(p, f+".revision", ns.Revision)
		}
	}
	if len(s.Tags) > 0 && !s.injecting() {
		p.add("spec.tags", "revision tags select what is injected, and spec.injection.enabled is false")
	}
}

// namespaceComponents plans the application namespaces' labels, in the
// data-plane layer: they join the mesh once the control planes that
// inject them run. With network isolation, each namespace's policies
// are in policies/<namespace>.
func namespaceComponents(t *topology) []component {
	s := t.spec
	var out []component
	if len(s.Namespaces) > 0 {
		namespaces := slices.Clone(s.Namespaces)
		instance := t.mesh.Metadata.Name
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
	}
	if s.networkPolicies() {
		for _, np := range s.NetworkPolicy.Namespaces {
			out = append(out, policyComponent(LayerPolicies, np.Name, "spec.networkPolicy", func() []typedObject {
				return applicationNetworkPolicies(s, t.meta(t.clusterWide.version), np)
			}))
		}
	}
	return out
}

// applicationNamespace is the part of an application namespace meshrender
// owns: one injection label. Applied server-side under meshrender's own
// field manager, it sets that label and leaves the rest of the namespace
// to whoever owns it; applied again with the other label, it moves the
// namespace to another revision.
func applicationNamespace(ns MeshNamespace, instance string) *corev1.Namespace {
	labels := map[string]string{ownership.LabelRevision: ns.Revision}
	if ns.IstioInjection {
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
