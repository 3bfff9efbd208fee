package v1alpha1

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/profiles"
	"github.com/meshrender/meshrender/render/internal/objects"
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
	s.setRevisionDefaults()
	s.Registry.setDefaults(s.sharedVersion())
	s.MTLS.setDefaults()
	s.Istiod.setDefaults()
	s.Injection.setDefaults()
	// Ambient turns istio-cni on unless the mesh says otherwise.
	s.setAmbientDefaults()
	s.CNI.setDefaults()
	s.setIngressDefaults()
	s.Egress.setDefaults(s.Istiod.Namespace)
	s.NetworkPolicy.setDefaults()
	s.Certificates.setDefaults()
	s.setMultiClusterDefaults()
	s.setTrustDefaults()
	return nil
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
		var p problems
		validateProfile(&p, m.Spec.Profile)
		return p.err()
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
	if _, listed := user["revisions"]; listed {
		// spec.revisions names every control plane; a profile's one
		// control plane, spec.revision, is replaced, not kept beside them.
		delete(doc.Spec, "revision")
	}
	merged, err := json.Marshal(objects.MergeMappings(doc.Spec, user))
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
