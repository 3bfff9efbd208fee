package gen

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
)

var meshConfigDesc = (&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor()

// istioDocs reads the comments of istio.io/api's .proto files, which the
// module holds beside its Go code.
func istioDocs(t *testing.T) map[string]string {
	t.Helper()
	dir, err := ModuleDir(".", "istio.io/api")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := ProtoDocs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// meshConfigSchema is a whole schema document for MeshConfig alone,
// without the .proto comments.
func meshConfigSchema() ([]byte, error) {
	defs := map[string]any{}
	ps := &ProtoSchemas{Defs: defs}
	top := ps.Message(meshConfigDesc)
	top["$schema"] = "http://json-schema.org/draft-07/schema#"
	top["definitions"] = defs
	return json.MarshalIndent(top, "", "  ")
}

// messages lists md and every message its fields reach.
func messages(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]protoreflect.MessageDescriptor) {
	if _, ok := seen[md.FullName()]; ok {
		return
	}
	seen[md.FullName()] = md
	if md.FullName().Parent() == "google.protobuf" {
		return // a JSON form of its own
	}
	for i := range md.Fields().Len() {
		fd := md.Fields().Get(i)
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if fd.Message() != nil {
			messages(fd.Message(), seen)
		}
	}
}

// TestMessageSchemaCoversMeshConfig: every message MeshConfig reaches has a
// definition with every field under its JSON name, every enum every
// value, and every reference a definition.
func TestMessageSchemaCoversMeshConfig(t *testing.T) {
	defs := map[string]any{}
	ref := (&ProtoSchemas{Defs: defs}).Message(meshConfigDesc)
	if want := "#/definitions/istio.mesh.v1alpha1.MeshConfig"; ref["$ref"] != want {
		t.Fatalf("Message = %v, want a $ref to %s", ref, want)
	}
	data, err := json.Marshal(defs)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}

	all := map[protoreflect.FullName]protoreflect.MessageDescriptor{}
	messages(meshConfigDesc, all)
	if len(all) < 50 {
		t.Fatalf("MeshConfig reaches only %d messages", len(all))
	}
	for name, md := range all {
		if md.IsMapEntry() {
			if _, ok := generic[string(name)]; ok {
				t.Errorf("map entry %s has a definition of its own", name)
			}
			continue
		}
		def, ok := generic[string(name)].(map[string]any)
		if !ok {
			t.Errorf("no definition of %s", name)
			continue
		}
		if name.Parent() == "google.protobuf" {
			continue // a JSON form of its own
		}
		if def["type"] != "object" || def["additionalProperties"] != false {
			t.Errorf("%s: not a closed object: %v", name, def)
		}
		props, _ := def["properties"].(map[string]any)
		if len(props) != md.Fields().Len() {
			t.Errorf("%s: %d properties for %d fields", name, len(props), md.Fields().Len())
		}
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			prop, ok := props[fd.JSONName()].(map[string]any)
			if !ok {
				t.Errorf("%s: no property %s", name, fd.JSONName())
				continue
			}
			if d, _ := prop["description"].(string); !strings.HasPrefix(d, string(md.Name())+"."+string(fd.Name())+" (") {
				t.Errorf("%s.%s: description %q does not name the proto field", name, fd.JSONName(), d)
			}
			if fd.Enum() != nil && !fd.IsList() && !fd.IsMap() {
				values := enumValues(t, generic, prop)
				for j := range fd.Enum().Values().Len() {
					if v := string(fd.Enum().Values().Get(j).Name()); !slices.Contains(values, v) {
						t.Errorf("%s.%s: enum lacks %s", name, fd.JSONName(), v)
					}
				}
			}
		}
	}
	walkRefs(generic, func(ref string) {
		if _, ok := generic[strings.TrimPrefix(ref, "#/definitions/")]; !ok || !strings.HasPrefix(ref, "#/definitions/") {
			t.Errorf("dangling reference %s", ref)
		}
	})
}

func enumValues(t *testing.T, defs map[string]any, prop map[string]any) []string {
	t.Helper()
	if all, ok := prop["allOf"].([]any); ok {
		prop = all[0].(map[string]any)
	}
	ref, _ := prop["$ref"].(string)
	def, _ := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
	anyOf, _ := def["anyOf"].([]any)
	if len(anyOf) == 0 {
		t.Errorf("enum %s has no anyOf: %v", ref, def)
		return nil
	}
	var out []string
	for _, v := range anyOf[0].(map[string]any)["enum"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

func walkRefs(v any, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			f(ref)
		}
		for _, e := range x {
			walkRefs(e, f)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, f)
		}
	}
}

// TestProtoDocs: the descriptions come from Istio's own comments.
func TestProtoDocs(t *testing.T) {
	docs := istioDocs(t)
	for name, want := range map[string]string{
		"istio.mesh.v1alpha1.MeshConfig":                                          "MeshConfig defines mesh-wide settings for the Istio service mesh.",
		"istio.mesh.v1alpha1.MeshConfig.access_log_file":                          "File address for the proxy access log (e.g. /dev/stdout). Empty value disables access logging.",
		"istio.mesh.v1alpha1.MeshConfig.OutboundTrafficPolicy.Mode.REGISTRY_ONLY": "Note: Istio [does not offer",
		"istio.mesh.v1alpha1.ProxyConfig.hold_application_until_proxy_starts":     "Boolean flag for enabling/disabling the holdApplicationUntilProxyStarts behavior. This feature adds hooks",
		"istio.mesh.v1alpha1.MeshConfig.IngressControllerMode.STRICT":             "Istio ingress controller will only act on ingress resources whose annotations match",
	} {
		got, ok := docs[name]
		if !ok || !strings.Contains(got, want) {
			t.Errorf("docs[%s] = %q, want it to hold %q", name, got, want)
		}
	}
	if d := docs["istio.mesh.v1alpha1.MeshConfig.protocol_detection_timeout"]; strings.Contains(d, "$hide_from_docs") || !strings.HasPrefix(d, "Automatic protocol detection") {
		t.Errorf("tag left in, or text lost: %q", d)
	}

	// Nearly every field MeshConfig reaches is documented.
	all := map[protoreflect.FullName]protoreflect.MessageDescriptor{}
	messages(meshConfigDesc, all)
	var fields, missing int
	for name, md := range all {
		if md.IsMapEntry() || name.Parent() == "google.protobuf" {
			continue
		}
		for i := range md.Fields().Len() {
			fields++
			if docs[string(md.Fields().Get(i).FullName())] == "" {
				missing++
			}
		}
	}
	if missing*20 > fields {
		t.Errorf("%d of %d fields have no comment", missing, fields)
	}

	defs := map[string]any{}
	(&ProtoSchemas{Defs: defs, Docs: docs}).Message(meshConfigDesc)
	mc := defs["istio.mesh.v1alpha1.MeshConfig"].(map[string]any)
	prop := mc["properties"].(map[string]any)["accessLogFile"].(map[string]any)
	if d := prop["description"]; d != docs["istio.mesh.v1alpha1.MeshConfig.access_log_file"] {
		t.Errorf("accessLogFile description = %q", d)
	}
	prop = defs["istio.mesh.v1alpha1.MeshConfig.ExtensionProvider"].(map[string]any)["properties"].(map[string]any)["prometheus"].(map[string]any)
	if d, _ := prop["description"].(string); !strings.Contains(d, "Only one of envoyExtAuthzHttp, envoyExtAuthzGrpc,") {
		t.Errorf("oneof member description = %q", d)
	}
}

func TestParseProtoDocs(t *testing.T) {
	src := `syntax = "proto3";
// File comment, not attached.

package a.b;

import "x.proto";

// M is a message.
// Second line.
message M { // trailing on M's line does not replace the leading comment
  option (x.y) = { a: 1 b: "}" };
  // $hide_from_docs
  // f is a field.
  //
  // ` + "```yaml" + `
  // a: 1
  //   b: 2
  // ` + "```" + `
  repeated string f = 1 [(opt) = "=", deprecated = true];

  int32 g = 2; // g trails.

  // detached

  map<string, M> h = 3;
  /* Block
   * comment. */
  oneof o {
    // in the oneof
    string i = 4;
  }
  enum E {
    // the zero value
    E_ZERO = 0;
    E_ONE = 1; // one
  }
  reserved 5, 6;
  message N {
    // inner
    bool j = 1;
  }
}
service S {
  // not a field
  rpc Call(M) returns (M) { option (google.api.http) = { get: "/v1" }; }
}
`
	docs := map[string]string{}
	if err := parseProtoDocs(src, docs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a.b.M":          "M is a message. Second line.",
		"a.b.M.f":        "f is a field.\n\n```yaml\na: 1\n  b: 2\n```",
		"a.b.M.g":        "g trails.",
		"a.b.M.i":        "in the oneof",
		"a.b.M.E.E_ZERO": "the zero value",
		"a.b.M.E.E_ONE":  "one",
		"a.b.M.N.j":      "inner",
	}
	for k, v := range want {
		if docs[k] != v {
			t.Errorf("docs[%s] = %q, want %q", k, docs[k], v)
		}
	}
	for k := range docs {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected docs[%s] = %q", k, docs[k])
		}
	}
}

// TestMessageSchemaValidates: documents validate against the MeshConfig
// schema as they should, by a JSON Schema validator already in the module
// graph (kube-openapi's, which needs references inlined).
func TestMessageSchemaValidates(t *testing.T) {
	data, err := meshConfigSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	defs := doc["definitions"].(map[string]any)
	inlined, err := json.Marshal(inlineRefs(doc, defs, nil))
	if err != nil {
		t.Fatal(err)
	}
	var s spec.Schema
	if err := json.Unmarshal(inlined, &s); err != nil {
		t.Fatal(err)
	}
	v := validate.NewSchemaValidator(&s, nil, "", strfmt.Default)

	good := []string{
		`{}`,
		`{"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}, "accessLogFile": "/dev/stdout", "enablePrometheusMerge": true,
		  "defaultServiceExportTo": ["*"], "connectTimeout": "10s", "protocolDetectionTimeout": "0.1s",
		  "defaultConfig": {"proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}, "holdApplicationUntilProxyStarts": true,
		    "drainDuration": "5s", "concurrency": 2, "tracing": {"sampling": 1.5, "zipkin": {"address": "z:9411"}}},
		  "extensionProviders": [{"name": "a", "envoyExtAuthzHttp": {"service": "s", "port": "4180", "timeout": "0.000000001s"}},
		    {"name": "p", "prometheus": {}},
		    {"name": "l", "envoyFileAccessLog": {"path": "/dev/stdout", "logFormat": {"labels": {"a": "b", "n": [1, {"x": null}]}}}}],
		  "discoverySelectors": [{"matchLabels": {"a": "b"}}, {"matchExpressions": [{"key": "k", "operator": "In", "values": ["v"]}]}],
		  "tcpKeepalive": {"probes": 3, "time": "7200s"}, "proxyListenPort": 15001, "proxyHttpPort": "8080",
		  "ingressControllerMode": 3, "accessLogEncoding": "JSON"}`,
	}
	for _, d := range good {
		if errs := validateJSON(t, v, d); len(errs) > 0 {
			t.Errorf("%s: %v", d, errs)
		}
	}
	bad := map[string]string{
		`{"defaultConfig": {"holdApplicationUntilProxyStart": true}}`:                     "holdApplicationUntilProxyStart",
		`{"outboundTrafficPolicy": {"mode": "REGISTRY_ONYL"}}`:                            "mode",
		`{"connectTimeout": "5 seconds"}`:                                                 "connectTimeout",
		`{"defaultConfig": {"drainDuration": 5}}`:                                         "drainDuration",
		`{"enablePrometheusMerge": "yes"}`:                                                "enablePrometheusMerge",
		`{"proxyListenPort": 2147483648}`:                                                 "proxyListenPort",
		`{"proxyListenPort": "two"}`:                                                      "proxyListenPort",
		`{"tcpKeepalive": {"probes": -1}}`:                                                "probes",
		`{"defaultServiceExportTo": "*"}`:                                                 "defaultServiceExportTo",
		`{"extensionProviders": [{"prometheus": {"x": 1}}]}`:                              "x",
		`{"discoverySelectors": [{"matchLabels": {"a": 1}}]}`:                             "matchLabels",
		`{"extensionProviders": [{"envoyFileAccessLog": {"logFormat": {"labels": []}}}]}`: "labels",
	}
	for d, field := range bad {
		errs := validateJSON(t, v, d)
		if len(errs) == 0 {
			t.Errorf("%s: valid, want an error about %s", d, field)
		} else if !strings.Contains(strings.Join(errs, "\n"), field) {
			t.Errorf("%s: %v, want an error about %s", d, errs, field)
		}
	}
}

func validateJSON(t *testing.T, v *validate.SchemaValidator, doc string) []string {
	t.Helper()
	var data any
	if err := json.Unmarshal([]byte(doc), &data); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range v.Validate(data).Errors {
		msgs = append(msgs, e.Error())
	}
	return msgs
}

// inlineRefs replaces every reference with the definition it names, which
// the validator needs; a reference back into itself would never end.
func inlineRefs(v any, defs map[string]any, open []string) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/definitions/")
			if slices.Contains(open, name) {
				panic("recursive schema: " + strings.Join(append(open, name), " → "))
			}
			return inlineRefs(defs[name], defs, append(open, name))
		}
		out := map[string]any{}
		for k, e := range x {
			if k != "definitions" {
				out[k] = inlineRefs(e, defs, open)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = inlineRefs(e, defs, open)
		}
		return out
	}
	return v
}

// meshConfigJSON holds a MeshConfig as raw JSON, as a config type would.
type meshConfigJSON json.RawMessage

func (*meshConfigJSON) ProtoJSONDescriptor() protoreflect.MessageDescriptor { return meshConfigDesc }

func TestGoType(t *testing.T) {
	ps := &ProtoSchemas{Defs: map[string]any{}}
	want := "#/definitions/istio.mesh.v1alpha1.MeshConfig"
	for _, typ := range []reflect.Type{reflect.TypeFor[meshConfigJSON](), reflect.TypeFor[*meshConfigJSON]()} {
		if got := ps.GoType(typ); got["$ref"] != want {
			t.Errorf("GoType(%v) = %v, want a $ref to %s", typ, got, want)
		}
	}
	if got := ps.GoType(reflect.TypeFor[string]()); got != nil {
		t.Errorf("GoType(string) = %v, want nil", got)
	}
	if _, ok := ps.Defs["istio.mesh.v1alpha1.MeshConfig"]; !ok {
		t.Error("no MeshConfig definition")
	}
}
