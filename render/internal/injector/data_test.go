package injector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/internal/copied"
	"sigs.k8s.io/yaml"
)

// upstream are the facts about one minor's files the tests check.
type upstream struct {
	// ref and commit are where in github.com/istio/istio its files come
	// from.
	ref, commit string
	// release is the Istio release whose istioctl printed the default
	// values (values.json) and testdata/istio-<minor>/: its hub and tag.
	release string
	// sums are the SHA-256 of Istio's files in istio-<minor>/. A changed
	// file fails TestEmbeddedFiles.
	sums map[string]string
	// chartValuesSHA256 is testdata/istio-<minor>/chart-values.yaml's.
	chartValuesSHA256 string
	// configSHA256 and configBytes are of the config string of ConfigMap
	// istio-sidecar-injector[-<rev>] in istioctl's output, the same for
	// the reference and the default install.
	configSHA256 string
	configBytes  int
}

// upstreams are the facts, by minor.
var upstreams = map[string]upstream{
	"1.30": {
		ref: "1.30.3", commit: "56df41f63e513f834c9a3af33d8aed82d1d961f2", release: "1.30.3",
		sums: map[string]string{
			"LICENSE":                         "9fa6e54dafda853bb3cdc01486b677a55102f0d488282a85ba6e426d9125f8c5",
			"agentgateway.yaml":               "c5a9c442749f6d4304734e13f8d8dda82d15b6fe547a43c4c28bbc2fe3409516",
			"gateway-injection-template.yaml": "79417fa7747079495dbc56e48cc01faff2b4c72476eaefd3fdabc9b7fad18d2b",
			"grpc-agent.yaml":                 "91fc2dafe45c16311bf11b2e98880ec4e05faa79485903b8c1ce386f5e8e2636",
			"grpc-simple.yaml":                "cc0c60252f24558ef15b6c2ba77350f3c84a52b16f0009fcee440e98ca94c2da",
			"injection-template.yaml":         "3c0fedcfea11beb467613914306c1dc11fad57ceabb3b96390064368f5a77404",
			"kube-gateway.yaml":               "4ba36d11165200e89ba3a729f8edbc81d4f4c4d40837d94dc87a0bbec1836c58",
			"waypoint.yaml":                   "0a503988c129fc1889f84f4b89665970ad2d955b761d3c3ea2a305ca44f47d6b",
			"values.json":                     "6e415a2be3530f90f1ff140dddd9f3a238aa6a5cb6aea3ef1715bb8b6cabce52",
		},
		chartValuesSHA256: "d6b9d64100f695973a1b87a2cedfce597669807d77fd14d00149d56538dd43a1",
		configSHA256:      "e1626edee6336132d57fd8c8373c41f6732ed9407dbe89541dcc4d767ee97caf",
		configBytes:       99392,
	},
	"1.31": {
		ref: "release-1.31", commit: "a8d7012191ebf42bacd48fa72b32a05828e4c564", release: "1.31.4",
		sums: map[string]string{
			"LICENSE":                         "9fa6e54dafda853bb3cdc01486b677a55102f0d488282a85ba6e426d9125f8c5",
			"agentgateway-waypoint.yaml":      "0e6480784dd15a804b33b34c077026144473b94d1e04905c360c349dc4b4cb89",
			"agentgateway.yaml":               "c5a9c442749f6d4304734e13f8d8dda82d15b6fe547a43c4c28bbc2fe3409516",
			"gateway-injection-template.yaml": "aeb79a0ab6cf8c926ce024ec9ab82a4f4bb7f96b4bacef14aacacd151e10d94e",
			"grpc-agent.yaml":                 "91fc2dafe45c16311bf11b2e98880ec4e05faa79485903b8c1ce386f5e8e2636",
			"grpc-simple.yaml":                "cc0c60252f24558ef15b6c2ba77350f3c84a52b16f0009fcee440e98ca94c2da",
			"injection-template.yaml":         "309fcc06fc91ac3a37e6974f194e67c1083dcfd3e64328aea2eb006e2a88749d",
			"kube-gateway.yaml":               "66cbee7a084243eef7484ea418b522fa1b2da1e918157062385f7cab05f831fe",
			"waypoint.yaml":                   "f0f032173b4c4bec3b0dc9160d39b63ae98e04b411d68d10090ff9bbba0ec18d",
			"values.json":                     "eb0f112c71a2c132bb4a1d44e343449318803218c91bd11f95ffe7a31896a554",
		},
		// The same values.yaml as 1.30's.
		chartValuesSHA256: "d6b9d64100f695973a1b87a2cedfce597669807d77fd14d00149d56538dd43a1",
		configSHA256:      "6bbcb1146f6f4ccddfe72489ba409e1b8bee77bf372d4070ad0e503bb121d07a",
		configBytes:       111750,
	},
}

// eachMinor runs f for every minor meshrender has, in order.
func eachMinor(t *testing.T, f func(t *testing.T, m *minor, u upstream)) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(minors)) {
		u, ok := upstreams[name]
		if !ok {
			t.Errorf("minor %s has no facts in the tests", name)
			continue
		}
		t.Run(name, func(t *testing.T) { f(t, minors[name], u) })
	}
}

// meshrenderFiles describe the others; they are not Istio's.
// TestEveryDirectoryIsAMinor: each embedded istio-<minor>/ is a minor
// the package uses, and each minor's files are embedded.
func TestEveryDirectoryIsAMinor(t *testing.T) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		dirs = append(dirs, e.Name())
	}
	var want []string
	for _, m := range minors {
		want = append(want, m.dir())
	}
	slices.Sort(want)
	if !slices.Equal(dirs, want) {
		t.Errorf("embedded %q, minors %q", dirs, want)
	}
	if len(upstreams) != len(minors) {
		t.Errorf("facts for %d minors, %d minors", len(upstreams), len(minors))
	}
}

func TestEmbeddedFiles(t *testing.T) {
	eachMinor(t, func(t *testing.T, m *minor, u upstream) {
		copied.Check(t, files, m.dir(), u.sums)
		for _, tp := range m.templates {
			if _, ok := u.sums[tp.file]; !ok {
				t.Errorf("template %s: file %s has no checksum", tp.key, tp.file)
			}
		}
	})
}

func TestSourceNamesEveryFile(t *testing.T) {
	eachMinor(t, func(t *testing.T, m *minor, u upstream) {
		src := m.file("SOURCE")
		for _, want := range []string{"github.com/istio/istio", u.ref, u.commit, u.release, "Apache License 2.0"} {
			if !strings.Contains(src, want) {
				t.Errorf("SOURCE does not mention %q", want)
			}
		}
		for name := range u.sums {
			if !strings.Contains(src, name) {
				t.Errorf("SOURCE does not mention %s", name)
			}
		}
		for _, tp := range m.templates {
			if !strings.Contains(src, "manifests/charts/istio-control/istio-discovery/files/"+tp.file) {
				t.Errorf("SOURCE does not give the path of %s", tp.file)
			}
		}
	})
}

func TestForRelease(t *testing.T) {
	for release, want := range map[string]string{"1.30.0": "1.30", "1.30.3": "1.30", "1.30.8": "1.30", "1.31.0": "1.31", "1.31.4": "1.31"} {
		if got := forRelease(release).name; got != want {
			t.Errorf("forRelease(%q) is %s, want %s", release, got, want)
		}
	}
	for _, release := range []string{"", "1.29.4", "1.32.0", "1.3", "1.300.0", "2.30.0"} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, fmt.Sprintf("%q", release)) || !strings.Contains(msg, "1.30, 1.31") {
					t.Errorf("forRelease(%q) panics with %q, want a message naming the release and the minors", release, msg)
				}
			}()
			forRelease(release)
		}()
	}
}

// TestDefaultsFromChart derives the injector values from the chart's
// values.yaml at the minor's commit (testdata/istio-<minor>/chart-values.yaml)
// the way the chart's ConfigMap template picks them, and finds
// values.json: the same bytes once hub and tag are what istioctl's release
// build stamps in.
func TestDefaultsFromChart(t *testing.T) {
	eachMinor(t, func(t *testing.T, m *minor, u upstream) {
		raw, err := os.ReadFile("testdata/" + m.dir() + "/chart-values.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if got := copied.SHA256(raw); got != u.chartValuesSHA256 {
			t.Fatalf("chart-values.yaml: sha256 %s, want %s: the file is not the chart's", got, u.chartValuesSHA256)
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
		global["hub"], global["tag"] = "docker.io/istio", u.release
		got, err := json.MarshalIndent(picked, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if want := m.file(defaultValuesFile); string(got) != want {
			t.Errorf("values derived from the chart differ from values.json:\n%s", firstDiff(string(got), want))
		}
	})
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
