package v1alpha1

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
)

func (t *Topology) validateNamespaces(p *problems) {
	s := t.spec
	seen := map[string]int{}
	for i, ns := range s.Namespaces {
		f := fmt.Sprintf("spec.namespaces[%d]", i)
		switch {
		case ns.Name == "":
			p.add(f+".name", "must not be empty")
		case slices.Contains(systemNamespaces, ns.Name):
			p.add(f+".name", "%q is a system namespace; its pods must not be injected", ns.Name)
		case t.Owns(ns.Name) || ns.Name == s.CNI.Namespace:
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
		p.checkEnum(f+".dataPlaneMode", "MeshNamespace.DataPlaneMode", ns.DataPlaneMode)
		t.validateWaypoints(p, f, ns)
		switch {
		case ns.DataPlaneMode == DataPlaneAmbient:
			switch {
			case !s.AmbientEnabled():
				p.add(f+".dataPlaneMode", "ambient namespaces need spec.ambient.enabled")
			case ns.IstioInjection || ns.Revision != "":
				p.add(f, "an ambient namespace's pods are not injected; it takes neither revision nor istioInjection")
			}
		case ns.DataPlaneMode != "":
		case !s.Injecting():
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
	if len(s.Tags) > 0 && !s.Injecting() {
		p.add("spec.tags", "revision tags select what is injected, and spec.injection.enabled is false")
	}
}
