package render

import (
	"fmt"
	"maps"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/compatibility"
	"github.com/meshrender/meshrender/render/internal/injector"
	"github.com/meshrender/meshrender/render/internal/istiod"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/internal/ztunnel"
)

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
		Namespaces: []namespaceSpec{ownedSpec(t.Namespace(s.Istiod.Namespace))},
	}
	sharedObjects := func() []typedObject {
		objs := istiod.Shared(istiod.Values{
			Meta: t.meta(t.ClusterWide.Version), Namespace: s.Istiod.Namespace,
			Workload: objects.Workload{PullSecrets: s.Registry.PullSecrets}, MTLSMode: s.MTLS.Mode,
			ReaderToken: s.RendersReaderToken(),
		})
		objs = append(objs, t.externalSecrets()...)
		return append(objs, t.tagObjects()...)
	}
	var out []component
	if !s.MultiRevision() {
		cp := t.Planes[0]
		shared.Build = func() ([]typedObject, error) {
			objs, err := t.revisionObjects(cp)
			return append(sharedObjects(), objs...), err
		}
		out = append(out, shared)
	} else {
		shared.Build = func() ([]typedObject, error) { return sharedObjects(), nil }
		out = append(out, shared)
		for _, cp := range t.Planes {
			out = append(out, component{
				Name:  string(LayerControlPlane) + "/" + cp.Revision,
				Field: cp.Field,
				Layer: LayerControlPlane,
				Build: func() ([]typedObject, error) { return t.revisionObjects(cp) },
			})
		}
	}
	if s.IsolatesNetwork() {
		out = append(out, policyComponent(LayerPolicies, s.Istiod.Namespace, istiodField, func() []typedObject {
			return t.istiodNetworkPolicies(t.meta(t.ClusterWide.Version))
		}))
	}
	return out
}

// revisionObjects are one control plane's own objects.
func (t *topology) revisionObjects(cp *v1alpha1.ControlPlane) ([]typedObject, error) {
	s := t.spec
	mc, err := meshConfigDocument(t, cp)
	if err != nil {
		return nil, err
	}
	objs := istiod.Objects(istiod.Values{
		Meta: t.meta(cp.Version), Namespace: s.Istiod.Namespace, Revision: cp.Revision, ClusterID: s.MultiCluster.ClusterName,
		Workload: objects.Workload{
			Image: t.Image(cp, "pilot"), PullSecrets: s.Registry.PullSecrets,
			MinReplicas: *s.Istiod.Replicas.Min, MaxReplicas: *s.Istiod.Replicas.Max,
			TargetCPU: derefOr(s.Istiod.Replicas.TargetCPUUtilization, 0), Resources: *s.Istiod.Resources,
		},
		Zones: s.Zones, MeshConfig: mc, MTLSMode: s.MTLS.Mode, Injection: s.Injecting(),
		Env: t.pilotEnv(cp), TrustedNodeAccount: t.trustedNodeAccount(), PluggedCA: s.PluggedCA(),
	})
	if s.Injecting() {
		objs = append(objs, injector.Objects(t.injectorValues(cp))...)
	}
	return objs, nil
}

// pilotEnv is istiod's pilot.env: that of the control plane's
// compatibility version (its release's compatibility-version profile),
// and ambient's switch when the mesh runs ambient.
func (t *topology) pilotEnv(cp *v1alpha1.ControlPlane) map[string]string {
	var env map[string]string
	if cp.CompatibilityVersion != "" {
		profile, ok := compatibility.Settings(cp.Minor(), cp.CompatibilityVersion)
		if !ok {
			// Validation accepts only the versions a release has profiles for.
			panic(fmt.Sprintf("no compatibility profile %s for Istio %s", cp.CompatibilityVersion, cp.Version))
		}
		env = maps.Clone(profile.PilotEnv)
	}
	if t.spec.AmbientEnabled() {
		env = objects.Merge(env, map[string]string{"PILOT_ENABLE_AMBIENT": "true"})
	}
	return env
}

// trustedNodeAccount is ztunnel's ServiceAccount, whose tokens istiod's
// CA accepts for certificates of the pods on their node: ztunnel runs in
// istio-cni's namespace, not istiod's as upstream's default assumes.
func (t *topology) trustedNodeAccount() string {
	if !t.spec.AmbientEnabled() {
		return ""
	}
	return t.spec.CNI.Namespace + "/" + ztunnel.Name
}

// tagObjects are what the revision tags make, as istioctl tag set makes
// them: per tag an injection webhook configuration and a Service, and a
// validating webhook configuration for the resources labelled with the
// tag (the default tag's also for those without a revision).
func (t *topology) tagObjects() []typedObject {
	var out []typedObject
	for _, cp := range t.Planes {
		values := istiod.Values{Meta: t.meta(cp.Version), Namespace: t.spec.Istiod.Namespace, Revision: cp.Revision}
		for _, tag := range cp.Tags {
			out = append(out, injector.TagWebhook(t.injectorValues(cp), tag), istiod.TagService(values, tag), istiod.TagValidator(values, tag))
		}
	}
	return out
}

// injectorValues are the values Istio's injection templates read, from
// the spec, for one control plane.
func (t *topology) injectorValues(cp *v1alpha1.ControlPlane) injector.Values {
	s := t.spec
	v := injector.Values{
		Meta: t.meta(cp.Version), Release: cp.Version, Namespace: s.Istiod.Namespace, Revision: cp.Revision,
		Hub: s.Registry.Hub, Tag: t.ImageTag(cp), Variant: s.Registry.Variant, PullSecrets: s.Registry.PullSecrets,
		CNI: s.CNIEnabled(), ProxyResources: s.Injection.Resources, Ambient: s.AmbientEnabled(), PilotEnv: t.pilotEnv(cp),
		MeshID: s.MultiCluster.MeshID, Network: s.MultiCluster.Network,
		// Injected containers get RuntimeDefault seccomp, which Pod
		// Security "restricted" asks of every container.
		SeccompRuntimeDefault: true,
	}
	if c := s.MultiCluster.ClusterName; c != objects.ClusterID {
		// Istio's templates fall back to the single-cluster name.
		v.ClusterName = c
	}
	if image := t.Image(cp, "proxyv2"); strings.Contains(image, "@") {
		// A full reference is used as it is, for the sidecar and its init
		// container alike.
		v.ProxyImage = image
	}
	return v
}
