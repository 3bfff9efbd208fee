package v1alpha1_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/meshrender/meshrender/internal/allocs"
)

// problemsOf decodes a Mesh with spec and renders it, returning the
// problems found, each as "field: message".
func problemsOf(t *testing.T, spec string) []string {
	t.Helper()
	m, err := v1alpha1.Decode([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata:\n  name: test\nspec:\n" + indent(spec)))
	if err == nil {
		_, err = render.Render(m)
	}
	if err == nil {
		return nil
	}
	var ve *v1alpha1.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	out := make([]string, len(ve.Errors))
	for i, fe := range ve.Errors {
		out[i] = fe.Error()
	}
	return out
}

// TestReplicaBoundMessages: the bound on replicas names the zones only
// when zones multiply it.
func TestReplicaBoundMessages(t *testing.T) {
	for _, tt := range []struct{ spec, want string }{
		{"ingress: {replicas: {max: 2147483647}}", "spec.ingress.replicas.max: must be at most 10000, got 2147483647"},
		{"zones: [a]\ningress: {replicas: {max: 10001}}", "spec.ingress.replicas.max: must be at most 10000, got 10001"},
		{"istiod: {replicas: {max: 20000}}", "spec.istiod.replicas.max: must be at most 10000, got 20000"},
		{"egress: {enabled: true, replicas: {max: 20000}}", "spec.egress.replicas.max: must be at most 10000, got 20000"},
		{"zones: [a, b, c]\ningress: {replicas: {max: 5000}}", "spec.ingress.replicas.max: 5000 replicas times 3 zones is more than 10000"},
	} {
		got := problemsOf(t, tt.spec)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.spec, got, tt.want)
		}
	}
}

const meshHeader = "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata:\n  name: test\n"

// hostileMeshes are configs of at most MaxConfigBytes that ask for far
// more work than they are long, each with the start of the problem it
// must be refused with.
func hostileMeshes() []struct{ name, doc, want string } {
	big := strings.Repeat("x", 100_000)
	var aliases, many strings.Builder
	for range 1000 {
		aliases.WriteString("    - *big\n")
	}
	for i := range 100_000 {
		fmt.Fprintf(&many, "    - d%d\n", i)
	}
	// 100 zones and 18 exposure classes: 1,919 gateways.
	gateways := meshHeader + "spec:\n  profile: seed\n  zones: [z0"
	for z := 1; z < 100; z++ {
		gateways += fmt.Sprintf(", z%d", z)
	}
	gateways += "]\n  exposureClasses:\n"
	for c := range 18 {
		gateways += fmt.Sprintf("  - name: c%d\n", c)
	}
	var manyOverlays strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&manyOverlays, "  - name: o%d\n    target: {kind: Deployment, name: istio-ingressgateway}\n    patch: '[{op: add, path: /metadata/labels/x%d, value: a}]'\n", i, i)
	}
	var metadata strings.Builder
	for i := range 300 {
		fmt.Fprintf(&metadata, "        K%d: %s\n", i, strings.Repeat("v", 3000))
	}
	return []struct{ name, doc, want string }{
		{"alias bomb", meshHeader + "  labels: {l: &big " + big + "}\nspec:\n  meshConfig:\n    trustDomainAliases:\n" + aliases.String(),
			"metadata.labels.l: anchor &big (line 5, column 15): a mesh config takes no YAML anchors or aliases"},
		{"long exportTo entry", meshHeader + "spec:\n  meshConfig:\n    defaultServiceExportTo: [" + big + "]\n",
			`spec.meshConfig.defaultServiceExportTo[0]: "xxx`},
		{"1 MiB annotation", meshHeader + "spec:\n  ingress:\n    service:\n      annotations: {a.example/b: " + strings.Repeat("y", 1<<20) + "}\n",
			"spec.ingress.service.annotations: are 1048587 bytes, keys and values; Kubernetes accepts at most 262144 bytes"},
		{"long list", meshHeader + "spec:\n  meshConfig:\n    trustDomainAliases:\n" + many.String(),
			"spec.meshConfig.trustDomainAliases: has 100000 entries; the limit is 1000"},
		{"annotation copied into 1,919 gateways", gateways + "  ingress: {service: {annotations: {a.example/b: " + strings.Repeat("a", 200<<10) + "}}}\n",
			"the mesh renders about 421 MiB of YAML, more than the 64 MiB meshrender writes; the value \"aaa"},
		{"defaultConfig copied into 1,919 gateways", gateways + "  meshConfig:\n    defaultConfig:\n      proxyMetadata:\n" + metadata.String(),
			"the mesh renders about 1699 MiB of YAML, more than the 64 MiB meshrender writes; the value \"{\\\"discoveryAddress"},
		{"1,000 overlays of every gateway", gateways + "  overlays:\n" + manyOverlays.String(),
			`spec.overlays: patching the objects they select is more than the 8 MiB of work meshrender does (15 MiB so far); the most is spec.overlays[0] ("o0"), a patch of 48 bytes for 1919 objects`},
		{"500 KiB patch of every gateway", gateways + "  overlays:\n  - name: big\n    target: {kind: Deployment, name: istio-ingressgateway}\n    patch: '[{op: add, path: /metadata/labels/x, value: " + strings.Repeat("v", 500<<10) + "}]'\n",
			`spec.overlays: patching the objects they select is more than the 8 MiB of work meshrender does (944 MiB so far); the most is spec.overlays[0] ("big"), a patch of 512046 bytes for 1919 objects`},
		{"long flow list", meshHeader + "spec:\n  zones: [" + strings.Repeat("a,", (v1alpha1.MaxConfigBytes-200)/2) + "a]\n",
			"mesh config has"},
	}
}

func decodeAndRender(doc string) error {
	m, err := v1alpha1.Decode([]byte(doc))
	if err == nil {
		_, err = render.Render(m)
	}
	return err
}

// TestHostileConfigsAreRefusedCheaply: each hostile config is refused
// with its problem, at its field, in a short message, allocating little.
func TestHostileConfigsAreRefusedCheaply(t *testing.T) {
	for _, tt := range hostileMeshes() {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.doc) > v1alpha1.MaxConfigBytes {
				t.Fatalf("the config is %d bytes, more than Decode reads", len(tt.doc))
			}
			err := decodeAndRender(tt.doc)
			if err == nil {
				t.Fatal("rendered")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n%.600s\nwant it to start with %q", err, tt.want)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
			// Allocation is the machine-independent measure of the work.
			if alloc := allocs.Bytes(func() { decodeAndRender(tt.doc) }); alloc > 128<<20 {
				t.Errorf("refusing it allocates %d MiB", alloc>>20)
			}
		})
	}
}

// BenchmarkHostileConfigs decodes and renders the hostile configs, which
// must all be refused.
func BenchmarkHostileConfigs(b *testing.B) {
	for _, tt := range hostileMeshes() {
		b.Run(strings.ReplaceAll(tt.name, " ", "-"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if decodeAndRender(tt.doc) == nil {
					b.Fatal("rendered")
				}
			}
		})
	}
}

// TestAnchorsAreRefusedWhereverTheyAre: an anchor or alias anywhere is
// refused at its path; a * or & in a value is not one.
func TestAnchorsAreRefusedWhereverTheyAre(t *testing.T) {
	for _, tt := range []struct{ spec, want string }{
		{"zones: [&z a, *z]", "spec.zones[0]: anchor &z (line 6, column 11); spec.zones[1]: alias *z (line 6, column 17)"},
		{"ingress: &i {namespace: a}\negress: {namespace: b}", "spec.ingress: anchor &i (line 6, column 12)"},
		{"ingress:\n  service:\n    annotations:\n      a.example/b: &v x", "spec.ingress.service.annotations[a.example/b]: anchor &v (line 9, column 22)"},
	} {
		_, err := v1alpha1.Decode([]byte(meshHeader + "spec:\n" + indent(tt.spec)))
		var got []string
		var ve *v1alpha1.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				got = append(got, strings.TrimSuffix(fe.Error(), ": a mesh config takes no YAML anchors or aliases; write the value out"))
			}
		}
		if strings.Join(got, "; ") != tt.want {
			t.Errorf("%s:\n got %v\nwant %s", tt.spec, err, tt.want)
		}
	}
	ok := "meshConfig: {defaultServiceExportTo: [\"*\"], accessLogFormat: \"a *b &c\"}\ningress: {jwt: {rules: [{issuer: https://a.example, jwksUri: 'https://a.example/*'}], openPaths: [/x*]}}"
	if _, err := v1alpha1.Decode([]byte(meshHeader + "spec:\n" + indent(ok))); err != nil {
		t.Errorf("a * in a value is taken for an alias: %v", err)
	}
}

// TestValuesAreBounded: every list, mapping and string of a mesh has a
// limit, reported at its path.
func TestValuesAreBounded(t *testing.T) {
	list := func(n int, item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
	}
	for _, tt := range []struct{ spec, want string }{
		{"namespaces: " + list(1001, "{name: a}"), "spec.namespaces: has 1001 entries; the limit is 1000"},
		{"meshConfig: {defaultConfig: {proxyMetadata: {A: " + strings.Repeat("v", 5000) + "}}}", `spec.meshConfig.defaultConfig.proxyMetadata.A: "vvv`},
		{"tags:\n  ? " + strings.Repeat("t", 5000) + "\n  : a", `spec.tags: key "ttt`}, // YAML takes long keys only written out
		{"ingress: {env: [{name: A, value: " + strings.Repeat("v", 5000) + "}]}", ""},  // a text
		{"overlays: [{name: " + strings.Repeat("n", 5000) + ", patch: 'a: b'}]", `spec.overlays[0].name: "nnn`},
		{"ingress: {rollingUpdate: {maxSurge: '" + strings.Repeat("9", 5000) + "%'}}", `spec.ingress.rollingUpdate.maxSurge: "999`},
	} {
		got := problemsOf(t, tt.spec)
		if tt.want == "" {
			if len(got) > 0 {
				t.Errorf("%.80s: %q", tt.spec, got)
			}
			continue
		}
		if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) || len(got[0]) > 400 {
			t.Errorf("%.80s:\n got %.500q\nwant one problem starting with %q", tt.spec, got, tt.want)
		}
	}
}
