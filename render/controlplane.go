package render

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/render/internal/injector"
	"github.com/meshrender/meshrender/render/internal/istiod"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// MTLS is the mesh-wide mutual TLS policy.
//
// +k8s:deepcopy-gen=true
type MTLS struct {
	// Mode is STRICT (default) or PERMISSIVE.
	Mode string `json:"mode,omitempty"`
}

// Istiod tunes the control plane deployment.
//
// +k8s:deepcopy-gen=true
type Istiod struct {
	// Namespace is where istiod runs and Istio's root namespace
	// (default istio-system).
	Namespace string `json:"namespace,omitempty"`
	// Replicas bounds the horizontal autoscaler (default 2 to 5).
	Replicas Replicas `json:"replicas,omitzero"`
	// Resources of the discovery container.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// DefaultIstiodNamespace is where istiod runs unless
// spec.istiod.namespace says otherwise.
const DefaultIstiodNamespace = "istio-system"

func (i *Istiod) setDefaults() {
	if i.Namespace == "" {
		i.Namespace = DefaultIstiodNamespace
	}
	defaultReplicas(&i.Replicas, 2, 5)
	if i.Resources == nil {
		// Upstream's requests. Upstream sets no limits; a memory limit
		// restarts a runaway istiod instead of starving its node, and CPU
		// stays unlimited because istiod's pushes are bursty and
		// GOMAXPROCS follows limits.cpu (node capacity when unset).
		i.Resources = resources("500m", "2048Mi", "", "4096Mi")
	}
}

func (m *MTLS) setDefaults() {
	if m.Mode == "" {
		m.Mode = MTLSStrict
	}
}

func validateRevision(p *problems, rev string) {
	if rev == "" {
		return
	}
	if rev == "default" {
		p.add("spec.revision", `"default" names the unrevisioned control plane; leave the revision empty instead`)
		return
	}
	for _, msg := range validation.IsDNS1123Label(rev) {
		p.add("spec.revision", "%q is not a DNS label: %s", rev, msg)
	}
	// istiod-<revision> is a Service name, a DNS label of at most 63.
	if len(rev) > 56 {
		p.add("spec.revision", "%q is longer than 56 characters; istiod-%s would not be a valid Service name", rev, rev)
	}
}

func (i *Istiod) validate(p *problems) {
	validateNamespaceName(p, "spec.istiod.namespace", i.Namespace)
	validateReplicas(p, "spec.istiod.replicas", i.Replicas, 1)
	validateResources(p, "spec.istiod.resources", i.Resources)
}

// controlPlaneNames derives every control plane name from the spec.
func controlPlaneNames(s *MeshSpec) istiod.Names {
	return istiod.Names{Revision: s.Revision, NS: s.Istiod.Namespace}
}

// controlPlaneComponents plans istiod with its RBAC, mesh config and
// validating webhook, its sidecar injector when the mesh injects, and the
// mesh-wide mTLS policy.
func controlPlaneComponents(m *Mesh, _ *problems) []Component {
	s := &m.Spec
	images := []string{"pilot"}
	if s.injecting() {
		images = append(images, "proxyv2") // what the injector injects
	}
	return []Component{{
		Name:       string(LayerControlPlane),
		Field:      "spec.istiod",
		Layer:      LayerControlPlane,
		Namespaces: []Namespace{{Name: s.Istiod.Namespace, PodSecurity: PodSecurityRestricted}},
		Images:     images,
		Build: func() ([]TypedObject, error) {
			mc, err := meshConfigDocument(m)
			if err != nil {
				return nil, err
			}
			objs := istiod.Objects(istiod.Values{
				Meta: meshMeta(m), Namespace: s.Istiod.Namespace, Revision: s.Revision,
				Workload: objects.Workload{
					Image: s.Registry.Image("pilot"), PullSecrets: s.Registry.PullSecrets,
					MinReplicas: *s.Istiod.Replicas.Min, MaxReplicas: *s.Istiod.Replicas.Max,
					TargetCPU: derefOr(s.Istiod.Replicas.TargetCPUUtilization, 0), Resources: *s.Istiod.Resources,
				},
				Zones: s.Zones, MeshConfig: mc, MTLSMode: s.MTLS.Mode, Injection: s.injecting(),
			})
			if s.injecting() {
				objs = append(objs, injector.Objects(injectorValues(m))...)
			}
			return objs, nil
		},
	}}
}

// injectorValues are the values Istio's injection templates read, from
// the spec.
func injectorValues(m *Mesh) injector.Values {
	s := &m.Spec
	v := injector.Values{
		Meta: meshMeta(m), Namespace: s.Istiod.Namespace, Revision: s.Revision,
		Hub: s.Registry.Hub, Tag: s.Registry.Tag, Variant: s.Registry.Variant, PullSecrets: s.Registry.PullSecrets,
		CNI: s.cniEnabled(), ProxyResources: s.Injection.Resources,
		// Injected containers get RuntimeDefault seccomp, which Pod
		// Security "restricted" asks of every container.
		SeccompRuntimeDefault: true,
	}
	if _, pinned := s.Registry.Digests["proxyv2"]; pinned {
		// A full reference is used as it is, for the sidecar and its init
		// container alike.
		v.ProxyImage = s.Registry.Image("proxyv2")
	}
	return v
}

// meshMeta is what every object of the mesh is labelled with.
func meshMeta(m *Mesh) objects.Meta {
	return objects.Meta{Instance: m.Metadata.Name, Version: m.Spec.Version}
}
