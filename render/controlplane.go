package render

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

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

func (i *Istiod) validate(p *problems) {
	validateNamespaceName(p, "spec.istiod.namespace", i.Namespace)
	validateReplicas(p, "spec.istiod.replicas", i.Replicas, 1)
	validateResources(p, "spec.istiod.resources", i.Resources)
}

// istiodField is the field istiod's namespace and shared objects come
// from.
const istiodField = "spec.istiod"

// controlPlaneComponents plans the control planes: what they share (the
// root namespace, the reader service account, the mesh-wide mTLS policy,
// the tags' webhooks and Services), and each revision's istiod with its
// RBAC, mesh config, validating webhook and, when the mesh injects, its
// sidecar injector. A mesh of one control plane renders them all in one
// component, control-plane; with spec.revisions each revision is its own,
// control-plane/<revision>, so adding or removing one is adding or
// removing its folder of a GitOps tree. With network isolation, what may
// reach istiod is in policies/<namespace>.
func controlPlaneComponents(t *topology) []component {
	s := t.spec
	shared := component{
		Name:       string(LayerControlPlane),
		Field:      istiodField,
		Layer:      LayerControlPlane,
		Namespaces: []namespaceSpec{t.namespace(s.Istiod.Namespace).namespaceSpec},
	}
	sharedObjects := func() []typedObject {
		objs := istiod.Shared(istiod.Values{
			Meta: t.meta(t.clusterWide.version), Namespace: s.Istiod.Namespace,
			Workload: objects.Workload{PullSecrets: s.Registry.PullSecrets}, MTLSMode: s.MTLS.Mode,
		})
		return append(objs, t.tagObjects()...)
	}
	var out []component
	if !s.multiRevision() {
		cp := t.planes[0]
		shared.Build = func() ([]typedObject, error) {
			objs, err := t.revisionObjects(cp)
			return append(sharedObjects(), objs...), err
		}
		out = append(out, shared)
	} else {
		shared.Build = func() ([]typedObject, error) { return sharedObjects(), nil }
		out = append(out, shared)
		for _, cp := range t.planes {
			out = append(out, component{
				Name:  string(LayerControlPlane) + "/" + cp.revision,
				Field: cp.field,
				Layer: LayerControlPlane,
				Build: func() ([]typedObject, error) { return t.revisionObjects(cp) },
			})
		}
	}
	if s.networkPolicies() {
		out = append(out, policyComponent(LayerPolicies, s.Istiod.Namespace, istiodField, func() []typedObject {
			return t.istiodNetworkPolicies(t.meta(t.clusterWide.version))
		}))
	}
	return out
}

// revisionObjects are one control plane's own objects.
func (t *topology) revisionObjects(cp *controlPlane) ([]typedObject, error) {
	s := t.spec
	mc, err := meshConfigDocument(t, cp)
	if err != nil {
		return nil, err
	}
	objs := istiod.Objects(istiod.Values{
		Meta: t.meta(cp.version), Namespace: s.Istiod.Namespace, Revision: cp.revision,
		Workload: objects.Workload{
			Image: t.image(cp, "pilot"), PullSecrets: s.Registry.PullSecrets,
			MinReplicas: *s.Istiod.Replicas.Min, MaxReplicas: *s.Istiod.Replicas.Max,
			TargetCPU: derefOr(s.Istiod.Replicas.TargetCPUUtilization, 0), Resources: *s.Istiod.Resources,
		},
		Zones: s.Zones, MeshConfig: mc, MTLSMode: s.MTLS.Mode, Injection: s.injecting(),
	})
	if s.injecting() {
		objs = append(objs, injector.Objects(t.injectorValues(cp))...)
	}
	return objs, nil
}

// tagObjects are what the revision tags make, as istioctl tag set makes
// them: per tag an injection webhook configuration and a Service, and a
// validating webhook configuration for the resources labelled with the
// tag (the default tag's also for those without a revision).
func (t *topology) tagObjects() []typedObject {
	var out []typedObject
	for _, cp := range t.planes {
		values := istiod.Values{Meta: t.meta(cp.version), Namespace: t.spec.Istiod.Namespace, Revision: cp.revision}
		for _, tag := range cp.tags {
			out = append(out, injector.TagWebhook(t.injectorValues(cp), tag), istiod.TagService(values, tag), istiod.TagValidator(values, tag))
		}
	}
	return out
}

// injectorValues are the values Istio's injection templates read, from
// the spec, for one control plane.
func (t *topology) injectorValues(cp *controlPlane) injector.Values {
	s := t.spec
	v := injector.Values{
		Meta: t.meta(cp.version), Namespace: s.Istiod.Namespace, Revision: cp.revision,
		Hub: s.Registry.Hub, Tag: t.imageTag(cp), Variant: s.Registry.Variant, PullSecrets: s.Registry.PullSecrets,
		CNI: s.cniEnabled(), ProxyResources: s.Injection.Resources,
		// Injected containers get RuntimeDefault seccomp, which Pod
		// Security "restricted" asks of every container.
		SeccompRuntimeDefault: true,
	}
	if image := t.image(cp, "proxyv2"); strings.Contains(image, "@") {
		// A full reference is used as it is, for the sidecar and its init
		// container alike.
		v.ProxyImage = image
	}
	return v
}
