package injector

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/internal/copied"
	"github.com/meshrender/meshrender/render/internal/objcheck"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/yamlenc"
)

var testMeta = objects.Meta{Instance: "prod", Version: "1.30.3"}

func withMeta(v Values) Values {
	v.Meta = testMeta
	return v
}

// everything sets every field, so that the tests see every setting.
func everything(u upstream) Values {
	v := withMeta(referenceValues(u))
	v.Namespace = "mesh-system"
	v.Variant = "distroless"
	v.ProxyImage = "registry.example.com/istio/proxyv2@sha256:" + strings.Repeat("ab", 32)
	v.ProxyResources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}
	v.SeccompRuntimeDefault = true
	return v
}

var cases = map[string]func(upstream) Values{
	"reference":  func(u upstream) Values { return withMeta(referenceValues(u)) },
	"default":    func(u upstream) Values { return withMeta(defaultValues(u)) },
	"everything": everything,
}

// eachCase runs f for every case of every minor.
func eachCase(t *testing.T, f func(t *testing.T, v Values)) {
	eachMinor(t, func(t *testing.T, _ *minor, u upstream) {
		for _, name := range slices.Sorted(maps.Keys(cases)) {
			t.Run(name, func(t *testing.T) { f(t, cases[name](u)) })
		}
	})
}

func find[T objects.Object](t *testing.T, objs []objects.Object, name string) T {
	t.Helper()
	for _, o := range objs {
		if x, ok := o.(T); ok && o.GetName() == name {
			return x
		}
	}
	var zero T
	t.Fatalf("no %T %s", zero, name)
	return zero
}

// upstreamWebhooks reads a webhook configuration istioctl printed.
func upstreamWebhooks(t *testing.T, m *minor, file string) *admissionv1.MutatingWebhookConfiguration {
	t.Helper()
	var w admissionv1.MutatingWebhookConfiguration
	if err := yaml.UnmarshalStrict([]byte(testdata(t, m, file)), &w); err != nil {
		t.Fatal(err)
	}
	return &w
}

// TestWebhooksAreUpstreams compares the webhooks, whole (names, rules,
// selectors, client config, policies), with istioctl's for the reference
// and the default install.
func TestWebhooksAreUpstreams(t *testing.T) {
	eachMinor(t, testWebhooksAreUpstreams)
}

func testWebhooksAreUpstreams(t *testing.T, m *minor, u upstream) {
	for _, c := range []struct {
		name string
		v    Values
		file string
	}{
		{"reference", withMeta(referenceValues(u)), "reference-mwc.yaml"},
		{"default", withMeta(defaultValues(u)), "default-mwc.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := upstreamWebhooks(t, m, c.file)
			got := find[*admissionv1.MutatingWebhookConfiguration](t, Objects(c.v), want.Name)
			if diff := cmp.Diff(want.Webhooks, got.Webhooks); diff != "" {
				t.Errorf("webhooks differ from istioctl's (-want +got):\n%s", diff)
			}
			if got.TypeMeta != want.TypeMeta {
				t.Errorf("TypeMeta = %v, want %v", got.TypeMeta, want.TypeMeta)
			}
			// The labels istio reads (istiod patches the configuration
			// labelled with its revision; istioctl finds the revision's
			// injector by istio.io/rev and app) are upstream's.
			for _, k := range []string{"istio.io/rev", "app", "app.kubernetes.io/name"} {
				if got.Labels[k] != want.Labels[k] {
					t.Errorf("label %s = %q, want %q", k, got.Labels[k], want.Labels[k])
				}
			}
			if _, ok := got.Labels["istio.io/tag"]; ok {
				t.Error("labelled istio.io/tag; istioctl tag takes the revision's injector to be the one without it")
			}
		})
	}
}

// TestConfigMapsAreUpstreams checks the injector ConfigMap's name and
// data against istioctl's and its labels against istiod's.
func TestConfigMapsAreUpstreams(t *testing.T) {
	eachMinor(t, testConfigMapsAreUpstreams)
}

func testConfigMapsAreUpstreams(t *testing.T, m *minor, u upstream) {
	for _, c := range []struct {
		name, cm, values, rev string
		v                     Values
	}{
		{"reference", "istio-sidecar-injector-" + u.revision(), testdata(t, m, "reference-values.json"), u.revision(), withMeta(referenceValues(u))},
		// istio-<minor>/values.json is istioctl's values key for the
		// default profile (istio-<minor>/SOURCE).
		{"default", "istio-sidecar-injector", m.file(defaultValuesFile), "default", withMeta(defaultValues(u))},
	} {
		t.Run(c.name, func(t *testing.T) {
			cm := find[*corev1.ConfigMap](t, Objects(c.v), c.cm)
			if cm.Namespace != "istio-system" {
				t.Errorf("namespace %q", cm.Namespace)
			}
			if got := slices.Sorted(maps.Keys(cm.Data)); !slices.Equal(got, []string{"config", "values"}) {
				t.Errorf("data keys %q, want config and values", got)
			}
			if copied.SHA256([]byte(cm.Data["config"])) != u.configSHA256 {
				t.Error("config differs from istioctl's")
			}
			if cm.Data["values"] != c.values {
				t.Errorf("values differ from istioctl's:\n%s", firstDiff(cm.Data["values"], c.values))
			}
			if cm.Labels["istio.io/rev"] != c.rev || cm.Labels["app.kubernetes.io/name"] != "istiod" {
				t.Errorf("labels %v", cm.Labels)
			}
		})
	}
}

func TestValuesConfigMap(t *testing.T) {
	eachMinor(t, testValuesConfigMap)
}

func testValuesConfigMap(t *testing.T, _ *minor, u upstream) {
	v := everything(u)
	objs := Objects(v)
	cm := find[*corev1.ConfigMap](t, objs, "values-"+u.revision())
	if got := slices.Sorted(maps.Keys(cm.Data)); !slices.Equal(got, []string{"merged-values", "original-values"}) {
		t.Errorf("data keys %q", got)
	}
	injector := find[*corev1.ConfigMap](t, objs, "istio-sidecar-injector-"+u.revision())
	if cm.Data["merged-values"] != injector.Data["values"] {
		t.Error("merged-values are not the injector's values")
	}
	if cm.Data["original-values"] != v.overrides() {
		t.Error("original-values are not the values meshrender sets")
	}
	if cm.Annotations["kubernetes.io/description"] == "" {
		t.Error("no kubernetes.io/description")
	}
	if cm.Namespace != v.Namespace || cm.Labels["istio.io/rev"] != u.revision() {
		t.Errorf("namespace %q, labels %v", cm.Namespace, cm.Labels)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		rev, ns                             string
		configMap, values, webhook, service string
		// hooks is how many webhooks call the service: the revision's two,
		// and for the default control plane two more for the labels
		// that name no revision.
		hooks int
	}{
		{"", "istio-system", "istio-sidecar-injector", "values", "istio-sidecar-injector", "istiod", 4},
		{"1-30-3", "istio-system", "istio-sidecar-injector-1-30-3", "values-1-30-3", "istio-sidecar-injector-1-30-3", "istiod-1-30-3", 2},
		{"", "mesh", "istio-sidecar-injector", "values", "istio-sidecar-injector-mesh", "istiod", 4},
		{"canary", "mesh", "istio-sidecar-injector-canary", "values-canary", "istio-sidecar-injector-canary-mesh", "istiod-canary", 2},
	} {
		objs := Objects(Values{Meta: testMeta, Release: upstreams["1.30"].release, Namespace: c.ns, Revision: c.rev})
		find[*corev1.ConfigMap](t, objs, c.configMap)
		find[*corev1.ConfigMap](t, objs, c.values)
		w := find[*admissionv1.MutatingWebhookConfiguration](t, objs, c.webhook)
		if len(w.Webhooks) != c.hooks {
			t.Errorf("%s/%s: %d webhooks, want %d", c.ns, c.rev, len(w.Webhooks), c.hooks)
		}
		for _, h := range w.Webhooks {
			if s := h.ClientConfig.Service; s.Name != c.service || s.Namespace != c.ns {
				t.Errorf("%s/%s: webhook %s calls %s/%s, want %s/%s", c.ns, c.rev, h.Name, s.Namespace, s.Name, c.ns, c.service)
			}
		}
		if rev := istioRev(c.rev); w.Labels["istio.io/rev"] != rev {
			t.Errorf("%s/%s: istio.io/rev %q, want %q", c.ns, c.rev, w.Labels["istio.io/rev"], rev)
		}
	}
}

func istioRev(rev string) string {
	if rev == "" {
		return "default"
	}
	return rev
}

// TestEveryObject checks what the renderer relies on: TypeMeta, the
// standard labels and none of the chart's Helm and operator labels,
// namespaced objects in istiod's namespace, and objects Kubernetes
// accepts.
func TestEveryObject(t *testing.T) {
	eachCase(t, func(t *testing.T, v Values) {
		objs := Objects(v)
		if len(objs) != 3 {
			t.Errorf("%d objects, want 3", len(objs))
		}
		for _, o := range objs {
			gvk := o.GetObjectKind().GroupVersionKind()
			id := gvk.Kind + " " + o.GetName()
			if gvk.Kind == "" || gvk.Version == "" {
				t.Errorf("%s: no TypeMeta", id)
			}
			namespaced := gvk.Kind != "MutatingWebhookConfiguration"
			if ns := o.GetNamespace(); namespaced && ns != v.Namespace || !namespaced && ns != "" {
				t.Errorf("%s: namespace %q", id, ns)
			}
			for k, want := range v.Meta.Labels("istiod", nil) {
				if got := o.GetLabels()[k]; got != want {
					t.Errorf("%s: label %s = %q, want %q", id, k, got, want)
				}
			}
			for _, k := range []string{"helm.sh/chart", "release", "install.operator.istio.io/owning-resource", "operator.istio.io/component"} {
				if _, ok := o.GetLabels()[k]; ok {
					t.Errorf("%s: upstream bookkeeping label %s", id, k)
				}
			}
			if o.GetLabels()["istio.io/rev"] != istioRev(v.Revision) {
				t.Errorf("%s: istio.io/rev %q", id, o.GetLabels()["istio.io/rev"])
			}
			for _, msg := range objcheck.Check(gvk.Kind, o, namespaced) {
				t.Errorf("%s: %s", id, msg)
			}
		}
	})
}

// TestDeterministic builds each case twice and prints it as the renderer
// does: equal input, equal bytes.
func TestDeterministic(t *testing.T) {
	eachCase(t, func(t *testing.T, v Values) {
		a, b := printAll(t, Objects(v)), printAll(t, Objects(v))
		if !bytes.Equal(a, b) {
			t.Error("two builds print differently")
		}
	})
}

func printAll(t *testing.T, objs []objects.Object) []byte {
	t.Helper()
	var out []byte
	for _, o := range objs {
		var err error
		if out, err = yamlenc.AppendManifest(append(out, "---\n"...), o); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestPrintedConfigReadsBack prints the injector ConfigMap as the
// renderer does and reads it back: the config and values strings survive
// the printer byte for byte.
func TestPrintedConfigReadsBack(t *testing.T) {
	eachCase(t, func(t *testing.T, v Values) {
		cm := find[*corev1.ConfigMap](t, Objects(v), names(v).ConfigMap())
		printed, err := yamlenc.AppendManifest(nil, cm)
		if err != nil {
			t.Fatal(err)
		}
		var back corev1.ConfigMap
		if err := yaml.UnmarshalStrict(printed, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cm.Data, back.Data); diff != "" {
			t.Errorf("printed data reads back differently (-built +read):\n%s", diff)
		}
	})
}
