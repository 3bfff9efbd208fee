package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshrender/meshrender/golden/internal/strictdecode"
	"github.com/meshrender/meshrender/golden/internal/thirdparty"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/yamlenc"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// rendered holds every example's rendering by name, made once for all
// the tests of a run.
var rendered struct {
	sync.Mutex
	byName map[string][]byte
}

// renderExample renders an example's mesh.yaml the way `meshrender render
// -f` does. The rendering is made once per example; each caller gets a
// copy of its own.
func renderExample(t *testing.T, e Example) []byte {
	t.Helper()
	rendered.Lock()
	defer rendered.Unlock()
	if out, ok := rendered.byName[e.Name]; ok {
		return bytes.Clone(out)
	}
	out, err := renderYAML(exampleMesh(t, e), render.WithApplications(exampleApplications(t, e)...))
	if err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	if rendered.byName == nil {
		rendered.byName = map[string][]byte{}
	}
	rendered.byName[e.Name] = out
	return bytes.Clone(out)
}

func examples(t *testing.T) []Example {
	t.Helper()
	ex, err := Examples("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) == 0 {
		t.Fatal("no examples found under ../examples")
	}
	return ex
}

// exampleNamed is the example of a name, such as regulated or
// canary/3-canary-tagged.
func exampleNamed(t *testing.T, name string) Example {
	t.Helper()
	for _, e := range examples(t) {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no example %s under ../examples", name)
	return Example{}
}

// exampleMesh decodes an example's mesh.yaml.
func exampleMesh(t *testing.T, e Example) v1alpha1.Mesh {
	t.Helper()
	data, err := e.ReadMesh()
	if err != nil {
		t.Fatal(err)
	}
	m, err := v1alpha1.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	return m
}

// exampleApplications decodes the Applications of an example's apps/
// folder, rendered with its mesh as `meshrender render -f mesh.yaml -f
// apps/` renders them.
func exampleApplications(t *testing.T, e Example) []v1alpha1.Application {
	t.Helper()
	files, err := e.ReadApplications()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1alpha1.Application
	for _, f := range files {
		apps, err := v1alpha1.DecodeApplications(f)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		out = append(out, apps...)
	}
	return out
}

// TestGolden compares every example's rendering with golden/<name>.yaml.
func TestGolden(t *testing.T) {
	for _, e := range examples(t) {
		t.Run(e.Name, func(t *testing.T) {
			compareGolden(t, e.Name+".yaml", renderExample(t, e))
		})
	}
}

// compareGolden compares got with the golden file at path, or rewrites
// the file with -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make golden to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (-golden +got); run make golden if the change is intended:\n%s",
			path, cmp.Diff(string(want), string(got)))
	}
}

// TestNoStrayGoldenFiles fails on golden files whose example is gone.
func TestNoStrayGoldenFiles(t *testing.T) {
	known := map[string]bool{}
	for _, e := range examples(t) {
		known[e.Name+".yaml"] = true
	}
	files, _ := filepath.Glob("*.yaml")
	steps, _ := filepath.Glob(filepath.Join("*", "[0-9]*.yaml"))
	for _, f := range append(files, steps...) {
		if !known[filepath.ToSlash(f)] {
			t.Errorf("golden file %s has no example under ../examples", f)
		}
	}
	// An injected pod per example whose mesh injects sidecars, and no
	// other; the runtime tests compare them.
	injecting := map[string]bool{}
	for _, e := range examples(t) {
		// The steps of a sequence run in its own runtime test.
		if e.Sequence == "" && bytes.Contains(renderExample(t, e), []byte("\nkind: MutatingWebhookConfiguration\n")) {
			injecting[filepath.Join("injected", e.Name+".yaml")] = true
		}
	}
	pods, _ := filepath.Glob(filepath.Join("injected", "*.yaml"))
	for _, f := range pods {
		if !injecting[f] {
			t.Errorf("golden file %s has no example that injects sidecars", f)
		}
		delete(injecting, f)
	}
	for f := range injecting {
		t.Errorf("golden file %s is missing; make golden writes it", f)
	}
}

// thirdPartyCRDs reads the Flux, Argo CD and cert-manager CRDs from their
// projects' modules, pinned in tools/crds.
var thirdPartyCRDs = &thirdparty.Reader{Dir: filepath.Join("tools", "crds")}

// registerThirdPartyCRDs lets strict decoding check cert-manager's kinds,
// the External Secrets Operator's and the Gateway API's against their own
// CRDs, from their pinned modules.
var registerThirdPartyCRDs = sync.OnceValue(func() error {
	crds, err := thirdPartyCRDs.Read(thirdparty.CertManagerIssuer, thirdparty.CertManagerClusterIssuer, thirdparty.CertManagerCertificate, thirdparty.ExternalSecret, thirdparty.GatewayAPIGateway)
	if err != nil {
		return err
	}
	for _, crd := range crds {
		if err := strictdecode.RegisterCRD(crd); err != nil {
			return err
		}
	}
	return nil
})

// TestStrictDecoding decodes every rendered object into its Go type, or
// checks it against its CRD's schema, and fails on fields the type or
// schema does not have; the mesh ConfigMap's mesh config and mesh
// networks are decoded into Istio's own messages, which istiod would
// read without a word about a field it does not know.
func TestStrictDecoding(t *testing.T) {
	if err := registerThirdPartyCRDs(); err != nil {
		t.Fatal(err)
	}
	for _, e := range examples(t) {
		t.Run(e.Name, func(t *testing.T) {
			for i, doc := range splitDocs(renderExample(t, e)) {
				if _, err := strictdecode.Decode(doc); err != nil {
					t.Errorf("document %d: %v\n%s", i, err, head(doc))
				}
			}
		})
	}
}

// TestPrintingIsAFixedPoint reads the rendered YAML back and prints it
// again: the output must not change, so any tool that round-trips it
// through a YAML library sees exactly the same values.
func TestPrintingIsAFixedPoint(t *testing.T) {
	for _, e := range examples(t) {
		t.Run(e.Name, func(t *testing.T) {
			for i, doc := range splitDocs(renderExample(t, e)) {
				j, err := yaml.YAMLToJSON(doc)
				if err != nil {
					t.Fatalf("document %d: %v", i, err)
				}
				again, err := yamlenc.FromJSON(nil, j)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, doc) {
					t.Errorf("document %d changes when read and printed again:\n%s", i, cmp.Diff(string(doc), string(again)))
				}
			}
		})
	}
}

// splitDocs cuts a YAML stream into its documents. A document
// separator is a line that is "---", alone or followed by white space or
// a comment; a "---" inside a block scalar is indented, and one followed
// by anything else is content. Every document keeps its bytes, its final
// newline included, so it prints back to itself; documents of nothing but
// white space are dropped.
func splitDocs(stream []byte) [][]byte {
	var docs [][]byte
	var doc []byte
	flush := func() {
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
		doc = nil
	}
	for _, line := range bytes.SplitAfter(stream, []byte("\n")) {
		if isDocumentSeparator(line) {
			flush()
			continue
		}
		doc = append(doc, line...)
	}
	flush()
	return docs
}

// isDocumentSeparator says whether a line, with or without its line
// break, is a "---" marker: nothing after it but white space or a comment.
func isDocumentSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("---"))
	if !ok {
		return false
	}
	if len(rest) == 0 {
		return true
	}
	if rest[0] != ' ' && rest[0] != '\t' {
		return false
	}
	rest = bytes.TrimLeft(rest, " \t")
	return len(rest) == 0 || rest[0] == '#'
}

// decodeObjects splits a YAML stream into its documents and decodes each
// into an unstructured object: objs[i] is docs[i].
func decodeObjects(t *testing.T, stream []byte) (docs [][]byte, objs []*unstructured.Unstructured) {
	t.Helper()
	docs = splitDocs(stream)
	for i, doc := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, head(doc))
		}
		objs = append(objs, u)
	}
	return docs, objs
}

// TestSplitDocs pins where a stream is cut: at separator lines only, with
// every document's bytes kept.
func TestSplitDocs(t *testing.T) {
	for _, tt := range []struct {
		name, stream string
		want         []string
	}{
		{"separators", "a: 1\n---\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"leading separator", "---\na: 1\n---\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"no final newline", "a: 1\n---\nb: 2", []string{"a: 1\n", "b: 2"}},
		{"separator at the end", "a: 1\n---", []string{"a: 1\n"}},
		{"separator with a comment", "a: 1\n--- # next\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"separator with trailing space", "a: 1\n---  \t\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"CRLF", "a: 1\r\n---\r\nb: 2\r\n", []string{"a: 1\r\n", "b: 2\r\n"}},
		{"--- inside a block scalar", "a: |\n  x\n  ---\n  y\n---\nb: 2\n", []string{"a: |\n  x\n  ---\n  y\n", "b: 2\n"}},
		{"--- followed by text", "a: 1\n---foo\nb: 2\n", []string{"a: 1\n---foo\nb: 2\n"}},
		{"empty documents", "---\n\n---\na: 1\n---\n---\n", []string{"a: 1\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range splitDocs([]byte(tt.stream)) {
				got = append(got, string(d))
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("splitDocs(%q) (-want +got):\n%s", tt.stream, d)
			}
		})
	}
}

func head(doc []byte) string {
	if len(doc) > 400 {
		return string(doc[:400]) + "..."
	}
	return string(doc)
}

// TestNoDuplicateObjects: no example renders two objects of one kind,
// namespace and name, however many revisions, gateways and namespaces it
// has; a second one would overwrite the first on apply.
func TestNoDuplicateObjects(t *testing.T) {
	for _, e := range examples(t) {
		t.Run(e.Name, func(t *testing.T) {
			seen := map[string]int{}
			for i, doc := range splitDocs(renderExample(t, e)) {
				var o struct {
					Kind     string
					Metadata struct{ Name, Namespace string }
				}
				if err := yaml.Unmarshal(doc, &o); err != nil {
					t.Fatal(err)
				}
				id := o.Kind + " " + o.Metadata.Namespace + "/" + o.Metadata.Name
				if j, ok := seen[id]; ok {
					t.Errorf("documents %d and %d are both %s", j, i, id)
				}
				seen[id] = i
			}
		})
	}
}

// TestStrictDecodingChecksCustomResources keeps the CRD check honest: a
// misspelt field and a value the schema refuses are both reported.
func TestStrictDecodingChecksCustomResources(t *testing.T) {
	if err := registerThirdPartyCRDs(); err != nil {
		t.Fatal(err)
	}
	doc := []byte("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: x, namespace: y}\nspec:\n  secretName: x\n  issuerRef: {name: vault}\n  dnsName: [a.example]\n  privateKey: {algorithm: DSA}\n")
	_, err := strictdecode.Decode(doc)
	for _, want := range []string{`unknown field "spec.dnsName"`, `spec.privateKey.algorithm`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode = %v, want an error naming %s", err, want)
		}
	}
}

// TestStrictDecodingChecksMeshConfig keeps the mesh config check honest:
// a mesh ConfigMap overlaid with a field Istio does not know, which
// istiod ignores silently, fails strict decoding, as does an unknown
// field of the mesh networks; the same mesh config without it decodes.
func TestStrictDecodingChecksMeshConfig(t *testing.T) {
	const mesh = "defaultConfig:\\n  discoveryAddress: istiod.istio-system.svc:15012\\nrootNamespace: istio-system\\ntrustDomain: cluster.local\\n"
	for _, tt := range []struct {
		name, mesh string
		// want are parts of the one error; protojson's own wording
		// varies on purpose.
		want []string
	}{
		{"known fields", mesh, nil},
		{"unknown field", mesh + "enableTracingEverywhere: true\\n", []string{"ConfigMap istio data.mesh: ", `unknown field "enableTracingEverywhere"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := v1alpha1.Decode([]byte(`apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: broken}
spec:
  overlays:
  - target: {kind: ConfigMap, name: istio}
    patch: |
      - {op: replace, path: /data/mesh, value: "` + tt.mesh + `"}
`))
			if err != nil {
				t.Fatal(err)
			}
			out, err := renderYAML(m)
			if err != nil {
				t.Fatal(err)
			}
			var errs []string
			meshConfigMaps := 0
			for _, doc := range splitDocs(out) {
				if bytes.Contains(doc, []byte("\n  mesh: ")) {
					meshConfigMaps++
				}
				if _, err := strictdecode.Decode(doc); err != nil {
					errs = append(errs, err.Error())
				}
			}
			if meshConfigMaps != 1 {
				t.Fatalf("%d mesh ConfigMaps rendered, want 1", meshConfigMaps)
			}
			if len(errs) != min(len(tt.want), 1) || !containsAll(strings.Join(errs, "\n"), tt.want) {
				t.Errorf("strict decoding reported %q, want %d error saying %q", errs, min(len(tt.want), 1), tt.want)
			}
		})
	}
	networks := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: 'rootNamespace: istio-system'\n  meshNetworks: 'networks: {}\n\n    gateways: []'\n")
	if _, err := strictdecode.Decode(networks); err == nil || !containsAll(err.Error(), []string{"ConfigMap istio data.meshNetworks: ", `unknown field "gateways"`}) {
		t.Errorf("Decode = %v, want an error naming the mesh networks' unknown field gateways", err)
	}
}

// containsAll says whether s contains every one of parts.
func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// renderYAML is render.Write into memory.
func renderYAML(m v1alpha1.Mesh, opts ...render.Option) ([]byte, error) {
	var buf bytes.Buffer
	err := render.Write(&buf, m, opts...)
	return buf.Bytes(), err
}
