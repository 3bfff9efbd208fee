package injector

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// referenceValues is what istioctl's reference install sets: revision
// 1-30-3 (for 1.30; the release's, dashed, for each minor), CNI on, a
// private hub and a pull secret.
func referenceValues(u upstream) Values {
	return Values{
		Release: u.release, Namespace: "istio-system", Revision: u.revision(),
		Hub: "registry.example.com/istio", Tag: u.release,
		PullSecrets: []string{"registry-credentials"}, CNI: true,
	}
}

// defaultValues is istioctl's default profile.
func defaultValues(u upstream) Values {
	return Values{Release: u.release, Namespace: "istio-system", Hub: "docker.io/istio", Tag: u.release}
}

// revision is the reference install's revision: the release, dashed.
func (u upstream) revision() string { return strings.ReplaceAll(u.release, ".", "-") }

// testdata reads a file of testdata/istio-<minor>/.
func testdata(t *testing.T, m *minor, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + m.dir() + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestValuesAreUpstreams requires the values key to be istioctl's, byte
// for byte, for the reference install; TestEmptyKeepsDefaults does the
// same for the default one.
func TestValuesAreUpstreams(t *testing.T) {
	eachMinor(t, func(t *testing.T, m *minor, u upstream) {
		if got, want := referenceValues(u).injectorValues(), testdata(t, m, "reference-values.json"); got != want {
			t.Errorf("values differ from istioctl's:\n%s", firstDiff(got, want))
		}
	})
}

// TestDefaultsPrintAsThemselves checks the printing: the embedded
// defaults, read and printed back, are the same bytes.
func TestDefaultsPrintAsThemselves(t *testing.T) {
	eachMinor(t, func(t *testing.T, m *minor, _ upstream) {
		if got, want := prettyJSON(decode([]byte(m.file(defaultValuesFile)))), m.file(defaultValuesFile); got != want {
			t.Errorf("defaults print differently:\n%s", firstDiff(got, want))
		}
	})
}

// at reads the value at a path of a values document.
func at(t *testing.T, doc string, path ...string) any {
	t.Helper()
	var x any
	if err := json.Unmarshal([]byte(doc), &x); err != nil {
		t.Fatal(err)
	}
	for _, k := range path {
		m, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("%v: not an object", path)
		}
		x = m[k]
	}
	return x
}

func TestOptionalSettings(t *testing.T) {
	eachMinor(t, testOptionalSettings)
}

func testOptionalSettings(t *testing.T, _ *minor, u upstream) {
	v := referenceValues(u)
	v.ProxyImage = "registry.example.com/istio/proxyv2@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	v.Variant = "distroless"
	v.ProxyResources = &corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
	}
	v.SeccompRuntimeDefault = true
	doc := v.injectorValues()
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"global", "proxy", "image"}, v.ProxyImage},
		{[]string{"global", "proxy_init", "image"}, v.ProxyImage},
		{[]string{"global", "variant"}, "distroless"},
		// Replaced whole: the default limits are gone.
		{[]string{"global", "proxy", "resources"}, map[string]any{"requests": map[string]any{"cpu": "50m", "memory": "64Mi"}}},
		{[]string{"global", "proxy", "seccompProfile"}, map[string]any{"type": "RuntimeDefault"}},
		{[]string{"gateways", "seccompProfile"}, map[string]any{"type": "RuntimeDefault"}},
		// Untouched neighbours.
		{[]string{"global", "proxy", "statusPort"}, float64(15020)},
		{[]string{"gateways", "securityContext"}, map[string]any{}},
		{[]string{"global", "hub"}, "registry.example.com/istio"},
	} {
		if diff := cmp.Diff(c.want, at(t, doc, c.path...)); diff != "" {
			t.Errorf("%v (-want +got):\n%s", c.path, diff)
		}
	}
}

// TestEmptyKeepsDefaults: an install that sets nothing but its release
// and namespace, and istioctl's default profile, which sets hub and tag
// to what they already are, get the chart's defaults byte for byte. Those
// are istio-<minor>/values.json, istioctl's own values key for the
// default profile (istio-<minor>/SOURCE).
func TestEmptyKeepsDefaults(t *testing.T) {
	eachMinor(t, func(t *testing.T, m *minor, u upstream) {
		for _, c := range []struct {
			name string
			v    Values
		}{
			{"an install that sets nothing but its release and namespace", Values{Release: u.release, Namespace: "istio-system"}},
			{"the default profile", defaultValues(u)},
		} {
			if got, want := c.v.injectorValues(), m.file(defaultValuesFile); got != want {
				t.Errorf("%s differs from the chart's defaults:\n%s", c.name, firstDiff(got, want))
			}
		}
		v := referenceValues(u)
		v.ProxyResources = &corev1.ResourceRequirements{}
		if got := at(t, v.injectorValues(), "global", "proxy", "resources"); !cmp.Equal(got, map[string]any{}) {
			t.Errorf("empty ProxyResources: resources = %v, want {}", got)
		}
	})
}

// TestOverridesAreTheDifference checks original-values against
// merged-values: every value meshrender sets is in the merged values, and
// the merged values differ from the chart's defaults only there.
func TestOverridesAreTheDifference(t *testing.T) {
	eachMinor(t, testOverridesAreTheDifference)
}

func testOverridesAreTheDifference(t *testing.T, m *minor, u upstream) {
	v := referenceValues(u)
	v.SeccompRuntimeDefault = true
	v.ProxyImage = "registry.example.com/istio/proxyv2@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	v.ProxyResources = &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
	overrides := leaves(t, v.overrides())
	merged := leaves(t, v.injectorValues())
	defaults := leaves(t, m.file(defaultValuesFile))
	for path, x := range overrides {
		if !cmp.Equal(merged[path], x) {
			t.Errorf("%s: original-values has %v, merged-values %v", path, x, merged[path])
		}
	}
	for path, x := range merged {
		if d, ok := defaults[path]; ok && cmp.Equal(d, x) {
			continue
		}
		if _, ok := overrides[path]; !ok {
			t.Errorf("%s: merged-values has %v, the default is %v, and original-values does not set it", path, x, defaults[path])
		}
	}
	if got := at(t, v.overrides(), "pilot", "cni", "enabled"); got != true {
		t.Errorf("original-values pilot.cni.enabled = %v", got)
	}
}

// leaves flattens a values document into its leaves by dotted path;
// empty objects and lists are leaves.
func leaves(t *testing.T, doc string) map[string]any {
	t.Helper()
	var x any
	if err := json.Unmarshal([]byte(doc), &x); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		if m, ok := x.(map[string]any); ok && len(m) > 0 {
			for k, y := range m {
				walk(prefix+"."+k, y)
			}
			return
		}
		out[prefix[1:]] = x
	}
	walk("", x)
	return out
}

// readByIstiod are the settings istiod reads itself, not its templates:
// it builds the proxy image reference from them (ProxyImage in
// pkg/kube/inject/inject.go).
var readByIstiod = []string{"global.hub", "global.tag", "global.variant"}

// TestTemplatesReadTheSettings keeps every setting meaningful: in every
// minor, some template reads each path meshrender sets, or istiod does.
func TestTemplatesReadTheSettings(t *testing.T) {
	eachMinor(t, func(t *testing.T, m *minor, u upstream) {
		var all strings.Builder
		for _, tp := range m.templates {
			all.WriteString(m.file(tp.file))
		}
		for _, s := range everything(u).settings() {
			if slices.Contains(readByIstiod, s.path) {
				continue
			}
			if !strings.Contains(all.String(), ".Values."+s.path) {
				t.Errorf("no template reads .Values.%s", s.path)
			}
		}
	})
}
