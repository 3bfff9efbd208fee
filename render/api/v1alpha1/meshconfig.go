package v1alpha1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	"github.com/meshrender/meshrender/render/internal/istioapi"
	"github.com/meshrender/meshrender/render/internal/typecheck"
)

// MeshConfig is Istio's mesh config, what ConfigMap istio holds under
// mesh: any field of istio.io/api's MeshConfig (mesh/v1alpha1), under
// Istio's own names (outboundTrafficPolicy.mode, accessLogFile,
// enablePrometheusMerge, defaultConfig, extensionProviders,
// defaultServiceExportTo, ...), so Istio's documentation applies as
// written. It is checked against that type: an unknown or mistyped field
// is an error with its path. meshrender's own settings are merged under
// it, mappings key by key; rootNamespace and
// defaultConfig.discoveryAddress follow from the control plane and are
// meshrender's to set.
//
// In Go, build one with ParseMeshConfig; in YAML it is a mapping.
//
// +k8s:deepcopy-gen=false
type MeshConfig struct {
	// raw is a compact JSON object, or nil for none.
	raw []byte
}

// MarshalJSON writes the mesh config as given.
func (c MeshConfig) MarshalJSON() ([]byte, error) {
	if len(c.raw) == 0 {
		return []byte("{}"), nil
	}
	return c.raw, nil
}

// UnmarshalJSON keeps a JSON object as the mesh config; null is none.
func (c *MeshConfig) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		c.raw = nil
		return nil
	}
	if len(data) == 0 || data[0] != '{' {
		return errors.New("a mesh config must be a mapping")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return err
	}
	c.raw = buf.Bytes()
	return nil
}

// IsZero reports a mesh config that sets nothing.
func (c MeshConfig) IsZero() bool {
	return len(c.raw) == 0 || string(c.raw) == "{}"
}

// DeepCopyInto copies the mesh config into out.
func (c *MeshConfig) DeepCopyInto(out *MeshConfig) {
	out.raw = bytes.Clone(c.raw)
}

// DeepCopy returns a copy of the mesh config.
func (c *MeshConfig) DeepCopy() *MeshConfig {
	if c == nil {
		return nil
	}
	out := new(MeshConfig)
	c.DeepCopyInto(out)
	return out
}

// ProtoJSONDescriptor is the protobuf message the mesh config holds in
// its JSON form: istio.mesh.v1alpha1.MeshConfig.
func (*MeshConfig) ProtoJSONDescriptor() protoreflect.MessageDescriptor {
	return (&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor()
}

// Proto decodes the mesh config into Istio's type.
func (c MeshConfig) Proto() (*meshv1alpha1.MeshConfig, error) {
	out := &meshv1alpha1.MeshConfig{}
	if c.IsZero() {
		return out, nil
	}
	return out, protojson.Unmarshal(c.raw, out)
}

// fields is the mesh config as generic JSON values, numbers as written.
func (c MeshConfig) fields() map[string]any {
	out := map[string]any{}
	if c.IsZero() {
		return out
	}
	dec := json.NewDecoder(bytes.NewReader(c.raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		panic(fmt.Sprintf("a mesh config holds JSON it accepted: %v", err)) // UnmarshalJSON checked it
	}
	return out
}

// Enum values meshrender sets in the mesh config, under Istio's names.
const (
	OutboundAllowAny     = "ALLOW_ANY"
	OutboundRegistryOnly = "REGISTRY_ONLY"
)

// validate checks the mesh config against Istio's MeshConfig of the
// newest release, then what meshrender asks of some fields. It reports
// whether the config has Istio's fields and types, so that the releases
// of the control planes can be checked next.
func (c MeshConfig) validate(p *problems, istiodNamespace string) bool {
	const field = "spec.meshConfig"
	if c.IsZero() {
		return true
	}
	fields := c.fields()
	if found := typecheck.CheckMessage(any(fields), c.ProtoJSONDescriptor(), field); len(found) > 0 {
		for _, pr := range found {
			p.addText(pr.Path, migrationHint(pr))
		}
		return false
	}
	if ns, ok := fields["rootNamespace"].(string); ok && ns != istiodNamespace {
		p.add(field+".rootNamespace", "is istiod's namespace, %q (spec.istiod.namespace); got %q", istiodNamespace, ns)
	}
	if dc, ok := fields["defaultConfig"].(map[string]any); ok {
		if _, ok := dc["discoveryAddress"]; ok {
			p.add(field+".defaultConfig.discoveryAddress", "is set by meshrender to the control plane's Service")
		}
	}
	if f, ok := fields["accessLogFile"].(string); ok && strings.ContainsAny(f, "\n\r\x00") {
		p.add(field+".accessLogFile", "must be a single file path such as /dev/stdout")
	}
	for _, key := range []string{"defaultServiceExportTo", "defaultVirtualServiceExportTo", "defaultDestinationRuleExportTo"} {
		list, _ := fields[key].([]any)
		for i, e := range list {
			f := fmt.Sprintf("%s.%s[%d]", field, key, i)
			s, _ := e.(string)
			if !exportToPattern.MatchString(s) {
				p.add(f, "%q must be \"*\", \".\", \"~\" or a namespace name", s)
			}
			if s == "~" && len(list) > 1 {
				p.add(f, `"~" (export nowhere) cannot be combined with other entries`)
			}
		}
	}
	return true
}

// validateMeshConfigReleases checks the mesh config against the MeshConfig
// of every control plane's own release: each istiod reads it, and one of
// an older release does not know what a newer one added. A field is
// reported once per minor release, naming the first control plane that
// runs it.
func (t *Topology) validateMeshConfigReleases(p *problems) {
	c := t.spec.MeshConfig
	if c.IsZero() {
		return
	}
	newest := IstioMinors[len(IstioMinors)-1].Name
	checked := map[string]bool{newest: true} // validate checked the newest
	for _, cp := range t.Planes {
		minor := cp.Minor()
		md := istioapi.MeshConfig(minor)
		if checked[minor] || md == nil {
			continue
		}
		checked[minor] = true
		for _, pr := range typecheck.CheckMessage(any(c.fields()), md, "spec.meshConfig") {
			p.add(pr.Path, "%s in Istio %s, the release of %s (%s), which reads the mesh config; set it once every control plane runs a release that has it", pr.Message, minor, planeName(cp), cp.Version)
		}
	}
}

// planeName names a control plane in a message: its revision and where it
// is declared.
func planeName(cp *ControlPlane) string {
	if cp.Revision == "" {
		return "the control plane"
	}
	return fmt.Sprintf("revision %q", cp.Revision)
}

var exportToPattern = regexp.MustCompile(`^(\*|\.|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`)

// migrationHint says how to write, in Istio's names, what meshrender's
// first mesh config fields took.
func migrationHint(pr typecheck.Problem) string {
	switch pr.Path {
	case "spec.meshConfig.outboundTrafficPolicy":
		return pr.Message + "; Istio's field is a mapping: outboundTrafficPolicy: {mode: REGISTRY_ONLY}"
	case "spec.meshConfig.exportTo":
		return pr.Message + "; Istio's fields are defaultServiceExportTo, defaultVirtualServiceExportTo and defaultDestinationRuleExportTo"
	}
	return pr.Message
}
