package v1alpha1

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/render/internal/waypoint"
	"github.com/meshrender/meshrender/render/internal/ztunnel"
)

// Ambient is Istio's ambient data plane: no sidecar per pod, a ztunnel
// per node that carries the traffic of the ambient namespaces' pods over
// mutual TLS (HBONE) and enforces L4 policy, beside the sidecar
// namespaces of the same mesh.
//
// +k8s:deepcopy-gen=true
type Ambient struct {
	// Enabled runs ztunnel on every node, istio-cni in ambient mode and
	// istiod with ambient on (default false). It needs istio-cni, which
	// it turns on unless spec.cni.enabled is false.
	Enabled *bool `json:"enabled,omitempty"`
	// Ztunnel tunes the node proxy, which runs in istio-cni's namespace
	// (spec.cni.namespace): both node agents need Pod Security
	// privileged, which istiod's namespace is not.
	Ztunnel Ztunnel `json:"ztunnel,omitzero"`
}

// Ztunnel tunes the ambient node proxy.
//
// +k8s:deepcopy-gen=true
type Ztunnel struct {
	// Resources of the ztunnel container (default upstream's requests,
	// 200m and 512Mi, and a memory limit of 2Gi).
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// UpdateStrategy is RollingUpdate (default: a new ztunnel starts on
	// each node beside the old one, and connections the old one carries
	// are reset when it exits) or OnDelete (a node's ztunnel is replaced
	// only when its pod is deleted, for example by draining the node).
	UpdateStrategy string `json:"updateStrategy,omitempty"`
}

// Waypoint is a waypoint proxy of an ambient namespace, rendered as a
// Gateway API Gateway of class istio-waypoint with the HBONE listener;
// istiod creates its Deployment, Service and ServiceAccount, all named
// after it.
//
// +k8s:deepcopy-gen=true
type Waypoint struct {
	// Name of the waypoint's Gateway.
	Name string `json:"name"`
	// For is the traffic it handles (the label istio.io/waypoint-for):
	// service (default: traffic addressed to Services), workload (to
	// pods), all, or none.
	For string `json:"for,omitempty"`
	// UsedByNamespace sends the traffic of the whole namespace through it
	// (the label istio.io/use-waypoint on the namespace); a namespace has
	// at most one such waypoint. Otherwise only the Services and pods
	// their owners label istio.io/use-waypoint=<name> use it.
	UsedByNamespace bool `json:"usedByNamespace,omitempty"`
	// Ingress sends the ingress gateways' traffic for the namespace
	// through it too (the label istio.io/ingress-use-waypoint on the
	// namespace), so that its L7 policy holds for requests from outside;
	// without it, the gateways reach the pods directly. Only with
	// usedByNamespace.
	Ingress bool `json:"ingress,omitempty"`
	// Revision is the revision or tag whose istiod runs it (the label
	// istio.io/rev); left empty, the control plane without a revision or
	// the one the tag "default" names.
	Revision string `json:"revision,omitempty"`
}

// GatewayAPI is the Kubernetes Gateway API as the mesh uses it: waypoints
// are Gateways of it, and istiod watches it only when its CRDs exist.
//
// +k8s:deepcopy-gen=true
type GatewayAPI struct {
	// InstallCRDs renders the Gateway API's standard-channel CRDs of the
	// release the newest control plane's Istio requires, in the crds
	// layer (default: true with spec.ambient.enabled). Set it to false
	// when the cluster gets them from elsewhere, such as its provider.
	InstallCRDs *bool `json:"installCRDs,omitempty"`
}

// GatewayAPICRDs reports whether the mesh renders the Gateway API CRDs.
func (s *MeshSpec) GatewayAPICRDs() bool {
	return s.GatewayAPI.InstallCRDs != nil && *s.GatewayAPI.InstallCRDs
}

// DataPlaneAmbient is the data-plane mode of an ambient namespace, the
// value of its istio.io/dataplane-mode label.
const DataPlaneAmbient = "ambient"

func (s *MeshSpec) setAmbientDefaults() {
	a := &s.Ambient
	if a.Enabled == nil {
		a.Enabled = ptr(false)
	}
	if s.GatewayAPI.InstallCRDs == nil {
		s.GatewayAPI.InstallCRDs = ptr(*a.Enabled)
	}
	for i := range s.Namespaces {
		for j := range s.Namespaces[i].Waypoints {
			if w := &s.Namespaces[i].Waypoints[j]; w.For == "" {
				w.For = waypoint.ForService
			}
		}
	}
	if !*a.Enabled {
		return
	}
	if s.CNI.Enabled == nil {
		s.CNI.Enabled = ptr(true)
	}
	if a.Ztunnel.Resources == nil {
		r := ztunnel.DefaultResources()
		a.Ztunnel.Resources = &r
	}
	if a.Ztunnel.UpdateStrategy == "" {
		a.Ztunnel.UpdateStrategy = ztunnel.RollingUpdate
	}
}

// AmbientEnabled reports whether the mesh runs the ambient data plane.
func (s *MeshSpec) AmbientEnabled() bool {
	return s.Ambient.Enabled != nil && *s.Ambient.Enabled
}

func (s *MeshSpec) validateAmbient(p *problems) {
	a := &s.Ambient
	if !s.AmbientEnabled() {
		if a.Ztunnel != (Ztunnel{}) {
			p.add("spec.ambient.ztunnel", "tunes ztunnel, which runs only with spec.ambient.enabled")
		}
		return
	}
	if !s.CNIEnabled() {
		p.add("spec.ambient.enabled", "ambient needs istio-cni to redirect pods' traffic to ztunnel, and spec.cni.enabled is false")
	}
	validateResources(p, "spec.ambient.ztunnel.resources", a.Ztunnel.Resources)
	p.checkEnum("spec.ambient.ztunnel.updateStrategy", "Ztunnel.UpdateStrategy", a.Ztunnel.UpdateStrategy)
}

// Waypoints are the waypoints of an application namespace of the mesh.
func (s *MeshSpec) Waypoints(namespace string) []Waypoint {
	if ns := s.namespace(namespace); ns != nil {
		return ns.Waypoints
	}
	return nil
}

// namespace is the application namespace of the mesh of that name, or
// nil.
func (s *MeshSpec) namespace(name string) *MeshNamespace {
	for i := range s.Namespaces {
		if s.Namespaces[i].Name == name {
			return &s.Namespaces[i]
		}
	}
	return nil
}

// NamespaceWaypoint is the waypoint the whole of an application
// namespace's service traffic goes through, or nil: its waypoint with
// usedByNamespace, if that handles traffic to Services.
func (s *MeshSpec) NamespaceWaypoint(namespace string) *Waypoint {
	for _, w := range s.Waypoints(namespace) {
		if w.UsedByNamespace && (w.For == waypoint.ForService || w.For == waypoint.ForAll) {
			return &w
		}
	}
	return nil
}

// InAmbient reports whether an application namespace of the mesh is in the
// ambient data plane.
func (s *MeshSpec) InAmbient(namespace string) bool {
	ns := s.namespace(namespace)
	return ns != nil && ns.DataPlaneMode == DataPlaneAmbient
}

// validateWaypoints checks the waypoints of spec.namespaces[i], at f.
func (t *Topology) validateWaypoints(p *problems, f string, ns MeshNamespace) {
	if len(ns.Waypoints) > 0 && ns.DataPlaneMode != DataPlaneAmbient {
		p.add(f+".waypoints", "waypoints serve ambient namespaces, and %q is not one (dataPlaneMode: ambient)", ns.Name)
		return
	}
	if len(ns.Waypoints) > 0 && !t.spec.Injecting() {
		// istiod deploys waypoints from the injector's templates, and
		// without injection its deployment controller is off.
		p.add(f+".waypoints", "istiod deploys waypoints from the injector's templates, and spec.injection.enabled is false")
		return
	}
	names := map[string]int{}
	namespaceWide := -1
	for i, w := range ns.Waypoints {
		wf := fmt.Sprintf("%s.waypoints[%d]", f, i)
		if w.Name == "" {
			p.add(wf+".name", "must not be empty")
		}
		for _, msg := range validation.IsDNS1035Label(w.Name) {
			if w.Name != "" {
				p.add(wf+".name", "%q names the waypoint's Service, which must be a DNS-1035 label: %s", w.Name, msg)
			}
		}
		if j, ok := names[w.Name]; ok && w.Name != "" {
			p.add(wf+".name", "duplicate waypoint %q (also %s.waypoints[%d])", w.Name, f, j)
		}
		names[w.Name] = i
		p.checkEnum(wf+".for", "Waypoint.For", w.For)
		if w.UsedByNamespace {
			if namespaceWide >= 0 {
				p.add(wf+".usedByNamespace", "the namespace already uses %s.waypoints[%d]; a namespace's traffic goes through one waypoint", f, namespaceWide)
			}
			namespaceWide = i
		}
		if w.Ingress && !w.UsedByNamespace {
			p.add(wf+".ingress", "sends the ingress gateways' traffic for the namespace through the waypoint, which needs usedByNamespace")
		}
		if w.Revision == "" && !t.spec.injectsByDefault() {
			// istiod runs an unlabelled Gateway only when it is the
			// default: without a revision, or named by the default tag.
			p.add(wf+".revision", "every control plane has a revision and none is tagged %q; name the revision or tag whose istiod runs the waypoint", DefaultTag)
			continue
		}
		t.validateFollowedRevision(p, wf+".revision", w.Revision)
	}
}
