package injector

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// istioSums are the SHA-256 of Istio's files at tag 1.30.3 (values.json:
// of the injector values istioctl 1.30.3 renders for the default
// profile). A changed file fails TestEmbeddedFiles.
var istioSums = map[string]string{
	"LICENSE":                         "9fa6e54dafda853bb3cdc01486b677a55102f0d488282a85ba6e426d9125f8c5",
	"agentgateway.yaml":               "c5a9c442749f6d4304734e13f8d8dda82d15b6fe547a43c4c28bbc2fe3409516",
	"gateway-injection-template.yaml": "79417fa7747079495dbc56e48cc01faff2b4c72476eaefd3fdabc9b7fad18d2b",
	"grpc-agent.yaml":                 "91fc2dafe45c16311bf11b2e98880ec4e05faa79485903b8c1ce386f5e8e2636",
	"grpc-simple.yaml":                "cc0c60252f24558ef15b6c2ba77350f3c84a52b16f0009fcee440e98ca94c2da",
	"injection-template.yaml":         "3c0fedcfea11beb467613914306c1dc11fad57ceabb3b96390064368f5a77404",
	"kube-gateway.yaml":               "4ba36d11165200e89ba3a729f8edbc81d4f4c4d40837d94dc87a0bbec1836c58",
	"waypoint.yaml":                   "0a503988c129fc1889f84f4b89665970ad2d955b761d3c3ea2a305ca44f47d6b",
	"values.json":                     "6e415a2be3530f90f1ff140dddd9f3a238aa6a5cb6aea3ef1715bb8b6cabce52",
}

// meshrenderFiles describe the others; they are not Istio's.
var meshrenderFiles = []string{"SOURCE", "SHA256SUMS"}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestEmbeddedFiles(t *testing.T) {
	entries, err := fs.ReadDir(files, "istio")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range entries {
		name := e.Name()
		seen = append(seen, name)
		if slices.Contains(meshrenderFiles, name) {
			continue
		}
		want, ok := istioSums[name]
		if !ok {
			t.Errorf("istio/%s is embedded but has no checksum in the test", name)
			continue
		}
		if got := sha([]byte(file(name))); got != want {
			t.Errorf("istio/%s: sha256 %s, want %s: the file is not Istio's", name, got, want)
		}
	}
	for name := range istioSums {
		if !slices.Contains(seen, name) {
			t.Errorf("istio/%s is missing", name)
		}
	}
	for _, tp := range templates {
		if _, ok := istioSums[tp.file]; !ok {
			t.Errorf("template %s: file %s has no checksum", tp.key, tp.file)
		}
	}
}

// TestSHA256SUMS keeps the checksum file in step with the test, so that
// sha256sum -c in istio/ checks the same thing.
func TestSHA256SUMS(t *testing.T) {
	got := map[string]string{}
	for line := range strings.Lines(file("SHA256SUMS")) {
		sum, name, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS: bad line %q", line)
		}
		got[name] = sum
	}
	if !maps.Equal(got, istioSums) {
		t.Errorf("SHA256SUMS = %v, want %v", got, istioSums)
	}
}

func TestSourceNamesEveryFile(t *testing.T) {
	src := file("SOURCE")
	for _, want := range []string{"github.com/istio/istio", "1.30.3", "56df41f63e513f834c9a3af33d8aed82d1d961f2", "Apache License 2.0"} {
		if !strings.Contains(src, want) {
			t.Errorf("SOURCE does not mention %q", want)
		}
	}
	for name := range istioSums {
		if !strings.Contains(src, name) {
			t.Errorf("SOURCE does not mention %s", name)
		}
	}
	for _, tp := range templates {
		if !strings.Contains(src, "manifests/charts/istio-control/istio-discovery/files/"+tp.file) {
			t.Errorf("SOURCE does not give the path of %s", tp.file)
		}
	}
}

// TestDefaultsFromChart derives the injector values from the chart's
// values.yaml at the tag (testdata/chart-values.yaml) the way the chart's
// ConfigMap template picks them, and finds values.json: the same bytes
// once hub and tag are what istioctl's release build stamps in.
func TestDefaultsFromChart(t *testing.T) {
	raw, err := os.ReadFile("testdata/chart-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sha(raw), "d6b9d64100f695973a1b87a2cedfce597669807d77fd14d00149d56538dd43a1"; got != want {
		t.Fatalf("testdata/chart-values.yaml: sha256 %s, want %s: the file is not the chart's", got, want)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		Values map[string]any `json:"_internal_defaults_do_not_set"`
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&chart); err != nil {
		t.Fatal(err)
	}
	v := chart.Values
	gateways := v["gateways"].(map[string]any)
	picked := map[string]any{
		"global":                 v["global"],
		"sidecarInjectorWebhook": v["sidecarInjectorWebhook"],
		"revision":               v["revision"],
		"pilot":                  map[string]any{"cni": v["cni"], "env": v["env"]},
		"gateways":               map[string]any{"securityContext": gateways["securityContext"], "seccompProfile": gateways["seccompProfile"]},
	}
	global := v["global"].(map[string]any)
	if global["hub"] != "registry.istio.io/testing" || global["tag"] != "latest" {
		t.Fatalf("chart hub and tag = %v, %v; the test expects the development defaults", global["hub"], global["tag"])
	}
	global["hub"], global["tag"] = "docker.io/istio", "1.30.3"
	got, err := json.MarshalIndent(picked, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if want := file(defaultValuesFile); string(got) != want {
		t.Errorf("values derived from the chart differ from values.json:\n%s", firstDiff(string(got), want))
	}
}

// firstDiff shows where two strings part.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "equal"
}
