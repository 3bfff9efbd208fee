package golden

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/golden/internal/upstreamfacts"
)

// upstreamReleases are the Istio releases whose istioctl output for the
// reference architecture's IstioOperator has facts in
// testdata/upstream-reference-<version>.json, extracted from that output
// by internal/upstreamfacts: its objects, istiod's env names, the
// istio-cni DaemonSet's container, the webhooks, the injector's config
// and values, the mesh config, the gateways and the CRDs' specs.
var upstreamReleases = []struct{ version, revision string }{
	{"1.30.3", "1-30-3"},
	{"1.31.4", "1-31-4"},
}

func loadUpstreamReference(t *testing.T, version string) upstreamfacts.Facts {
	t.Helper()
	return loadUpstreamFacts(t, "upstream-reference-"+version+".json")
}

// loadUpstreamFacts decodes the facts of testdata/<name>.
func loadUpstreamFacts(t *testing.T, name string) upstreamfacts.Facts {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var u upstreamfacts.Facts
	if err := json.Unmarshal(data, &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// renderReference renders examples/reference's mesh as Istio version,
// revision revision.
func renderReference(t *testing.T, version, revision string) []byte {
	t.Helper()
	m := exampleMesh(t, exampleNamed(t, "reference"))
	m.Spec.Version = version
	m.Spec.Revision = revision
	out, err := renderYAML(m)
	if err != nil {
		t.Fatalf("reference as %s: %v", version, err)
	}
	return out
}

// ingressMoved are the ingress gateway's objects, which meshrender renders
// in istio-ingress where istioctl renders them in istio-system.
var ingressMoved = []string{"istio-ingressgateway", "istio-ingressgateway-service-account", "istio-ingressgateway-sds"}

func find(objs []*unstructured.Unstructured, kind, namespace, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			return o
		}
	}
	return nil
}

// TestReferenceMatchesUpstream checks the reference profile, rendered
// as each of upstreamReleases, against istioctl's output for that release
// object by object: every upstream object is rendered (the ingress
// gateway's in istio-ingress), istiod's env is a superset of upstream's,
// the istio-cni DaemonSet runs the same container, the webhooks have
// upstream's rules and selectors, the injector has Istio's templates and
// values, the mesh config holds upstream's settings, the gateways scale,
// roll out and run as upstream's, and every CRD has upstream's spec byte
// for byte. Each difference allowed here is in the README.
func TestReferenceMatchesUpstream(t *testing.T) {
	for _, r := range upstreamReleases {
		t.Run(r.version, func(t *testing.T) {
			u := loadUpstreamReference(t, r.version)
			if u.Revision != r.revision {
				t.Fatalf("the facts of %s are of revision %s, not %s", r.version, u.Revision, r.revision)
			}
			stream := renderReference(t, r.version, r.revision)
			_, objs := decodeObjects(t, stream)
			compareReference(t, u, r.revision, objs)
			compareCRDSpecs(t, u, stream)
		})
	}
}

// TestReferenceExampleIsAnUpstreamRelease checks that examples/reference,
// as written, renders as one of upstreamReleases, so that
// TestReferenceMatchesUpstream checks what the example renders.
func TestReferenceExampleIsAnUpstreamRelease(t *testing.T) {
	example := renderExample(t, exampleNamed(t, "reference"))
	for _, r := range upstreamReleases {
		if bytes.Equal(example, renderReference(t, r.version, r.revision)) {
			return
		}
	}
	t.Error("examples/reference renders none of the releases with upstream facts in testdata")
}

// compareReference compares objs, the reference profile rendered as
// revision revision, with upstream's facts u.
func compareReference(t *testing.T, u upstreamfacts.Facts, revision string, objs []*unstructured.Unstructured) {
	for _, o := range u.Objects {
		ns := o.Namespace
		if slices.Contains(ingressMoved, o.Name) {
			ns = "istio-ingress"
		}
		if find(objs, o.Kind, ns, o.Name) == nil {
			t.Errorf("upstream's %s %s/%s is not rendered", o.Kind, ns, o.Name)
		}
	}

	compareRBACRules(t, u, objs)

	istiod := container(t, find(objs, "Deployment", "istio-system", "istiod-"+revision))
	for _, name := range u.IstiodEnv {
		if !slices.ContainsFunc(istiod["env"].([]any), func(e any) bool { return e.(map[string]any)["name"] == name }) {
			t.Errorf("istiod lacks upstream's env %s", name)
		}
	}

	cni := container(t, find(objs, "DaemonSet", "kube-system", "istio-cni-node"))
	for _, key := range []string{"command", "args", "env", "envFrom", "volumeMounts"} {
		if d := cmp.Diff(u.CNI[key], cni[key]); d != "" {
			t.Errorf("istio-cni-node's %s differs from upstream's (-upstream +rendered):\n%s", key, d)
		}
	}
	ds := find(objs, "DaemonSet", "kube-system", "istio-cni-node")
	volumes, _, _ := unstructured.NestedSlice(ds.Object, "spec", "template", "spec", "volumes")
	if d := cmp.Diff(u.CNI["volumes"], any(volumes)); d != "" {
		t.Errorf("istio-cni-node's volumes differ from upstream's (-upstream +rendered):\n%s", d)
	}
	cm := find(objs, "ConfigMap", "kube-system", "istio-cni-config")
	if d := cmp.Diff(u.CNI["config"], cm.Object["data"]); d != "" {
		t.Errorf("istio-cni-config differs from upstream's (-upstream +rendered):\n%s", d)
	}

	for kind, want := range map[string][]map[string]any{
		"MutatingWebhookConfiguration":   u.MutatingWebhooks,
		"ValidatingWebhookConfiguration": u.ValidatingWebhooks,
	} {
		var got []any
		for _, o := range objs {
			if o.GetKind() == kind {
				hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
				got = append(got, hooks...)
			}
		}
		for _, w := range want {
			i := slices.IndexFunc(got, func(g any) bool { return g.(map[string]any)["name"] == w["name"] })
			if i < 0 {
				t.Errorf("no %s webhook %s", kind, w["name"])
				continue
			}
			g := got[i].(map[string]any)
			if kind == "ValidatingWebhookConfiguration" {
				// meshrender writes the Service port, 443, which upstream
				// leaves to the API server's default.
				g = runtimeDeepCopy(g)
				if svc, ok := g["clientConfig"].(map[string]any)["service"].(map[string]any); ok && svc["port"] == float64(443) {
					delete(svc, "port")
				}
			}
			for _, key := range []string{"clientConfig", "rules", "namespaceSelector", "objectSelector", "sideEffects", "admissionReviewVersions", "reinvocationPolicy"} {
				if d := cmp.Diff(w[key], g[key]); d != "" {
					t.Errorf("%s webhook %s: %s differs from upstream's (-upstream +rendered):\n%s", kind, w["name"], key, d)
				}
			}
		}
	}

	injector := find(objs, "ConfigMap", "istio-system", "istio-sidecar-injector-"+revision)
	if injector == nil {
		t.Fatal("no injector ConfigMap")
	}
	data := injector.Object["data"].(map[string]any)
	sum := sha256.Sum256([]byte(data["config"].(string)))
	if hex.EncodeToString(sum[:]) != u.InjectorConfigSHA256 {
		t.Error("the injector's config is not upstream's, byte for byte")
	}
	var values map[string]any
	if err := json.Unmarshal([]byte(data["values"].(string)), &values); err != nil {
		t.Fatal(err)
	}
	// meshrender's hardening: injected sidecars and gateways get
	// RuntimeDefault seccomp, which Pod Security "restricted" requires.
	want := u.InjectorValues
	want["global"].(map[string]any)["proxy"].(map[string]any)["seccompProfile"] = map[string]any{"type": "RuntimeDefault"}
	want["gateways"].(map[string]any)["seccompProfile"] = map[string]any{"type": "RuntimeDefault"}
	if d := cmp.Diff(want, values); d != "" {
		t.Errorf("the injector's values differ from upstream's beyond the seccomp hardening (-upstream +rendered):\n%s", d)
	}

	meshCM := find(objs, "ConfigMap", "istio-system", "istio-"+revision)
	var mesh map[string]any
	if err := yaml.Unmarshal([]byte(meshCM.Object["data"].(map[string]any)["mesh"].(string)), &mesh); err != nil {
		t.Fatal(err)
	}
	for k, v := range u.Mesh {
		if d := cmp.Diff(v, mesh[k]); d != "" {
			t.Errorf("mesh config %s differs from upstream's (-upstream +rendered):\n%s", k, d)
		}
	}

	for name, want := range map[string]upstreamfacts.Gateway{"istio-ingressgateway": u.Ingress, "istio-egressgateway": u.Egress} {
		ns := "istio-system"
		if name == "istio-ingressgateway" {
			ns = "istio-ingress"
		}
		c := container(t, find(objs, "Deployment", ns, name))
		var env []string
		for _, e := range c["env"].([]any) {
			env = append(env, e.(map[string]any)["name"].(string))
		}
		for _, e := range want.Env {
			if !slices.Contains(env, e) {
				t.Errorf("%s lacks upstream's env %s", name, e)
			}
		}
		if d := cmp.Diff(want.Args, strings.Fields(strings.Join(anyStrings(c["args"]), " "))); d != "" {
			t.Errorf("%s args differ from upstream's:\n%s", name, d)
		}
		if d := cmp.Diff(want.Resources, c["resources"], sameQuantity); d != "" {
			t.Errorf("%s resources differ from upstream's:\n%s", name, d)
		}
		dep := find(objs, "Deployment", ns, name)
		// meshrender states the strategy type upstream leaves to the
		// API server's default.
		strategy := runtimeDeepCopy(dep.Object["spec"].(map[string]any)["strategy"].(map[string]any))
		if strategy["type"] == "RollingUpdate" {
			delete(strategy, "type")
		}
		if d := cmp.Diff(want.Strategy, strategy); d != "" {
			t.Errorf("%s strategy differs from upstream's:\n%s", name, d)
		}
		hpa := find(objs, "HorizontalPodAutoscaler", ns, name).Object["spec"].(map[string]any)
		for _, key := range []string{"minReplicas", "maxReplicas", "metrics"} {
			if d := cmp.Diff(want.HPA[key], hpa[key]); d != "" {
				t.Errorf("%s autoscaler %s differs from upstream's:\n%s", name, key, d)
			}
		}
		svc := find(objs, "Service", ns, name).Object["spec"].(map[string]any)
		ports := svc["ports"].([]any)
		for _, p := range want.ServicePorts {
			if !slices.ContainsFunc(ports, func(g any) bool { return cmp.Equal(any(p), g) }) {
				t.Errorf("%s Service lacks upstream's port %v", name, p)
			}
		}
		if svc["type"] != want.ServiceType {
			t.Errorf("%s Service is %v, upstream's %s", name, svc["type"], want.ServiceType)
		}
	}
}

// compareRBACRules checks that every upstream ClusterRole and Role is
// rendered with upstream's rules, exactly (the ingress gateway's Role in
// istio-ingress).
func compareRBACRules(t *testing.T, u upstreamfacts.Facts, objs []*unstructured.Unstructured) {
	if len(u.RBACRules) == 0 {
		t.Fatal("the facts have no RBAC rules")
	}
	for _, key := range slices.Sorted(maps.Keys(u.RBACRules)) {
		kind, ns, name := "ClusterRole", "", key
		if before, after, namespaced := strings.Cut(key, "/"); namespaced {
			kind, ns, name = "Role", before, after
			if slices.Contains(ingressMoved, name) {
				ns = "istio-ingress"
			}
		}
		o := find(objs, kind, ns, name)
		if o == nil {
			t.Errorf("upstream's %s %s is not rendered", kind, key)
			continue
		}
		if d := cmp.Diff(u.RBACRules[key], o.Object["rules"]); d != "" {
			t.Errorf("%s %s/%s: rules differ from upstream's (-upstream +rendered):\n%s", kind, ns, name, d)
		}
	}
}

// compareCRDSpecs checks that every upstream CRD is rendered with
// upstream's spec, byte for byte once printed canonically: meshrender
// changes only a CRD's labels and annotations.
func compareCRDSpecs(t *testing.T, u upstreamfacts.Facts, stream []byte) {
	if len(u.CRDSpecSHA256) == 0 {
		t.Fatal("the facts have no CRDs")
	}
	rendered, err := upstreamfacts.CRDSpecChecksums(stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(u.CRDSpecSHA256)) {
		switch got, ok := rendered[name]; {
		case !ok:
			t.Errorf("CRD %s is not rendered", name)
		case got != u.CRDSpecSHA256[name]:
			t.Errorf("CRD %s's spec is not upstream's", name)
		}
	}
}

// sameQuantity compares resource quantities by value: 2000m is 2.
var sameQuantity = cmp.FilterValues(func(a, b string) bool {
	_, errA := resource.ParseQuantity(a)
	_, errB := resource.ParseQuantity(b)
	return errA == nil && errB == nil
}, cmp.Comparer(func(a, b string) bool {
	qa, qb := resource.MustParse(a), resource.MustParse(b)
	return qa.Cmp(qb) == 0
}))

func container(t *testing.T, o *unstructured.Unstructured) map[string]any {
	t.Helper()
	if o == nil {
		t.Fatal("object not rendered")
	}
	cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
	return cs[0].(map[string]any)
}

func runtimeDeepCopy(m map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: m}).DeepCopy().Object
}

func anyStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}
