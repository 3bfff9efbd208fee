package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/golden/internal/upstreamfacts"
	"github.com/meshrender/meshrender/profiles"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// ambientReleases are the Istio releases whose istioctl output for the
// ambient profile has facts in testdata/upstream-ambient-<version>.json,
// extracted from that output by internal/upstreamfacts -profile ambient.
var ambientReleases = []string{"1.30.3", "1.31.4"}

// ambientNodeNamespace is where meshrender runs istio-cni and ztunnel for
// the ambient profile: spec.cni.namespace, which the profile leaves at its
// default.
const ambientNodeNamespace = "kube-system"

// nodeAgentsMoved says why istio-cni's and ztunnel's objects are not in
// istio-system.
const nodeAgentsMoved = "istio-cni and ztunnel need capabilities only Pod Security privileged admits; " +
	"meshrender keeps istiod's namespace restricted and runs both node agents in spec.cni.namespace"

// ambientObjectDifferences are the objects meshrender's ambient profile
// renders where istioctl's does not: upstream's objects in another
// namespace (upstreamNamespace and namespace set), and objects upstream
// does not render at all (upstreamNamespace "-"). Every other object is
// rendered as upstream names it, and no other object is rendered.
var ambientObjectDifferences = []struct {
	kind, name, upstreamNamespace, namespace, why string
}{
	{"ServiceAccount", "istio-cni", "istio-system", ambientNodeNamespace, nodeAgentsMoved},
	{"ConfigMap", "istio-cni-config", "istio-system", ambientNodeNamespace, nodeAgentsMoved},
	{"DaemonSet", "istio-cni-node", "istio-system", ambientNodeNamespace, nodeAgentsMoved},
	{"ServiceAccount", "ztunnel", "istio-system", ambientNodeNamespace, nodeAgentsMoved},
	{"DaemonSet", "ztunnel", "istio-system", ambientNodeNamespace, nodeAgentsMoved},
	{"Namespace", "istio-system", "-", "", "istioctl creates namespaces itself; a render applied from Git must hold them"},
	{"PodDisruptionBudget", "istiod", "-", "istio-system", "istiod scales 2 to 5 with minAvailable 1, so draining a node never takes the control plane away"},
	{"PeerAuthentication", "default", "-", "istio-system", "mesh-wide mTLS STRICT in every profile; upstream renders none, which Istio treats as PERMISSIVE"},
}

// ambientDifference is a difference between meshrender's ambient profile
// and istioctl's that the comparison allows: edit changes upstream's
// facts of a release into what meshrender renders on purpose, and fails
// when upstream's facts no longer show the difference, so the list stays
// true.
type ambientDifference struct {
	what, why string
	edit      func(u *upstreamfacts.Facts, version string) error
}

// ambientDifferences are every difference in the parts the facts hold
// but the objects' places: those are ambientObjectDifferences. The edits
// apply in this order. The README lists both.
var ambientDifferences = []ambientDifference{
	{
		what: "images of the default variant, not distroless: ztunnel's image, the injector's global.variant \"\", no defaultConfig.image.imageType in the mesh config",
		why: "a mesh cannot unset a profile's value (an empty string leaves it), so a profile choosing distroless would force it on every registry mirror; " +
			"the binaries are the same, and spec.registry.variant: distroless gives upstream's images and global.variant",
		edit: func(u *upstreamfacts.Facts, version string) error {
			want := "docker.io/istio/ztunnel:" + version + "-distroless"
			if u.Ambient.Ztunnel["image"] != want {
				return fmt.Errorf("ztunnel's image is %v, not %s", u.Ambient.Ztunnel["image"], want)
			}
			u.Ambient.Ztunnel["image"] = strings.TrimSuffix(want, "-distroless")
			global := u.InjectorValues["global"].(map[string]any)
			if global["variant"] != "distroless" {
				return fmt.Errorf("global.variant is %v", global["variant"])
			}
			global["variant"] = ""
			defaultConfig := u.Mesh["defaultConfig"].(map[string]any)
			if _, ok := defaultConfig["image"]; !ok {
				return fmt.Errorf("the mesh config has no defaultConfig.image")
			}
			delete(defaultConfig, "image")
			return nil
		},
	},
	{
		what: "istiod's CA_TRUSTED_NODE_ACCOUNTS names ztunnel in " + ambientNodeNamespace,
		why:  "it names ztunnel's ServiceAccount where ztunnel runs; upstream's istio-system/ztunnel would refuse its certificate requests",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			return replace(u.Ambient.IstiodEnv, "CA_TRUSTED_NODE_ACCOUNTS", "istio-system/ztunnel", ambientNodeNamespace+"/ztunnel")
		},
	},
	{
		what: "istio-cni's AppArmor profile Unconfined is securityContext.appArmorProfile, not the pod annotation",
		why:  "the API server reports the annotation as deprecated; the field is its replacement",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			sc := u.CNI["securityContext"].(map[string]any)
			if _, ok := sc["appArmorProfile"]; ok {
				return fmt.Errorf("upstream's istio-cni has an appArmorProfile")
			}
			sc["appArmorProfile"] = map[string]any{"type": "Unconfined"}
			return nil
		},
	},
	{
		what: "ztunnel has a 2Gi memory limit",
		why:  "a leaking node proxy would otherwise take its node's memory from every pod on it; no CPU limit, which would slow every ambient pod of the node",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			r := u.Ambient.Ztunnel["resources"].(map[string]any)
			if _, ok := r["limits"]; ok {
				return fmt.Errorf("upstream's ztunnel has limits")
			}
			r["limits"] = map[string]any{"memory": "2Gi"}
			return nil
		},
	},
	{
		what: "ztunnel's env writes fieldRef.apiVersion v1",
		why:  "the API server fills it in: the same object once applied",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			n := 0
			for _, e := range u.Ambient.Ztunnel["env"].([]any) {
				from, _ := e.(map[string]any)["valueFrom"].(map[string]any)
				if ref, ok := from["fieldRef"].(map[string]any); ok && ref["apiVersion"] == nil {
					ref["apiVersion"] = "v1"
					n++
				}
			}
			if n == 0 {
				return fmt.Errorf("every fieldRef of ztunnel's env has an apiVersion")
			}
			return nil
		},
	},
	{
		what: "ztunnel's pods carry meshrender's standard labels in place of Helm's (helm.sh/chart, app.kubernetes.io/managed-by, instance, version)",
		why:  "installer bookkeeping, which nothing selects on; the labels Istio reads (app, istio.io/dataplane-mode: none, sidecar.istio.io/inject) are upstream's",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			labels := u.Ambient.Ztunnel["podLabels"].(map[string]any)
			for _, k := range []string{"helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "app.kubernetes.io/version"} {
				if _, ok := labels[k]; !ok {
					return fmt.Errorf("ztunnel's pods have no label %s", k)
				}
				delete(labels, k)
			}
			return nil
		},
	},
	{
		what: "the injector's values give injected sidecars and gateways RuntimeDefault seccomp (global.proxy.seccompProfile, gateways.seccompProfile)",
		why:  "Pod Security restricted requires it, as for every profile",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			for _, m := range []map[string]any{u.InjectorValues["global"].(map[string]any)["proxy"].(map[string]any), u.InjectorValues["gateways"].(map[string]any)} {
				if !cmp.Equal(m["seccompProfile"], map[string]any{}) {
					return fmt.Errorf("upstream's seccompProfile is %v", m["seccompProfile"])
				}
				m["seccompProfile"] = map[string]any{"type": "RuntimeDefault"}
			}
			return nil
		},
	},
	{
		what: "the mesh config has no serviceScopeConfigs (upstream: services labelled istio.io/global are GLOBAL)",
		why:  "a service's scope decides only what other clusters of the mesh see; meshrender renders one cluster (README, Limits), and spec.meshConfig takes the setting",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			if _, ok := u.Mesh["serviceScopeConfigs"]; !ok {
				return fmt.Errorf("the mesh config has no serviceScopeConfigs")
			}
			delete(u.Mesh, "serviceScopeConfigs")
			return nil
		},
	},
	{
		what: "the validating webhook's Service port is written, 443",
		why:  "upstream leaves it to the API server's default, the same port",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			for _, w := range u.ValidatingWebhooks {
				svc := w["clientConfig"].(map[string]any)["service"].(map[string]any)
				if _, ok := svc["port"]; ok {
					return fmt.Errorf("webhook %v has a port", w["name"])
				}
				svc["port"] = float64(443)
			}
			return nil
		},
	},
	{
		what: "the validating webhook configuration also validates Istio resources without an istio.io/rev label (webhook validation.istio.io)",
		why:  "upstream leaves those to a webhook istioctl creates at install time, which a render applied from Git would never have",
		edit: func(u *upstreamfacts.Facts, _ string) error {
			if len(u.ValidatingWebhooks) != 1 || u.ValidatingWebhooks[0]["name"] != "rev.validation.istio.io" {
				return fmt.Errorf("upstream's validating webhooks are not rev.validation.istio.io alone")
			}
			// The same webhook (as edited above) for what has no label.
			w := runtimeDeepCopy(u.ValidatingWebhooks[0])
			w["name"] = "validation.istio.io"
			w["objectSelector"] = map[string]any{"matchExpressions": []any{map[string]any{"key": "istio.io/rev", "operator": "DoesNotExist"}}}
			u.ValidatingWebhooks = append(u.ValidatingWebhooks, w)
			return nil
		},
	},
}

// replace sets m[key] to to where it is from.
func replace(m map[string]string, key, from, to string) error {
	if m[key] != from {
		return fmt.Errorf("%s is %q, not %q", key, m[key], from)
	}
	m[key] = to
	return nil
}

// renderAmbientProfile renders profiles/ambient.yaml as Istio version,
// or as written for "".
func renderAmbientProfile(t *testing.T, version string) []byte {
	t.Helper()
	p, ok := profiles.Get("ambient")
	if !ok {
		t.Fatal("no ambient profile")
	}
	m, err := v1alpha1.Decode(p.Document)
	if err != nil {
		t.Fatal(err)
	}
	if version != "" {
		m.Spec.Version = version
	}
	out, err := renderYAML(m)
	if err != nil {
		t.Fatalf("ambient profile as %q: %v", version, err)
	}
	return out
}

// renderedFacts are the facts of a rendering, read as those of istioctl's
// output are and printed and decoded as the committed facts are, so both
// compare as the same Go values.
func renderedFacts(t *testing.T, stream []byte) upstreamfacts.Facts {
	t.Helper()
	f, err := upstreamfacts.Extract(stream, upstreamfacts.ProfileAmbient, "meshrender's ambient profile", "")
	if err != nil {
		t.Fatal(err)
	}
	data, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var out upstreamfacts.Facts
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAmbientMatchesUpstream checks the ambient profile, rendered as each
// of ambientReleases, against istioctl's ambient profile of that release
// object by object: the same objects but those of
// ambientObjectDifferences; ClusterRole and Role rules, CRD specs, the
// injector's templates and values and the webhooks exactly; istiod's env
// names a superset of upstream's, and its values upstream's; istio-cni's
// container, volumes and ambient config upstream's; ztunnel's container
// and pods upstream's, its env a superset; the mesh config holding
// upstream's settings. Each allowed difference is in ambientDifferences,
// with its reason, and in the README.
func TestAmbientMatchesUpstream(t *testing.T) {
	for _, version := range ambientReleases {
		t.Run(version, func(t *testing.T) {
			u := loadUpstreamFacts(t, "upstream-ambient-"+version+".json")
			if u.Revision != "" || u.Ambient == nil {
				t.Fatalf("the facts of %s are not of istioctl's ambient profile (revision %q)", version, u.Revision)
			}
			checkAmbient(t, u, renderedFacts(t, renderAmbientProfile(t, version)), version)
		})
	}
}

// reporter is where the comparison reports what differs: the test, or
// the recorder of a test that breaks a rendering on purpose.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// checkAmbient compares got, the facts of the ambient profile rendered as
// version, with u, upstream's facts of that release, once
// ambientDifferences have edited u.
func checkAmbient(r reporter, u, got upstreamfacts.Facts, version string) {
	r.Helper()
	got = withoutGatewayAPICRDs(r, got)
	compareAmbientObjects(r, u.Objects, got.Objects)
	for _, d := range ambientDifferences {
		if err := d.edit(&u, version); err != nil {
			r.Errorf("the difference %q is not upstream's any more: %v", d.what, err)
		}
	}
	compareAmbient(r, u, got)
}

// TestAmbientProfileIsAnUpstreamRelease checks that profiles/ambient.yaml,
// as written, renders as one of ambientReleases, so that
// TestAmbientMatchesUpstream checks what the profile renders.
func TestAmbientProfileIsAnUpstreamRelease(t *testing.T) {
	asWritten := renderAmbientProfile(t, "")
	for _, version := range ambientReleases {
		if bytes.Equal(asWritten, renderAmbientProfile(t, version)) {
			return
		}
	}
	t.Error("profiles/ambient.yaml renders none of the releases with upstream ambient facts in testdata")
}

// gatewayAPIGroup is the Gateway API's group: meshrender renders its
// CRDs with ambient, which istioctl leaves to the user.
const gatewayAPIGroup = ".gateway.networking.k8s.io"

// withoutGatewayAPICRDs are the rendered facts without the Gateway API's
// CRDs, which istioctl does not render: waypoints need them, and
// meshrender renders the standard channel of the release Istio requires
// (crds_test checks them against that release). It reports their absence,
// so that the allowance cannot outlive them.
func withoutGatewayAPICRDs(r reporter, got upstreamfacts.Facts) upstreamfacts.Facts {
	r.Helper()
	objs := slices.DeleteFunc(slices.Clone(got.Objects), func(o upstreamfacts.Object) bool {
		return o.Kind == "CustomResourceDefinition" && strings.HasSuffix(o.Name, gatewayAPIGroup)
	})
	if len(objs) == len(got.Objects) {
		r.Errorf("the ambient profile renders no Gateway API CRDs")
	}
	got.Objects = objs
	sums := map[string]string{}
	for name, sum := range got.CRDSpecSHA256 {
		if !strings.HasSuffix(name, gatewayAPIGroup) {
			sums[name] = sum
		}
	}
	got.CRDSpecSHA256 = sums
	return got
}

// compareAmbientObjects checks that the rendered objects are upstream's,
// in the namespaces of ambientObjectDifferences, and the objects it adds.
func compareAmbientObjects(t reporter, upstream, rendered []upstreamfacts.Object) {
	want := map[upstreamfacts.Object]bool{}
	for _, o := range upstream {
		want[o] = true
	}
	for _, d := range ambientObjectDifferences {
		if d.upstreamNamespace != "-" {
			from := upstreamfacts.Object{Kind: d.kind, Namespace: d.upstreamNamespace, Name: d.name}
			if !want[from] {
				t.Errorf("upstream renders no %s %s/%s, which ambientObjectDifferences moves", d.kind, d.upstreamNamespace, d.name)
			}
			delete(want, from)
		}
		want[upstreamfacts.Object{Kind: d.kind, Namespace: d.namespace, Name: d.name}] = true
	}
	got := map[upstreamfacts.Object]bool{}
	for _, o := range rendered {
		got[o] = true
	}
	key := func(o upstreamfacts.Object) string { return o.Kind + " " + o.Namespace + "/" + o.Name }
	for _, o := range slices.SortedFunc(maps.Keys(want), func(a, b upstreamfacts.Object) int { return strings.Compare(key(a), key(b)) }) {
		if !got[o] {
			t.Errorf("%s is not rendered", key(o))
		}
	}
	for _, o := range rendered {
		if !want[o] {
			t.Errorf("%s is rendered, which is neither upstream's nor in ambientObjectDifferences", key(o))
		}
	}
}

// compareAmbient compares the facts of the rendering with upstream's, u,
// edited by ambientDifferences.
func compareAmbient(t reporter, u, got upstreamfacts.Facts) {
	for _, c := range []struct {
		what      string
		want, got any
	}{
		{"ClusterRole and Role rules", u.RBACRules, got.RBACRules},
		{"CRD spec checksums", u.CRDSpecSHA256, got.CRDSpecSHA256},
		{"the injector's config checksum", u.InjectorConfigSHA256, got.InjectorConfigSHA256},
		{"the injector's values", u.InjectorValues, got.InjectorValues},
		{"the mutating webhooks", u.MutatingWebhooks, got.MutatingWebhooks},
		{"the validating webhooks", u.ValidatingWebhooks, got.ValidatingWebhooks},
	} {
		if d := cmp.Diff(c.want, c.got); d != "" {
			t.Errorf("%s differ from upstream's (-upstream +rendered):\n%s", c.what, d)
		}
	}

	for _, name := range u.IstiodEnv {
		if !slices.Contains(got.IstiodEnv, name) {
			t.Errorf("istiod lacks upstream's env %s", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(u.Ambient.IstiodEnv)) {
		if v, ok := got.Ambient.IstiodEnv[name]; !ok || v != u.Ambient.IstiodEnv[name] {
			t.Errorf("istiod's env %s is %q, upstream's %q", name, v, u.Ambient.IstiodEnv[name])
		}
	}

	compareKeys(t, "istio-cni-node", u.CNI, got.CNI)

	want, z := u.Ambient.Ztunnel, got.Ambient.Ztunnel
	for _, key := range []string{"env", "podLabels", "podAnnotations"} {
		compareSuperset(t, "ztunnel's "+key, want[key], z[key])
	}
	rest := func(m map[string]any) map[string]any {
		m = maps.Clone(m)
		delete(m, "env")
		delete(m, "podLabels")
		delete(m, "podAnnotations")
		return m
	}
	compareKeys(t, "ztunnel", rest(want), rest(z))

	for _, key := range slices.Sorted(maps.Keys(u.Mesh)) {
		if d := cmp.Diff(u.Mesh[key], got.Mesh[key]); d != "" {
			t.Errorf("mesh config %s differs from upstream's (-upstream +rendered):\n%s", key, d)
		}
	}
}

// compareKeys checks that got has every key of want, with want's value.
func compareKeys(t reporter, what string, want, got map[string]any) {
	t.Helper()
	for _, key := range slices.Sorted(maps.Keys(want)) {
		if d := cmp.Diff(want[key], got[key]); d != "" {
			t.Errorf("%s's %s differs from upstream's (-upstream +rendered):\n%s", what, key, d)
		}
	}
}

// compareSuperset checks that got holds every entry of want: an env
// list's variables by name, a map's keys, each with want's value.
func compareSuperset(t reporter, what string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if d := cmp.Diff(w[k], g[k]); d != "" {
				t.Errorf("%s: %s differs from upstream's (-upstream +rendered):\n%s", what, k, d)
			}
		}
	case []any:
		g, _ := got.([]any)
		for _, e := range w {
			name := e.(map[string]any)["name"]
			i := slices.IndexFunc(g, func(x any) bool { return x.(map[string]any)["name"] == name })
			if i < 0 {
				t.Errorf("%s lacks upstream's %v", what, name)
				continue
			}
			if d := cmp.Diff(e, g[i]); d != "" {
				t.Errorf("%s: %v differs from upstream's (-upstream +rendered):\n%s", what, name, d)
			}
		}
	default:
		t.Errorf("%s: upstream's is %T, neither a map nor a list", what, want)
	}
}

// TestAmbientComparisonCatchesBrokenRenders breaks the ambient profile's
// rendering on purpose, one object at a time, and checks that the
// comparison fails and says what is broken: a comparison that cannot fail
// would prove nothing. The rendering goes through decoding and printing
// again, unbroken first, which must still compare clean.
func TestAmbientComparisonCatchesBrokenRenders(t *testing.T) {
	const version = "1.31.4"
	type objects = []*unstructured.Unstructured
	withoutEnv := func(kind, namespace, name, env string) func(objects) objects {
		return func(objs objects) objects {
			c := liveContainer(t, find(objs, kind, namespace, name))
			c["env"] = slices.DeleteFunc(c["env"].([]any), func(e any) bool { return e.(map[string]any)["name"] == env })
			return objs
		}
	}
	for _, tt := range []struct {
		name, want string
		// breakIt changes the objects in place or returns others.
		breakIt func(objs objects) objects
	}{
		{"nothing broken", "", func(objs objects) objects { return objs }},
		{"ztunnel without in-pod redirection", "ztunnel's env lacks upstream's INPOD_ENABLED", withoutEnv("DaemonSet", ambientNodeNamespace, "ztunnel", "INPOD_ENABLED")},
		{"ztunnel without SYS_ADMIN", "ztunnel's securityContext differs", func(objs objects) objects {
			c := liveContainer(t, find(objs, "DaemonSet", ambientNodeNamespace, "ztunnel"))
			caps := c["securityContext"].(map[string]any)["capabilities"].(map[string]any)
			caps["add"] = slices.DeleteFunc(caps["add"].([]any), func(c any) bool { return c == "SYS_ADMIN" })
			return objs
		}},
		{"ztunnel without its socket directory", "ztunnel's volumeMounts differs", func(objs objects) objects {
			c := liveContainer(t, find(objs, "DaemonSet", ambientNodeNamespace, "ztunnel"))
			c["volumeMounts"] = slices.DeleteFunc(c["volumeMounts"].([]any), func(m any) bool { return m.(map[string]any)["name"] == "cni-ztunnel-sock-dir" })
			return objs
		}},
		{"istiod without ambient", "istiod lacks upstream's env PILOT_ENABLE_AMBIENT", withoutEnv("Deployment", "istio-system", "istiod", "PILOT_ENABLE_AMBIENT")},
		{"istio-cni not in ambient mode", "istio-cni-node's config differs", func(objs objects) objects {
			find(objs, "ConfigMap", ambientNodeNamespace, "istio-cni-config").Object["data"].(map[string]any)["AMBIENT_ENABLED"] = "false"
			return objs
		}},
		{"an object upstream does not render", "ConfigMap kube-system/istio-cni-config-copy is rendered", func(objs objects) objects {
			cm := find(objs, "ConfigMap", ambientNodeNamespace, "istio-cni-config").DeepCopy()
			cm.SetName("istio-cni-config-copy")
			return append(objs, cm)
		}},
		{"an upstream object not rendered", "ServiceAccount kube-system/ztunnel is not rendered", func(objs objects) objects {
			return slices.DeleteFunc(objs, func(o *unstructured.Unstructured) bool {
				return o.GetKind() == "ServiceAccount" && o.GetName() == "ztunnel"
			})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, objs := decodeObjects(t, renderAmbientProfile(t, version))
			var stream bytes.Buffer
			for _, o := range tt.breakIt(objs) {
				doc, err := yaml.Marshal(o.Object)
				if err != nil {
					t.Fatal(err)
				}
				stream.WriteString("---\n")
				stream.Write(doc)
			}
			var r recorder
			checkAmbient(&r, loadUpstreamFacts(t, "upstream-ambient-"+version+".json"), renderedFacts(t, stream.Bytes()), version)
			switch {
			case tt.want == "" && len(r.errs) > 0:
				t.Errorf("the rendering, printed again, differs from upstream's:\n%s", strings.Join(r.errs, "\n"))
			case tt.want != "" && !slices.ContainsFunc(r.errs, func(e string) bool { return strings.Contains(e, tt.want) }):
				t.Errorf("the comparison reported %q, want a failure saying %q", r.errs, tt.want)
			}
		})
	}
}

// liveContainer is the first container of a workload's pods, itself
// rather than a copy, for a test to change.
func liveContainer(t *testing.T, o *unstructured.Unstructured) map[string]any {
	t.Helper()
	if o == nil {
		t.Fatal("object not rendered")
	}
	spec, _ := o.Object["spec"].(map[string]any)
	template, _ := spec["template"].(map[string]any)
	podSpec, _ := template["spec"].(map[string]any)
	cs, _ := podSpec["containers"].([]any)
	if len(cs) == 0 {
		t.Fatalf("%s %s has no container", o.GetKind(), o.GetName())
	}
	return cs[0].(map[string]any)
}

// recorder keeps what a comparison reports.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
