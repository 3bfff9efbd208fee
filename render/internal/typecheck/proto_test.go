package typecheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	_ "google.golang.org/protobuf/types/known/anypb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/emptypb"
	_ "google.golang.org/protobuf/types/known/fieldmaskpb"
	_ "google.golang.org/protobuf/types/known/structpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

var meshConfigDesc = (&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor()

// decodeJSON decodes one JSON document as the config loader does, with
// UseNumber, refusing anything after it.
func decodeJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("data after the document")
	}
	return v, nil
}

func problemLines(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path+": "+p.Message)
	}
	return out
}

// The examples follow Istio's documentation of the mesh config.
func TestCheckMessageMeshConfig(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"empty", `{}`, nil},
		{"docs example", `{
			"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
			"accessLogFile": "/dev/stdout",
			"accessLogEncoding": "JSON",
			"enablePrometheusMerge": true,
			"enableAutoMtls": false,
			"defaultServiceExportTo": ["*"],
			"defaultVirtualServiceExportTo": ["."],
			"rootNamespace": "istio-system",
			"connectTimeout": "10s",
			"protocolDetectionTimeout": "0.1s",
			"dnsRefreshRate": "60s",
			"defaultConfig": {
				"discoveryAddress": "istiod.istio-system.svc:15012",
				"proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true", "ISTIO_META_DNS_AUTO_ALLOCATE": "true"},
				"holdApplicationUntilProxyStarts": true,
				"drainDuration": "5s",
				"terminationDrainDuration": "-1.5s",
				"concurrency": 2,
				"tracing": {"sampling": 1.5, "zipkin": {"address": "zipkin.istio-system:9411"}, "customTags": {"env": {"literal": {"value": "prod"}}}},
				"interceptionMode": "REDIRECT"
			},
			"extensionProviders": [
				{"name": "oauth2-proxy", "envoyExtAuthzHttp": {"service": "oauth2-proxy.foo.svc.cluster.local", "port": "4180", "timeout": "0.000000001s", "includeRequestHeadersInCheck": ["authorization", "cookie"], "includeAdditionalHeadersInCheck": {"x-ext-authz": "allow"}}},
				{"name": "prometheus", "prometheus": {}},
				{"name": "otel", "opentelemetry": {"service": "otel.observability.svc.cluster.local", "port": 4317, "resourceDetectors": {"environment": {}}}},
				{"name": "log", "envoyFileAccessLog": {"path": "/dev/stdout", "logFormat": {"labels": {"a": "%REQ(:AUTHORITY)%", "n": 1, "deep": {"x": [1, "two", null, true]}}}}}
			],
			"discoverySelectors": [
				{"matchLabels": {"istio-discovery": "enabled"}},
				{"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]}]}
			],
			"meshMTLS": {"minProtocolVersion": "TLSV1_3"},
			"tcpKeepalive": {"probes": 3, "time": "7200s"}
		}`, nil},
		{"proto names, numbers as protojson reads them", `{
			"access_log_file": "/dev/stdout",
			"outbound_traffic_policy": {"mode": 1},
			"proxy_listen_port": 1.5e4,
			"proxyHttpPort": "8080",
			"proxyInboundListenPort": 15006.0,
			"default_config": {"proxy_metadata": {}, "hold_application_until_proxy_starts": null, "concurrency": "2e0", "statNameLength": -0}
		}`, nil},
		{"null leaves any field unset", `{"accessLogFile": null, "defaultConfig": null, "extensionProviders": null, "outboundTrafficPolicy": {"mode": null}}`, nil},
		{"unknown nested field, with its full path", `{"defaultConfig": {"holdApplicationUntilProxyStart": true}, "outboundTrafficPolicy": {"mode": "ALLOW_ANY", "Mode": 1}, "typo": 1}`, []string{
			`spec.meshConfig.defaultConfig.holdApplicationUntilProxyStart: unknown field`,
			`spec.meshConfig.outboundTrafficPolicy.Mode: unknown field`,
			`spec.meshConfig.typo: unknown field`,
		}},
		{"misspelt enum", `{"outboundTrafficPolicy": {"mode": "REGISTRY_ONYL"}, "accessLogEncoding": "json", "ingressControllerMode": true}`, []string{
			`spec.meshConfig.ingressControllerMode: must be one of UNSPECIFIED, OFF, DEFAULT or STRICT, got true`,
			`spec.meshConfig.accessLogEncoding: "json" is not one of TEXT or JSON`,
			`spec.meshConfig.outboundTrafficPolicy.mode: "REGISTRY_ONYL" is not one of REGISTRY_ONLY, ALLOW_ANY or ALLOW_ANY_DYNAMIC_DNS`,
		}},
		{"durations", `{"connectTimeout": "5 seconds", "defaultConfig": {"drainDuration": 5, "terminationDrainDuration": "5m"}, "dnsRefreshRate": "1.0000000001s", "protocolDetectionTimeout": "315576000001s"}`, []string{
			`spec.meshConfig.connectTimeout: "5 seconds" is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`,
			`spec.meshConfig.protocolDetectionTimeout: "315576000001s" is out of range: a duration must be within ±315576000000s (10000 years)`,
			`spec.meshConfig.defaultConfig.drainDuration: must be a duration such as "5s" or "1.5s", got 5`,
			`spec.meshConfig.defaultConfig.terminationDrainDuration: "5m" is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`,
			`spec.meshConfig.dnsRefreshRate: "1.0000000001s" is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`,
		}},
		{"two oneof members", `{"extensionProviders": [{"name": "x", "envoyExtAuthzHttp": {"service": "a"}, "prometheus": {}, "zipkin": null}]}`, []string{
			`spec.meshConfig.extensionProviders[0].prometheus: cannot be set together with envoyExtAuthzHttp: only one of ` +
				`envoyExtAuthzHttp, envoyExtAuthzGrpc, zipkin, lightstep, datadog, stackdriver, opencensus, skywalking, opentelemetry, ` +
				`prometheus, envoyFileAccessLog, envoyHttpAls, envoyTcpAls, envoyOtelAls or sds may be set`,
		}},
		{"bools and strings", `{"enablePrometheusMerge": "yes", "enableTracing": 1, "accessLogFile": ["/dev/stdout"], "defaultConfig": {"holdApplicationUntilProxyStarts": "true"}}`, []string{
			`spec.meshConfig.enableTracing: must be true or false, got 1`,
			`spec.meshConfig.accessLogFile: must be a string, got a list`,
			`spec.meshConfig.defaultConfig.holdApplicationUntilProxyStarts: must be true or false, got "true"`,
			`spec.meshConfig.enablePrometheusMerge: must be true or false, got "yes"`,
		}},
		{"integers out of range or not whole", `{"proxyListenPort": 2147483648, "proxyHttpPort": "two", "proxyInboundListenPort": 1.5, "tcpKeepalive": {"probes": -1}, "extensionProviders": [{"prometheus": {}, "envoyExtAuthzHttp": null}, {"zipkin": {"port": "4294967296", "maxTagLength": 1e3}}], "defaultConfig": {"concurrency": " 2", "statNameLength": 1e30}}`, []string{
			`spec.meshConfig.proxyListenPort: 2147483648 does not fit: it must be between -2147483648 and 2147483647`,
			`spec.meshConfig.proxyInboundListenPort: must be a whole number, got 1.5`,
			`spec.meshConfig.proxyHttpPort: must be an integer, got "two"`,
			`spec.meshConfig.tcpKeepalive.probes: -1 does not fit: it must be between 0 and 4294967295`,
			`spec.meshConfig.defaultConfig.statNameLength: 1e30 does not fit: it must be between -2147483648 and 2147483647`,
			`spec.meshConfig.defaultConfig.concurrency: must be an integer, got " 2"`,
			`spec.meshConfig.extensionProviders[1].zipkin.port: "4294967296" does not fit: it must be between 0 and 4294967295`,
		}},
		{"same field under both names", `{"accessLogFile": "a", "access_log_file": "b", "extensionProviders": [{"envoy_ext_authz_http": {}, "envoyExtAuthzHttp": {}}]}`, []string{
			`spec.meshConfig.access_log_file: sets the same field as accessLogFile`,
			`spec.meshConfig.extensionProviders[0].envoy_ext_authz_http: sets the same field as envoyExtAuthzHttp`,
		}},
		{"lists and maps", `{"defaultServiceExportTo": "*", "discoverySelectors": [{"matchLabels": ["a"]}, null, {"matchExpressions": [{"values": [1, null]}]}], "defaultConfig": {"proxyMetadata": {"A": 1, "B": null}}}`, []string{
			`spec.meshConfig.defaultConfig.proxyMetadata[A]: must be a string, got 1`,
			`spec.meshConfig.defaultConfig.proxyMetadata[B]: must be a string, got nothing`,
			`spec.meshConfig.defaultServiceExportTo: must be a list, got "*"`,
			`spec.meshConfig.discoverySelectors[0].matchLabels: must be a mapping, got a list`,
			`spec.meshConfig.discoverySelectors[1]: must be a mapping, got nothing`,
			`spec.meshConfig.discoverySelectors[2].matchExpressions[0].values[0]: must be a string, got 1`,
			`spec.meshConfig.discoverySelectors[2].matchExpressions[0].values[1]: must be a string, got nothing`,
		}},
		{"struct and value", `{"extensionProviders": [{"envoyFileAccessLog": {"logFormat": {"labels": ["x"]}}}, {"envoyFileAccessLog": {"logFormat": {"labels": {"n": 1e400}}}}]}`, []string{
			`spec.meshConfig.extensionProviders[0].envoyFileAccessLog.logFormat.labels: must be a mapping, got a list`,
			`spec.meshConfig.extensionProviders[1].envoyFileAccessLog.logFormat.labels[n]: 1e400 does not fit in a 64-bit floating-point number`,
		}},
		{"not a mapping", `["accessLogFile"]`, []string{`spec.meshConfig: must be a mapping, got a list`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := decodeJSON([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			got := problemLines(CheckMessage(v, meshConfigDesc, "spec.meshConfig"))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			agree(t, []byte(tt.doc), meshConfigDesc)
		})
	}
}

func TestCheckMessageDocumentPath(t *testing.T) {
	got := problemLines(CheckMessage(nil, meshConfigDesc, ""))
	if want := "(document): must be a mapping, got nothing"; strings.Join(got, "\n") != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// kindsFile declares messages with every kind of field protojson maps, so
// the tests reach what MeshConfig does not use: every scalar, every map
// key type, Any, Timestamp, FieldMask, Empty, bytes, proto2 required
// fields, groups and extensions.
const kindsProto3 = `
name: "meshrender/test/kinds.proto" package: "meshrender.test" syntax: "proto3"
dependency: ["google/protobuf/any.proto", "google/protobuf/duration.proto", "google/protobuf/timestamp.proto",
  "google/protobuf/field_mask.proto", "google/protobuf/empty.proto", "google/protobuf/struct.proto",
  "google/protobuf/wrappers.proto", "meshrender/test/legacy.proto"]
message_type {
  name: "Kinds"
  field { name: "i32" number: 1 type: TYPE_INT32 label: LABEL_OPTIONAL json_name: "i32" }
  field { name: "s32" number: 2 type: TYPE_SINT32 label: LABEL_OPTIONAL json_name: "s32" }
  field { name: "sf32" number: 3 type: TYPE_SFIXED32 label: LABEL_OPTIONAL json_name: "sf32" }
  field { name: "u32" number: 4 type: TYPE_UINT32 label: LABEL_OPTIONAL json_name: "u32" }
  field { name: "f32" number: 5 type: TYPE_FIXED32 label: LABEL_OPTIONAL json_name: "f32" }
  field { name: "i64" number: 6 type: TYPE_INT64 label: LABEL_OPTIONAL json_name: "i64" }
  field { name: "s64" number: 7 type: TYPE_SINT64 label: LABEL_OPTIONAL json_name: "s64" }
  field { name: "sf64" number: 8 type: TYPE_SFIXED64 label: LABEL_OPTIONAL json_name: "sf64" }
  field { name: "u64" number: 9 type: TYPE_UINT64 label: LABEL_OPTIONAL json_name: "u64" }
  field { name: "f64" number: 10 type: TYPE_FIXED64 label: LABEL_OPTIONAL json_name: "f64" }
  field { name: "fl" number: 11 type: TYPE_FLOAT label: LABEL_OPTIONAL json_name: "fl" }
  field { name: "db" number: 12 type: TYPE_DOUBLE label: LABEL_OPTIONAL json_name: "db" }
  field { name: "b" number: 13 type: TYPE_BOOL label: LABEL_OPTIONAL json_name: "b" }
  field { name: "s" number: 14 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "s" }
  field { name: "by" number: 15 type: TYPE_BYTES label: LABEL_OPTIONAL json_name: "by" }
  field { name: "color" number: 16 type: TYPE_ENUM type_name: ".meshrender.test.Color" label: LABEL_OPTIONAL json_name: "color" }
  field { name: "child" number: 17 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds" label: LABEL_OPTIONAL json_name: "child" }
  field { name: "r_i32" number: 18 type: TYPE_INT32 label: LABEL_REPEATED json_name: "rI32" }
  field { name: "r_kinds" number: 19 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds" label: LABEL_REPEATED json_name: "rKinds" }
  field { name: "m_str" number: 20 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MStrEntry" label: LABEL_REPEATED json_name: "mStr" }
  field { name: "m_bool" number: 21 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MBoolEntry" label: LABEL_REPEATED json_name: "mBool" }
  field { name: "m_i32" number: 22 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MI32Entry" label: LABEL_REPEATED json_name: "mI32" }
  field { name: "m_i64" number: 23 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MI64Entry" label: LABEL_REPEATED json_name: "mI64" }
  field { name: "m_u32" number: 24 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MU32Entry" label: LABEL_REPEATED json_name: "mU32" }
  field { name: "m_u64" number: 25 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MU64Entry" label: LABEL_REPEATED json_name: "mU64" }
  field { name: "m_kinds" number: 26 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MKindsEntry" label: LABEL_REPEATED json_name: "mKinds" }
  field { name: "one_a" number: 27 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "oneA" oneof_index: 0 }
  field { name: "one_b" number: 28 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds" label: LABEL_OPTIONAL json_name: "oneB" oneof_index: 0 }
  field { name: "one_v" number: 29 type: TYPE_MESSAGE type_name: ".google.protobuf.Value" label: LABEL_OPTIONAL json_name: "oneV" oneof_index: 0 }
  field { name: "any" number: 30 type: TYPE_MESSAGE type_name: ".google.protobuf.Any" label: LABEL_OPTIONAL json_name: "any" }
  field { name: "ts" number: 31 type: TYPE_MESSAGE type_name: ".google.protobuf.Timestamp" label: LABEL_OPTIONAL json_name: "ts" }
  field { name: "dur" number: 32 type: TYPE_MESSAGE type_name: ".google.protobuf.Duration" label: LABEL_OPTIONAL json_name: "dur" }
  field { name: "fm" number: 33 type: TYPE_MESSAGE type_name: ".google.protobuf.FieldMask" label: LABEL_OPTIONAL json_name: "fm" }
  field { name: "empty" number: 34 type: TYPE_MESSAGE type_name: ".google.protobuf.Empty" label: LABEL_OPTIONAL json_name: "empty" }
  field { name: "st" number: 35 type: TYPE_MESSAGE type_name: ".google.protobuf.Struct" label: LABEL_OPTIONAL json_name: "st" }
  field { name: "val" number: 36 type: TYPE_MESSAGE type_name: ".google.protobuf.Value" label: LABEL_OPTIONAL json_name: "val" }
  field { name: "lv" number: 37 type: TYPE_MESSAGE type_name: ".google.protobuf.ListValue" label: LABEL_OPTIONAL json_name: "lv" }
  field { name: "nv" number: 38 type: TYPE_ENUM type_name: ".google.protobuf.NullValue" label: LABEL_OPTIONAL json_name: "nv" }
  field { name: "r_val" number: 39 type: TYPE_MESSAGE type_name: ".google.protobuf.Value" label: LABEL_REPEATED json_name: "rVal" }
  field { name: "r_nv" number: 40 type: TYPE_ENUM type_name: ".google.protobuf.NullValue" label: LABEL_REPEATED json_name: "rNv" }
  field { name: "m_val" number: 41 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MValEntry" label: LABEL_REPEATED json_name: "mVal" }
  field { name: "w_bool" number: 42 type: TYPE_MESSAGE type_name: ".google.protobuf.BoolValue" label: LABEL_OPTIONAL json_name: "wBool" }
  field { name: "w_i32" number: 43 type: TYPE_MESSAGE type_name: ".google.protobuf.Int32Value" label: LABEL_OPTIONAL json_name: "wI32" }
  field { name: "w_i64" number: 44 type: TYPE_MESSAGE type_name: ".google.protobuf.Int64Value" label: LABEL_OPTIONAL json_name: "wI64" }
  field { name: "w_u32" number: 45 type: TYPE_MESSAGE type_name: ".google.protobuf.UInt32Value" label: LABEL_OPTIONAL json_name: "wU32" }
  field { name: "w_u64" number: 46 type: TYPE_MESSAGE type_name: ".google.protobuf.UInt64Value" label: LABEL_OPTIONAL json_name: "wU64" }
  field { name: "w_fl" number: 47 type: TYPE_MESSAGE type_name: ".google.protobuf.FloatValue" label: LABEL_OPTIONAL json_name: "wFl" }
  field { name: "w_db" number: 48 type: TYPE_MESSAGE type_name: ".google.protobuf.DoubleValue" label: LABEL_OPTIONAL json_name: "wDb" }
  field { name: "w_s" number: 49 type: TYPE_MESSAGE type_name: ".google.protobuf.StringValue" label: LABEL_OPTIONAL json_name: "wS" }
  field { name: "w_by" number: 50 type: TYPE_MESSAGE type_name: ".google.protobuf.BytesValue" label: LABEL_OPTIONAL json_name: "wBy" }
  field { name: "r_dur" number: 51 type: TYPE_MESSAGE type_name: ".google.protobuf.Duration" label: LABEL_REPEATED json_name: "rDur" }
  field { name: "custom" number: 52 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "renamed" }
  field { name: "opt" number: 53 type: TYPE_INT32 label: LABEL_OPTIONAL json_name: "opt" oneof_index: 1 proto3_optional: true }
  field { name: "r_any" number: 54 type: TYPE_MESSAGE type_name: ".google.protobuf.Any" label: LABEL_REPEATED json_name: "rAny" }
  field { name: "legacy" number: 55 type: TYPE_MESSAGE type_name: ".meshrender.test.Legacy" label: LABEL_OPTIONAL json_name: "legacy" }
  field { name: "r_legacy" number: 56 type: TYPE_MESSAGE type_name: ".meshrender.test.Legacy" label: LABEL_REPEATED json_name: "rLegacy" }
  field { name: "m_legacy" number: 57 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds.MLegacyEntry" label: LABEL_REPEATED json_name: "mLegacy" }
  field { name: "r_by" number: 58 type: TYPE_BYTES label: LABEL_REPEATED json_name: "rBy" }
  field { name: "r_fl" number: 59 type: TYPE_FLOAT label: LABEL_REPEATED json_name: "rFl" }
  field { name: "r_color" number: 60 type: TYPE_ENUM type_name: ".meshrender.test.Color" label: LABEL_REPEATED json_name: "rColor" }
  nested_type { name: "MStrEntry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_INT32 label: LABEL_OPTIONAL json_name: "value" } }
  nested_type { name: "MBoolEntry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_BOOL label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "value" } }
  nested_type { name: "MI32Entry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_SINT32 label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "value" } }
  nested_type { name: "MI64Entry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_INT64 label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_BYTES label: LABEL_OPTIONAL json_name: "value" } }
  nested_type { name: "MU32Entry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_FIXED32 label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_ENUM type_name: ".meshrender.test.Color" label: LABEL_OPTIONAL json_name: "value" } }
  nested_type { name: "MU64Entry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_UINT64 label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_DOUBLE label: LABEL_OPTIONAL json_name: "value" } }
  nested_type { name: "MKindsEntry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_MESSAGE type_name: ".meshrender.test.Kinds" label: LABEL_OPTIONAL json_name: "value" } }
  nested_type { name: "MValEntry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_MESSAGE type_name: ".google.protobuf.Value" label: LABEL_OPTIONAL json_name: "value" } }
  nested_type { name: "MLegacyEntry" options { map_entry: true }
    field { name: "key" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "key" }
    field { name: "value" number: 2 type: TYPE_MESSAGE type_name: ".meshrender.test.Legacy" label: LABEL_OPTIONAL json_name: "value" } }
  oneof_decl { name: "choice" }
  oneof_decl { name: "_opt" }
}
enum_type { name: "Color" value { name: "RED" number: 0 } value { name: "GREEN" number: 1 } }
`

const kindsProto2 = `
name: "meshrender/test/legacy.proto" package: "meshrender.test" syntax: "proto2"
message_type {
  name: "Legacy"
  field { name: "req" number: 1 type: TYPE_INT32 label: LABEL_REQUIRED json_name: "req" }
  field { name: "nested" number: 2 type: TYPE_MESSAGE type_name: ".meshrender.test.Legacy" label: LABEL_OPTIONAL json_name: "nested" }
  field { name: "g" number: 3 type: TYPE_GROUP type_name: ".meshrender.test.Legacy.G" label: LABEL_OPTIONAL json_name: "g" }
  nested_type { name: "G" field { name: "x" number: 4 type: TYPE_INT32 label: LABEL_OPTIONAL json_name: "x" } }
  extension_range { start: 100 end: 200 }
}
message_type { name: "Other" extension_range { start: 100 end: 200 } }
extension { name: "ext" number: 100 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "ext" extendee: ".meshrender.test.Legacy" }
extension { name: "other_ext" number: 101 type: TYPE_STRING label: LABEL_OPTIONAL json_name: "otherExt" extendee: ".meshrender.test.Other" }
`

var kindsDesc = func() protoreflect.MessageDescriptor {
	files := new(protoregistry.Files)
	var legacy protoreflect.FileDescriptor
	for _, text := range []string{kindsProto2, kindsProto3} {
		fdp := new(descriptorpb.FileDescriptorProto)
		if err := prototextUnmarshal(text, fdp); err != nil {
			panic(err)
		}
		fd, err := protodesc.NewFile(fdp, resolvers{files, protoregistry.GlobalFiles})
		if err != nil {
			panic(err)
		}
		if err := files.RegisterFile(fd); err != nil {
			panic(err)
		}
		if legacy == nil {
			legacy = fd
		}
	}
	// Any finds its types in the global registry, as in production.
	for _, name := range []protoreflect.FullName{"meshrender.test.Legacy", "meshrender.test.Other", "meshrender.test.Kinds"} {
		d, _ := files.FindDescriptorByName(name)
		if err := protoregistry.GlobalTypes.RegisterMessage(dynamicpb.NewMessageType(d.(protoreflect.MessageDescriptor))); err != nil {
			panic(err)
		}
	}
	for i := range legacy.Extensions().Len() {
		if err := protoregistry.GlobalTypes.RegisterExtension(dynamicpb.NewExtensionType(legacy.Extensions().Get(i))); err != nil {
			panic(err)
		}
	}
	d, _ := files.FindDescriptorByName("meshrender.test.Kinds")
	return d.(protoreflect.MessageDescriptor)
}()

type resolvers []*protoregistry.Files

func (r resolvers) FindFileByPath(p string) (protoreflect.FileDescriptor, error) {
	for _, f := range r {
		if fd, err := f.FindFileByPath(p); err == nil {
			return fd, nil
		}
	}
	return nil, protoregistry.NotFound
}

func (r resolvers) FindDescriptorByName(n protoreflect.FullName) (protoreflect.Descriptor, error) {
	for _, f := range r {
		if d, err := f.FindDescriptorByName(n); err == nil {
			return d, nil
		}
	}
	return nil, protoregistry.NotFound
}

func TestCheckMessageKinds(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
	}{
		{`{"i32": -2147483648, "s32": "2147483647", "sf32": 1e9, "u32": 4294967295, "f32": "0", "i64": "-9223372036854775808", "s64": 9223372036854775807,
		   "sf64": "1e18", "u64": "18446744073709551615", "f64": 1.8446744073709551615e19, "fl": "NaN", "db": "-Infinity", "b": false, "s": "",
		   "by": "-_-_", "color": "GREEN", "child": {"color": 7}, "r_i32": [1, "2", 3e0], "rKinds": [{}, {"s": "x"}],
		   "mStr": {"": 1}, "mBool": {"true": "t", "false": "f"}, "mI32": {"-1": "a", "+2": "b"}, "mI64": {"9223372036854775807": "AA=="}, "mU32": {"0": "RED", "1": 1},
		   "mU64": {"18446744073709551615": "Infinity"}, "mKinds": {"a": {"i32": 1}}, "oneV": null}`, nil},
		{`{"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s"}, "ts": "2025-01-02T15:04:05.123456789+01:00", "dur": "-.5s", "fm": "a.bC,d", "empty": {},
		   "st": {"a": [{"b": null}]}, "val": [1, "x", {"y": false}], "lv": [null, []], "nv": null, "rVal": [null, 1], "rNv": [null, "NULL_VALUE", 0], "mVal": {"a": null},
		   "wBool": true, "wI32": "5", "wI64": "-5", "wU32": 5, "wU64": "5", "wFl": 1.5, "wDb": "1e300", "wS": "s", "wBy": "YWI", "rDur": ["1s", "2.000000001s"], "renamed": "r", "opt": 0,
		   "rAny": [{}, {"@type": "meshrender.test.Kinds", "i32": 1, "any": {"@type": "x/google.protobuf.Empty"}}, {"@type": "type.googleapis.com/meshrender.test.Legacy"},
		            {"@type": "type.googleapis.com/google.protobuf.Any", "value": {"@type": "type.googleapis.com/google.protobuf.Value", "value": {"k": [1]}}}],
		   "legacy": {"req": 1, "nested": {"req": 2}, "G": {"x": 1}, "[meshrender.test.ext]": "e"}, "rLegacy": [{"req": 0}], "mLegacy": {"a": {"req": "1"}},
		   "rBy": ["", "YQ", "YQ==", "_w"], "rFl": [3.4e38, "-1e-50"], "rColor": ["RED", 1, -1]}`, nil},
		{`{"rDur": ["1.s", ".s", "+.5s", "-0s", "315576000000s", "-315576000000.999999999s"], "i32": "-0", "u64": "1e19", "u32": -0.0, "color": 1.0,
		   "rAny": [{"@type": "meshrender.test.Legacy", "[meshrender.test.ext]": "x"}, {"@type": "google.protobuf.Empty", "value": {}}],
		   "ts": "9999-12-31T23:59:59.999999999Z", "fm": " a.b,c ", "by": "YWJj\n", "st": {}, "lv": [], "val": "NaN"}`, nil},
		{`{"child": {"@type": "meshrender.test.Kinds"}, "fm": "a,,b", "dur": "1.5e3s", "ts": "2025-01-02T15:04:05", "u64": "-1", "by": "Y"}`, []string{
			`u64: "-1" does not fit: it must be between 0 and 18446744073709551615`,
			`by: "Y" is not base64`,
			`child.@type: unknown field`,
			`ts: "2025-01-02T15:04:05" is not an RFC 3339 timestamp such as "2025-01-02T15:04:05Z"`,
			`dur: "1.5e3s" is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`,
			`fm: "" is not a field path in lowerCamelCase such as a.bC`,
		}},
		{`{"i32": 2147483648, "s32": "1.5", "sf32": true, "u32": -1, "f32": "1e10", "i64": 9223372036854775808, "u64": "-0", "f64": 1e-1, "fl": 3.5e38, "db": 1e309, "b": "true",
		   "s": 1, "by": "YQ=", "color": "BLUE", "child": {"color": 2147483648}, "rI32": 1, "r_kinds": [1]}`, []string{
			`i32: 2147483648 does not fit: it must be between -2147483648 and 2147483647`,
			`s32: must be a whole number, got "1.5"`,
			`sf32: must be an integer, got true`,
			`u32: -1 does not fit: it must be between 0 and 4294967295`,
			`f32: "1e10" does not fit: it must be between 0 and 4294967295`,
			`i64: 9223372036854775808 does not fit: it must be between -9223372036854775808 and 9223372036854775807`,
			`f64: must be a whole number, got 1e-1`,
			`fl: 3.5e38 does not fit in a 32-bit floating-point number`,
			`db: 1e309 does not fit in a 64-bit floating-point number`,
			`b: must be true or false, got "true"`,
			`s: must be a string, got 1`,
			`by: "YQ=" is not base64`,
			`color: "BLUE" is not one of RED or GREEN`,
			`child.color: 2147483648 does not fit: it must be between -2147483648 and 2147483647`,
			`rI32: must be a list, got 1`,
			`r_kinds[0]: must be a mapping, got 1`,
		}},
		{`{"mBool": {"True": "x"}, "mI32": {"1": "a", "01": "b", "x": "c"}, "mI64": {"1.0": ""}, "mU32": {"-1": 0}, "mU64": {"1": null}, "mKinds": {"a": null}, "mStr": {"a": "x", "b": "1"}}`, []string{
			`mStr[a]: must be an integer, got "x"`,
			`mBool[True]: key "True" is not true or false`,
			`mI32[1]: is the same key as [01]`,
			`mI32[x]: key "x" is not a 32-bit integer`,
			`mI64[1.0]: key "1.0" is not a 64-bit integer`,
			`mU32[-1]: key "-1" is not a 32-bit unsigned integer`,
			`mU64[1]: must be a number, got nothing`,
			`mKinds[a]: must be a mapping, got nothing`,
		}},
		{`{"oneA": "a", "oneB": {}, "one_v": null, "opt": null}`, []string{
			`oneB: cannot be set together with oneA: only one of oneA, oneB or oneV may be set`,
			`one_v: cannot be set together with oneA: only one of oneA, oneB or oneV may be set`,
		}},
		{`{"any": {"value": "1s"}, "rAny": [{"@type": 1}, {"@type": ""}, {"@type": "type.googleapis.com/no.Such"}, {"@type": "google.protobuf.Duration"},
		   {"@type": "google.protobuf.Duration", "value": "1s", "extra": 1}, {"@type": "meshrender.test.Kinds", "value": 1}, {"@type": "meshrender.test.Legacy", "req": "x"},
		   {"@type": "meshrender.test.Color"}]}`, []string{
			`any: must have "@type" naming its message type, such as "type.googleapis.com/google.protobuf.Duration"`,
			`rAny[0].@type: must be a string, got 1`,
			`rAny[1].@type: must name a message type, such as "type.googleapis.com/google.protobuf.Duration"`,
			`rAny[2].@type: "type.googleapis.com/no.Such" is not a known message type`,
			`rAny[3]: must have "value", the google.protobuf.Duration in its JSON form`,
			`rAny[4].extra: unknown field`,
			`rAny[5].value: unknown field`,
			`rAny[6].req: must be an integer, got "x"`,
			`rAny[7].@type: "meshrender.test.Color" is not a known message type`,
		}},
		{`{"ts": "2025-01-02 15:04:05Z", "rDur": ["1s", "s", "+s", "00s", "1.0000000000s", 1], "fm": "a_b,c", "empty": {"x": 1}, "st": [], "lv": {}, "val": {"n": 1e999},
		   "nv": 0, "rNv": [1], "rVal": null, "mVal": null, "wBool": null, "wI32": "x", "wBy": 1, "rColor": [null]}`, []string{
			`ts: "2025-01-02 15:04:05Z" is not an RFC 3339 timestamp such as "2025-01-02T15:04:05Z"`,
			`fm: "a_b" is not a field path in lowerCamelCase such as a.bC`,
			`empty.x: unknown field`,
			`st: must be a mapping, got a list`,
			`val[n]: 1e999 does not fit in a 64-bit floating-point number`,
			`lv: must be a list, got a mapping`,
			`rVal: must be a list, got nothing`, // but a null map of Values is unset
			`wI32: must be an integer, got "x"`,
			`wBy: must be a base64 string, got 1`,
			`rDur[1]: "s" is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`,
			`rDur[2]: "+s" is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`,
			`rDur[3]: "00s" is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`,
			`rDur[4]: "1.0000000000s" is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`,
			`rDur[5]: must be a duration such as "5s" or "1.5s", got 1`,
			`rColor[0]: must be one of RED or GREEN, got nothing`,
		}},
		{`{"ts": "0000-12-31T23:59:59Z", "rAny": [{"@type": "google.protobuf.Timestamp", "value": "2025-01-02T15:04:05.0000000001Z"}]}`, []string{
			`ts: "0000-12-31T23:59:59Z" is out of range: a timestamp must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z`,
			`rAny[0].value: "2025-01-02T15:04:05.0000000001Z" has more than 9 digits of fractional seconds`,
		}},
		{`{"legacy": {"nested": {}, "g": {"x": 1}, "G": {"x": 2}, "[meshrender.test.other_ext]": "x", "[meshrender.test.nope]": 1, "[meshrender.test.Kinds]": 1},
		   "rLegacy": [{"req": null}], "mLegacy": {"k": {}}, "rAny": [{"@type": "meshrender.test.Legacy", "nested": {}}]}`, []string{
			`legacy.nested.req: is required`,
			`legacy.G: sets the same field as g`,
			`legacy.[meshrender.test.Kinds]: "meshrender.test.Kinds" is not an extension`,
			`legacy.[meshrender.test.nope]: unknown field`,
			`legacy.[meshrender.test.other_ext]: extension meshrender.test.other_ext does not extend meshrender.test.Legacy`,
			`legacy.req: is required`,
			`rLegacy[0].req: is required`,
			`mLegacy[k].req: is required`,
		}},
	}
	for _, tt := range tests {
		v, err := decodeJSON([]byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		got := problemLines(CheckMessage(v, kindsDesc, ""))
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s\ngot:\n%s\nwant:\n%s", tt.doc, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
		agree(t, []byte(tt.doc), kindsDesc)
	}
}

// TestCheckMessageDepth: protojson's recursion limit, reached through
// nested messages, Values and Anys alike, is counted as protojson counts
// it: at the real limit for the plain shapes, and with a low limit (as
// protojson's own cost for Anys nested deeply grows with the square of
// the depth) for all.
func TestCheckMessageDepth(t *testing.T) {
	nest := func(open, leaf, closing string, n int) string {
		return strings.Repeat(open, n) + leaf + strings.Repeat(closing, n)
	}
	docs := func(n int) []string {
		return []string{
			nest(`{"child": `, `{}`, `}`, n),
			nest(`{"rKinds": [`, `{}`, `]}`, n),
			`{"val": ` + nest(`[`, `1`, `]`, n) + `}`,
			`{"st": ` + nest(`{"a": `, `1`, `}`, n) + `}`,
			`{"lv": ` + nest(`[{"a": `, `[]`, `}]`, n/2) + `}`,
			nest(`{"any": {"@type": "meshrender.test.Kinds", "child": `, `{}`, `}}`, n/2),
			nest(`{"any": {"@type": "meshrender.test.Kinds", "val": `, `{}`, `}}`, n/2),
			`{"any": ` + nest(`{"@type": "google.protobuf.Any", "value": `, `{}`, `}`, n) + `}`,
			`{"any": {"@type": "google.protobuf.Struct", "value": ` + nest(`{"a": `, `1`, `}`, n) + `}}`,
			`{"any": {"@type": "meshrender.test.Kinds", "x": ` + nest(`[`, `1`, `]`, n) + `}}`,
		}
	}
	for _, limit := range []int{5, 6, 7, 8, 9, 10, 11, 12, 13} {
		for n := limit - 3; n <= limit+3; n++ {
			for _, doc := range docs(n) {
				agreeWithin(t, []byte(doc), kindsDesc, limit)
			}
		}
	}
	for n := MaxMessageDepth - 3; n <= MaxMessageDepth+1; n++ {
		for _, doc := range docs(n)[:4] {
			agree(t, []byte(doc), kindsDesc)
		}
	}
	// A deep document is told once, at the first place too deep.
	doc := nest(`{"any": {"@type": "meshrender.test.Kinds", "child": `, `{}`, `}}`, 20)
	v, err := decodeJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := problemLines(checkMessage(v, kindsDesc, "", 10)); len(got) != 1 || !strings.HasSuffix(got[0], "nests too deeply: messages may nest at most 10 levels") {
		t.Errorf("got %q", got)
	}
}

// agree fails the test when CheckMessage and protojson disagree on doc.
func agree(t *testing.T, doc []byte, md protoreflect.MessageDescriptor) {
	t.Helper()
	agreeWithin(t, doc, md, MaxMessageDepth)
}

func agreeWithin(t *testing.T, doc []byte, md protoreflect.MessageDescriptor, limit int) {
	t.Helper()
	if msg := disagreement(doc, md, limit); msg != "" {
		t.Errorf("%.300s: %s", doc, msg)
	}
}

// disagreement says how CheckMessage and protojson.Unmarshal differ on
// doc, or "" when they agree or doc is outside what CheckMessage sees: not
// JSON to encoding/json, or JSON that it reads differently from protojson
// (a key twice in an object, invalid UTF-8, an unpaired surrogate).
func disagreement(doc []byte, md protoreflect.MessageDescriptor, limit int) string {
	v, err := decodeJSON(doc)
	if err != nil || !readAlike(doc) {
		return ""
	}
	problems := checkMessage(v, md, "", limit)
	perr := protojson.UnmarshalOptions{RecursionLimit: limit}.Unmarshal(doc, dynamicpb.NewMessage(md))
	switch {
	case perr == nil && len(problems) > 0:
		return "CheckMessage refuses what protojson accepts: " + strings.Join(problemLines(problems), "; ")
	case perr != nil && len(problems) == 0:
		return "CheckMessage accepts what protojson refuses: " + perr.Error()
	}
	return ""
}

// readAlike reports whether encoding/json reads doc, a JSON document, as
// protojson does: valid UTF-8, surrogate escapes in pairs, and no key
// twice in an object, which encoding/json lets pass and protojson does
// not.
func readAlike(doc []byte) bool {
	if !utf8.Valid(doc) {
		return false
	}
	inString := false
	for i := 0; i < len(doc); i++ {
		switch {
		case !inString:
			inString = doc[i] == '"'
		case doc[i] == '"':
			inString = false
		case doc[i] == '\\' && i+1 < len(doc) && doc[i+1] == 'u':
			r := hex4(doc[i+2:])
			i += 5
			if utf16.IsSurrogate(r) {
				if i+6 >= len(doc) || doc[i+1] != '\\' || doc[i+2] != 'u' || utf16.DecodeRune(r, hex4(doc[i+3:])) == utf8.RuneError {
					return false
				}
				i += 6
			}
		case doc[i] == '\\':
			i++
		}
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	type level struct {
		object bool
		keys   map[string]bool
		key    bool // the next string is a key
	}
	var stack []*level
	for {
		tok, err := d.Token()
		if err != nil {
			return err == io.EOF
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.key {
			if top.keys[s] {
				return false
			}
			top.keys[s] = true
			top.key = false
			continue
		}
		if top != nil && top.object {
			top.key = true // after a value
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{object: true, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &level{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].key = true
			}
		}
	}
}

// hex4 is the value of four hex digits, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(n)
}

func prototextUnmarshal(text string, m proto.Message) error {
	return prototext.Unmarshal([]byte(text), m)
}

// FuzzCheckMessageAgreesWithProtojson: for any JSON document, CheckMessage
// finds no problem exactly when protojson.Unmarshal succeeds, for
// MeshConfig and for a message with every kind of field.
func FuzzCheckMessageAgreesWithProtojson(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, md := range []protoreflect.MessageDescriptor{meshConfigDesc, kindsDesc} {
			if msg := disagreement(doc, md, MaxMessageDepth); msg != "" {
				t.Errorf("%s: %s: %s", md.FullName(), doc, msg)
			}
		}
	})
}

var fuzzSeeds = []string{
	`{}`, `null`, `[]`, `1`,
	`{"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}, "accessLogFile": "/dev/stdout"}`,
	`{"defaultConfig": {"proxyMetadata": {"A": "b"}, "holdApplicationUntilProxyStarts": true, "drainDuration": "5s", "concurrency": "2"}}`,
	`{"extensionProviders": [{"name": "p", "prometheus": {}}, {"name": "a", "envoyExtAuthzHttp": {"service": "s", "port": 1e1}}]}`,
	`{"discoverySelectors": [{"matchLabels": {"a": "b"}, "matchExpressions": [{"key": "k", "operator": "In", "values": ["v"]}]}]}`,
	`{"defaultServiceExportTo": ["*"], "enablePrometheusMerge": null, "proxy_listen_port": "15001"}`,
	`{"extensionProviders": [{"envoyFileAccessLog": {"logFormat": {"labels": {"a": [1, null, {"b": "c"}]}}}}]}`,
	`{"i32": "1e2", "u64": "18446744073709551615", "fl": "Infinity", "by": "YQ", "color": 1, "mI32": {"+1": "a"}, "mBool": {"true": "x"}}`,
	`{"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1.5s"}, "ts": "1970-01-01T00:00:00Z", "fm": "a.b", "empty": {}}`,
	`{"rAny": [{"@type": "meshrender.test.Kinds", "i32": 1}, {"@type": "meshrender.test.Legacy", "req": 1}], "legacy": {"req": 1, "[meshrender.test.ext]": "x"}}`,
	`{"oneA": "a", "oneV": null, "val": null, "nv": null, "rNv": [null], "wI64": "1", "wBy": "_-"}`,
	`{"i64": 0.00000000000000000000001e23, "i32": 100e-2, "u32": -0, "f32": 1E+2, "sf32": 0e99999999999}`,
}

// TestCheckMessageAgreesOnGeneratedDocuments builds documents from the
// descriptors, near misses included, and has CheckMessage and protojson
// judge each: where bytes from the fuzzer rarely reach a deep field, these
// reach every one.
func TestCheckMessageAgreesOnGeneratedDocuments(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, md := range []protoreflect.MessageDescriptor{meshConfigDesc, kindsDesc} {
		for range n {
			doc, err := json.Marshal(generate(r, md, 0))
			if err != nil {
				t.Fatal(err)
			}
			agree(t, doc, md)
		}
	}
}

// oddValues are JSON values near the edges of what protojson takes.
var oddValues = []any{
	nil, true, false, "", "yes", "true", "0", "1", "-1", "1.5", "1e2", " 1", "1 ", "+1", "0x10", "01", "-0", "1e", "1.",
	"NaN", "Infinity", "-Infinity", "nan", "inf", "2147483648", "-2147483649", "4294967296", "9223372036854775808",
	"18446744073709551616", "1e19", "3.5e38", "1e309", "YQ", "YQ=", "YQ==", "_-", "+/", "a b", "5s", "-1.5s", ".5s", "5",
	"1.0000000001s", "315576000001s", "2025-01-02T15:04:05Z", "2025-01-02T15:04:05.1234567891Z", "a.bC", "a_b",
	"REGISTRY_ONLY", "ALLOW_ANY", "RED", "GREEN", "NULL_VALUE", "STRICT", "JSON",
	json.Number("0"), json.Number("1"), json.Number("-1"), json.Number("1.5"), json.Number("1e2"), json.Number("1E+2"),
	json.Number("100e-2"), json.Number("1e-2"), json.Number("-0"), json.Number("0.0"), json.Number("2147483647"),
	json.Number("2147483648"), json.Number("-2147483648"), json.Number("-2147483649"), json.Number("4294967295"),
	json.Number("4294967296"), json.Number("9223372036854775807"), json.Number("9223372036854775808"),
	json.Number("18446744073709551615"), json.Number("18446744073709551616"), json.Number("1e20"), json.Number("1e21"),
	json.Number("0e99999999999"), json.Number("1e99999999999"), json.Number("3.4e38"), json.Number("3.5e38"),
	json.Number("1e308"), json.Number("1e309"), json.Number("1e-400"), json.Number("0.00000000000000000000001e23"),
	[]any{}, []any{nil}, []any{json.Number("1")}, []any{"a"}, map[string]any{}, map[string]any{"a": "b"},
	map[string]any{"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s"},
	map[string]any{"@type": "meshrender.test.Legacy", "req": json.Number("1")},
	map[string]any{"@type": "google.protobuf.Empty"}, map[string]any{"@type": ""},
}

func generate(r *rand.Rand, md protoreflect.MessageDescriptor, depth int) any {
	if r.IntN(12) == 0 || depth > 6 {
		return oddValues[r.IntN(len(oddValues))]
	}
	switch WellKnown(md) {
	case "":
	case "Duration", "Timestamp", "FieldMask", "wrapper", "Value":
		return oddValues[r.IntN(len(oddValues))]
	case "Any":
		if r.IntN(2) == 0 {
			return map[string]any{"@type": "meshrender.test.Kinds", "s": "x", "i32": generateScalar(r, kindsDesc.Fields().ByName("i32"))}
		}
		return oddValues[r.IntN(len(oddValues))]
	default: // Struct, ListValue, Empty
		return oddValues[r.IntN(len(oddValues))]
	}
	m := map[string]any{}
	fields := md.Fields()
	if fields.Len() == 0 {
		if r.IntN(4) == 0 {
			m["x"] = true
		}
		return m
	}
	for range r.IntN(4) + 1 {
		fd := fields.Get(r.IntN(fields.Len()))
		name := fd.JSONName()
		switch r.IntN(10) {
		case 0:
			name = string(fd.Name())
		case 1:
			name += "x"
		case 2:
			m[string(fd.Name())] = generateField(r, fd, depth)
		}
		m[name] = generateField(r, fd, depth)
	}
	return m
}

func generateField(r *rand.Rand, fd protoreflect.FieldDescriptor, depth int) any {
	switch {
	case fd.IsList() && r.IntN(8) != 0:
		var list []any
		for range r.IntN(3) {
			list = append(list, generateSingular(r, fd, depth))
		}
		return list
	case fd.IsMap() && r.IntN(8) != 0:
		m := map[string]any{}
		for range r.IntN(3) {
			var k string
			switch fd.MapKey().Kind() {
			case protoreflect.StringKind:
				k = []string{"a", "b", ""}[r.IntN(3)]
			case protoreflect.BoolKind:
				k = []string{"true", "false", "True", "1"}[r.IntN(4)]
			default:
				k = []string{"0", "1", "01", "+1", "-1", "-0", "x", "1.0", "4294967296", "9223372036854775808"}[r.IntN(10)]
			}
			m[k] = generateSingular(r, fd.MapValue(), depth)
		}
		return m
	}
	return generateSingular(r, fd, depth)
}

func generateSingular(r *rand.Rand, fd protoreflect.FieldDescriptor, depth int) any {
	if md := fd.Message(); md != nil && !fd.IsMap() {
		return generate(r, md, depth+1)
	}
	return generateScalar(r, fd)
}

func generateScalar(r *rand.Rand, fd protoreflect.FieldDescriptor) any {
	if r.IntN(3) == 0 {
		return oddValues[r.IntN(len(oddValues))]
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return r.IntN(2) == 0
	case protoreflect.StringKind:
		return "s"
	case protoreflect.BytesKind:
		return "YWJj"
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		return string(vals.Get(r.IntN(vals.Len())).Name())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return json.Number("1.25")
	}
	return json.Number(strconv.Itoa(r.IntN(100)))
}

// meshConfigJSON holds a MeshConfig as raw JSON, as a config type would.
type meshConfigJSON json.RawMessage

func (*meshConfigJSON) ProtoJSONDescriptor() protoreflect.MessageDescriptor { return meshConfigDesc }

type valueReceiver struct{}

func (valueReceiver) ProtoJSONDescriptor() protoreflect.MessageDescriptor { return kindsDesc }

func TestProtoJSONDescriptor(t *testing.T) {
	for _, tt := range []struct {
		t    reflect.Type
		want protoreflect.MessageDescriptor
	}{
		{reflect.TypeFor[meshConfigJSON](), meshConfigDesc},
		{reflect.TypeFor[*meshConfigJSON](), meshConfigDesc},
		{reflect.TypeFor[**meshConfigJSON](), meshConfigDesc},
		{reflect.TypeFor[valueReceiver](), kindsDesc},
		{reflect.TypeFor[string](), nil},
		{reflect.TypeFor[map[string]any](), nil},
		{reflect.TypeFor[[]meshConfigJSON](), nil},
	} {
		if got := ProtoJSONDescriptor(tt.t); got != tt.want {
			t.Errorf("ProtoJSONDescriptor(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
}

func TestReadAlike(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"a": 1, "b": [1, {"a": 2}], "c": {"a": {"b": 1}, "b": 2}}`: true,
		`{"a": 1, "a": 2}`:                  false,
		`{"a": {"b": 1, "b": 2}}`:           false,
		`[{"x": 1}, {"x": 1}]`:              true,
		`["\ud83d\ude00", "\u00e9", "\\u"]`: true,
		`["\ud800"]`:                        false,
		`["\udc00\ud800"]`:                  false,
		`["\ud800\u0041"]`:                  false,
		"[\"\xff\"]":                        false,
	} {
		if got := readAlike([]byte(doc)); got != want {
			t.Errorf("readAlike(%s) = %v, want %v", doc, got, want)
		}
	}
}
