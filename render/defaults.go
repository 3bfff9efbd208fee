package render

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/profiles"
)

// Defaults for fields left empty.
const (
	DefaultHub              = "docker.io/istio"
	DefaultIstiodNamespace  = "istio-system"
	DefaultIngressNamespace = "istio-ingress"
	DefaultMeshName         = "default"
)

// Default merges the profile named in spec.profile under the spec (the
// spec wins field by field, lists are replaced whole) and then fills every
// field that is still empty. It is idempotent. The only error is an
// unknown profile.
func (m *Mesh) Default() error {
	if err := m.applyProfile(); err != nil {
		return err
	}
	if m.APIVersion == "" {
		m.APIVersion = APIVersion
	}
	if m.Kind == "" {
		m.Kind = Kind
	}
	if m.Metadata.Name == "" {
		m.Metadata.Name = DefaultMeshName
	}
	s := &m.Spec
	if s.Version == "" {
		s.Version = IstioVersion
	}
	if s.Registry.Hub == "" {
		s.Registry.Hub = DefaultHub
	}
	if s.Registry.Tag == "" {
		s.Registry.Tag = s.Version
	}
	if s.MTLS.Mode == "" {
		s.MTLS.Mode = MTLSStrict
	}
	if s.Istiod.Namespace == "" {
		s.Istiod.Namespace = DefaultIstiodNamespace
	}
	defaultReplicas(&s.Istiod.Replicas, 2, 5)
	if s.Istiod.Resources == nil {
		s.Istiod.Resources = istiodResources()
	}
	in := &s.Ingress
	if in.Enabled == nil {
		in.Enabled = ptr(true)
	}
	if in.Namespace == "" {
		in.Namespace = DefaultIngressNamespace
	}
	if in.Zonal == nil {
		in.Zonal = ptr(true)
	}
	if in.Service.Type == "" {
		in.Service.Type = corev1.ServiceTypeLoadBalancer
	}
	defaultReplicas(&in.Replicas, 2, 5)
	if in.Ports == nil {
		in.Ports = []GatewayPort{{Name: "http2", Port: 80, TargetPort: 8080}, {Name: "https", Port: 443, TargetPort: 8443}}
	}
	for i := range in.Ports {
		if in.Ports[i].TargetPort == 0 {
			in.Ports[i].TargetPort = in.Ports[i].Port
		}
	}
	if in.Resources == nil {
		in.Resources = gatewayResources()
	}
	for i := range s.ExposureClasses {
		if s.ExposureClasses[i].Zonal == nil {
			s.ExposureClasses[i].Zonal = ptr(*in.Zonal)
		}
	}
	if s.MeshConfig.OutboundTrafficPolicy == "" {
		s.MeshConfig.OutboundTrafficPolicy = OutboundAllowAny
	}
	return nil
}

// Values accepted by enumerated fields.
const (
	MTLSStrict           = "STRICT"
	MTLSPermissive       = "PERMISSIVE"
	OutboundAllowAny     = "ALLOW_ANY"
	OutboundRegistryOnly = "REGISTRY_ONLY"
)

// defaultReplicas fills unset bounds, keeping min <= max when only one
// bound was given.
func defaultReplicas(r *Replicas, lo, hi int32) {
	if r.Min == nil {
		r.Min = ptr(min(lo, derefOr(r.Max, lo)))
	}
	if r.Max == nil {
		r.Max = ptr(max(hi, *r.Min))
	}
}

// istiodResources follows upstream's requests. Upstream sets no limits;
// meshrender adds a memory limit so a runaway istiod is restarted instead
// of starving its node, and leaves CPU unlimited because istiod's pushes
// are bursty and GOMAXPROCS follows limits.cpu (node capacity when unset).
func istiodResources() *corev1.ResourceRequirements {
	return &corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("500m"),
			corev1.ResourceMemory: resource.MustParse("2048Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceMemory: resource.MustParse("4096Mi"),
		},
	}
}

// gatewayResources are upstream's gateway requests and limits.
func gatewayResources() *corev1.ResourceRequirements {
	return &corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("100m"),
			corev1.ResourceMemory: resource.MustParse("128Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("2000m"),
			corev1.ResourceMemory: resource.MustParse("1024Mi"),
		},
	}
}

// applyProfile merges the named profile's spec under m.Spec at the JSON
// level. "Set" means present after encoding: an explicit false or zero in
// a pointer field wins over the profile, while an empty string or list is
// omitted and so leaves the profile's value.
func (m *Mesh) applyProfile() error {
	if m.Spec.Profile == ProfileDefault {
		return nil
	}
	p, ok := profiles.Get(m.Spec.Profile)
	if !ok {
		return (&problems{{Field: "spec.profile", Message: fmt.Sprintf("unknown profile %q; built-in profiles are %q", m.Spec.Profile, profiles.Names())}}).err()
	}
	var doc struct {
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(p.Document, &doc); err != nil {
		return fmt.Errorf("profile %s: %w", p.Name, err)
	}
	user, err := toMap(m.Spec)
	if err != nil {
		return err
	}
	merged, err := json.Marshal(mergeUnder(doc.Spec, user))
	if err != nil {
		return err
	}
	var spec MeshSpec
	if err := yaml.UnmarshalStrict(merged, &spec); err != nil {
		return fmt.Errorf("profile %s does not fit the spec: %w", p.Name, err)
	}
	m.Spec = spec
	return nil
}

func toMap(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(raw, &out)
}

// mergeUnder returns top deep-merged over base: mappings merge key by key,
// anything else in top replaces what base has.
func mergeUnder(base, top map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(top))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range top {
		bm, bok := out[k].(map[string]any)
		tm, tok := v.(map[string]any)
		if bok && tok {
			out[k] = mergeUnder(bm, tm)
			continue
		}
		out[k] = v
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func derefOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
