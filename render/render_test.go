package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/objcheck"
	"github.com/meshrender/meshrender/render/internal/objects"

	"sigs.k8s.io/yaml"
)

// renderYAML is Write into memory.
func renderYAML(m v1alpha1.Mesh, opts ...Option) ([]byte, error) {
	var buf bytes.Buffer
	err := Write(&buf, m, opts...)
	return buf.Bytes(), err
}

func mustYAML(t testing.TB, m v1alpha1.Mesh) []byte {
	t.Helper()
	out, err := renderYAML(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// seedMesh builds a mesh with every map filled, inserting keys in the
// order given, so tests can build the same mesh in different orders.
func seedMesh(keys []string) v1alpha1.Mesh {
	ann := map[string]string{}
	labels := map[string]string{}
	digests := map[string]string{}
	for _, k := range keys {
		ann["example.com/"+k] = "v-" + k
		labels["team-"+k] = k
	}
	for _, img := range v1alpha1.ImageNames {
		digests[img] = "sha256:" + strings.Repeat("ab", 32)
	}
	return v1alpha1.Mesh{
		Metadata: v1alpha1.ObjectMeta{Name: "eu1"},
		Spec: v1alpha1.MeshSpec{
			Profile:  v1alpha1.ProfileSeed,
			Zones:    []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
			Registry: v1alpha1.Registry{Hub: "registry.example.com/istio", Digests: digests, PullSecrets: []string{"pull"}},
			Ingress: v1alpha1.Ingress{
				Service:       v1alpha1.GatewayService{Annotations: ann},
				ZoneOverrides: []v1alpha1.ZoneOverride{{Zone: "eu-west-1b", Service: v1alpha1.ZoneServiceOverride{Annotations: ann}}},
			},
			ExposureClasses: []v1alpha1.ExposureClass{
				{Name: "internet", Labels: labels, Service: v1alpha1.GatewayService{Annotations: ann}},
				{Name: "intranet", Service: v1alpha1.GatewayService{ExternalTrafficPolicy: "Local"}},
			},
		},
	}
}

func TestDeterministic(t *testing.T) {
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	reversed := []string{"h", "g", "f", "e", "d", "c", "b", "a"}
	first := mustYAML(t, seedMesh(keys))
	for i := range 5 {
		if again := mustYAML(t, seedMesh(keys)); !bytes.Equal(first, again) {
			t.Fatalf("render %d differs from the first", i)
		}
	}
	if other := mustYAML(t, seedMesh(reversed)); !bytes.Equal(first, other) {
		t.Fatal("maps filled in another order render differently")
	}
}

func TestRenderDoesNotChangeItsInput(t *testing.T) {
	m := seedMesh([]string{"a"})
	before, _ := yaml.Marshal(m)
	mustYAML(t, m)
	after, _ := yaml.Marshal(m)
	if !bytes.Equal(before, after) {
		t.Errorf("Render changed its argument:\n%s", after)
	}
}

func TestDefaultIsIdempotent(t *testing.T) {
	m := seedMesh([]string{"a", "b"})
	if err := m.Default(); err != nil {
		t.Fatal(err)
	}
	once, _ := yaml.Marshal(m)
	if err := m.Default(); err != nil {
		t.Fatal(err)
	}
	twice, _ := yaml.Marshal(m)
	if !bytes.Equal(once, twice) {
		t.Errorf("Default is not idempotent:\n%s\n---\n%s", once, twice)
	}
}

func mustMeshConfig(t testing.TB, doc string) v1alpha1.MeshConfig {
	t.Helper()
	var c v1alpha1.MeshConfig
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMeshConfigBuiltInGoIsChecked: a mesh config a program builds is
// checked against Istio's MeshConfig when the mesh is rendered, as one
// read from YAML is when it is decoded, with the same paths.
func TestMeshConfigBuiltInGoIsChecked(t *testing.T) {
	_, err := Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{MeshConfig: mustMeshConfig(t, "defaultConfig: {holdApplicationUntilProxyStart: true}\naccessLogEncoding: XML")}})
	for _, want := range []string{
		"spec.meshConfig.accessLogEncoding: \"XML\" is not one of TEXT or JSON",
		"spec.meshConfig.defaultConfig.holdApplicationUntilProxyStart: unknown field",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("rendering got %v, want an error saying %q", err, want)
		}
	}
	var c v1alpha1.MeshConfig
	if err := yaml.Unmarshal([]byte("[a]"), &c); err == nil {
		t.Error("a mesh config took a list")
	}
}

func TestMinimalProfileHasNoGateway(t *testing.T) {
	objs, err := Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Profile: v1alpha1.ProfileMinimal}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.Contains(o.Name, "ingressgateway") || o.Namespace == v1alpha1.DefaultIngressNamespace {
			t.Errorf("minimal profile rendered %s %s/%s", o.Kind, o.Namespace, o.Name)
		}
	}
}

func TestImages(t *testing.T) {
	r := v1alpha1.Registry{Hub: "r.example/istio", Tag: "1.30.3", Variant: "distroless"}
	if got := r.Image("pilot"); got != "r.example/istio/pilot:1.30.3-distroless" {
		t.Errorf("Image = %q", got)
	}
	r.Digests = map[string]string{"pilot": "sha256:" + strings.Repeat("0", 64)}
	if got := r.Image("pilot"); got != "r.example/istio/pilot@sha256:"+strings.Repeat("0", 64) {
		t.Errorf("Image with digest = %q", got)
	}
}

func TestObjectsCarryStandardLabels(t *testing.T) {
	objs, err := Render(seedMesh([]string{"a"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		var u struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(o.YAML, &u); err != nil {
			t.Fatal(err)
		}
		l := u.Metadata.Labels
		if l["app.kubernetes.io/managed-by"] != "meshrender" || l["app.kubernetes.io/part-of"] != "istio" || l["app.kubernetes.io/version"] != v1alpha1.IstioVersion {
			t.Errorf("%s %s/%s lacks the standard labels: %v", o.Kind, o.Namespace, o.Name, l)
		}
	}
}

func TestClusterIPClassTakesNoLoadBalancerSettings(t *testing.T) {
	m := v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
		Zones: []string{"a", "b"},
		Ingress: v1alpha1.Ingress{
			Service:       v1alpha1.GatewayService{ExternalTrafficPolicy: "Local", LoadBalancerClass: "example.com/lb"},
			ZoneOverrides: []v1alpha1.ZoneOverride{{Zone: "a", Service: v1alpha1.ZoneServiceOverride{ExternalTrafficPolicy: "Cluster"}}},
		},
		ExposureClasses: []v1alpha1.ExposureClass{{Name: "internal", Service: v1alpha1.GatewayService{Type: "ClusterIP"}}},
	}}
	objs, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, o := range objs {
		if o.Kind != "Service" || o.Name != "istio-ingressgateway" || !strings.HasPrefix(o.Namespace, "istio-ingress-handler-internal") {
			continue
		}
		seen++
		if bytes.Contains(o.YAML, []byte("externalTrafficPolicy")) || bytes.Contains(o.YAML, []byte("loadBalancerClass")) {
			t.Errorf("%s: a ClusterIP Service with load balancer settings:\n%s", o.Namespace, o.YAML)
		}
	}
	if seen != 3 {
		t.Errorf("saw %d class Services, want the all-zone one and two zonal", seen)
	}
}

// TestRenderAndWriteAgree: Render's objects are Write's documents, in
// order, whether Write grows a buffer or streams to any writer.
func TestRenderAndWriteAgree(t *testing.T) {
	m := seedMesh([]string{"a"})
	m.Spec.Overlays = []v1alpha1.Overlay{{Target: &v1alpha1.OverlayTarget{Kind: "Service"}, Patch: "metadata: {labels: {patched: \"yes\"}}"}}
	objs, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	var joined []byte
	for _, o := range objs {
		joined = append(append(joined, separator...), o.YAML...)
	}
	if !bytes.Equal(joined, mustYAML(t, m)) {
		t.Error("Render's objects differ from what Write writes to a buffer")
	}
	var streamed strings.Builder
	if err := Write(&streamed, m); err != nil {
		t.Fatal(err)
	}
	if streamed.String() != string(joined) {
		t.Error("Render's objects differ from what Write streams")
	}
}

// exampleMeshes decodes every example under ../examples.
func exampleMeshes(t *testing.T) map[string]v1alpha1.Mesh {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "examples", "*", "mesh.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	out := map[string]v1alpha1.Mesh{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := v1alpha1.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(filepath.Dir(p))] = m
	}
	return out
}

// TestEveryRenderedKindHasARank fails when a component renders a kind the
// install order does not know, which would sort it after everything.
func TestEveryRenderedKindHasARank(t *testing.T) {
	for name, m := range exampleMeshes(t) {
		objs, err := Render(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, o := range objs {
			if _, ok := objects.Rank(o.APIVersion, o.Kind); !ok {
				t.Errorf("%s: %s %s has no install rank; add it to installOrder", name, o.APIVersion, o.Kind)
			}
		}
	}
}

// TestRenderedObjectsKeepTheirOwnRules: what meshrender renders passes the
// checks patched objects must pass, so the checks ask nothing the
// renderer itself does not do.
func TestRenderedObjectsKeepTheirOwnRules(t *testing.T) {
	for name, m := range exampleMeshes(t) {
		c, err := prepare(m, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		typed, _, err := c.build()
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range typed {
			k := b.key()
			if msgs := objcheck.Check(k.Kind, b.obj, k.Namespace != ""); len(msgs) > 0 {
				t.Errorf("%s: %s %s/%s: %v", name, k.Kind, k.Namespace, k.Name, msgs)
			}
		}
	}
}

// TestDataPlaneNamespaces: istio-cni in kube-system renders no Namespace
// (the cluster's own, which meshrender never relabels); in a namespace of
// its own that Namespace is Pod Security privileged, while the egress
// gateway's own namespace is restricted like every other.
func TestDataPlaneNamespaces(t *testing.T) {
	levels := func(m v1alpha1.Mesh) map[string]string {
		t.Helper()
		objs, err := Render(m)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, o := range objs {
			if o.Kind == "Namespace" {
				var ns struct {
					Metadata struct{ Labels map[string]string } `json:"metadata"`
				}
				if err := yaml.Unmarshal(o.YAML, &ns); err != nil {
					t.Fatal(err)
				}
				out[o.Name] = ns.Metadata.Labels["pod-security.kubernetes.io/enforce"]
			}
		}
		return out
	}
	got := levels(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{CNI: v1alpha1.CNI{Enabled: ptr(true)}}})
	if _, ok := got["kube-system"]; ok {
		t.Error("istio-cni in kube-system rendered the kube-system Namespace")
	}
	got = levels(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{CNI: v1alpha1.CNI{Enabled: ptr(true), Namespace: "istio-cni"}, Egress: v1alpha1.Egress{Enabled: ptr(true), Namespace: "istio-egress"}}})
	for ns, want := range map[string]string{"istio-cni": "privileged", "istio-egress": "restricted", "istio-system": "restricted", "istio-ingress": "restricted"} {
		if got[ns] != want {
			t.Errorf("Namespace %s enforces %q, want %q", ns, got[ns], want)
		}
	}
}

// TestOneRevisionEitherWay: a control plane named in spec.revision and the
// same one as the only entry of spec.revisions render the same objects;
// only the components differ, shared and per revision.
func TestOneRevisionEitherWay(t *testing.T) {
	single, err := Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Revision: "1-31-4", CNI: v1alpha1.CNI{Enabled: ptr(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	listed, err := Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Revisions: []v1alpha1.Revision{{Name: "1-31-4"}}, CNI: v1alpha1.CNI{Enabled: ptr(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(single) != len(listed) {
		t.Fatalf("%d objects with spec.revision, %d with spec.revisions", len(single), len(listed))
	}
	components := map[string]bool{}
	for i := range single {
		a, b := single[i], listed[i]
		if a.key() != b.key() || !bytes.Equal(a.YAML, b.YAML) {
			t.Errorf("object %d: %s %s/%s with spec.revision, %s %s/%s with spec.revisions", i, a.Kind, a.Namespace, a.Name, b.Kind, b.Namespace, b.Name)
		}
		components[b.Component] = true
	}
	if !components["control-plane"] || !components["control-plane/1-31-4"] {
		t.Errorf("components with spec.revisions: %v, want control-plane and control-plane/1-31-4", components)
	}
}

// TestReleasesDifferInImagesAndLabelsOnly: the patch releases of a minor
// render with the minor's charts (IstioMinors), so a mesh of one renders
// what the minor's newest patch renders with the release's number in
// place of the newest's: image tags, version labels and the CNI agent's
// version.
func TestReleasesDifferInImagesAndLabelsOnly(t *testing.T) {
	spec := func(version string) v1alpha1.MeshSpec {
		return v1alpha1.MeshSpec{Version: version, CNI: v1alpha1.CNI{Enabled: ptr(true)}, Egress: v1alpha1.Egress{Enabled: ptr(true)}}
	}
	for _, minor := range v1alpha1.IstioMinors {
		newestPatch := fmt.Sprintf("%s.%d", minor.Name, minor.Patches-1)
		newest, err := renderYAML(v1alpha1.Mesh{Spec: spec(newestPatch)})
		if err != nil {
			t.Fatal(err)
		}
		for p := range minor.Patches - 1 {
			release := fmt.Sprintf("%s.%d", minor.Name, p)
			out, err := renderYAML(v1alpha1.Mesh{Spec: spec(release)})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out, []byte("proxyv2:"+release)) {
				t.Errorf("%s: the gateway does not run proxyv2:%s", release, release)
			}
			if got := bytes.ReplaceAll(out, []byte(release), []byte(newestPatch)); !bytes.Equal(got, newest) {
				t.Errorf("%s renders more than another release number than %s", release, newestPatch)
			}
		}
	}
}

// TestRevisionsShareWhatTheClusterHasOnce: with two revisions, the
// cluster-wide objects are rendered once, by the shared component, and
// each revision's own are in its component, with its release.
func TestRevisionsShareWhatTheClusterHasOnce(t *testing.T) {
	objs, err := Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
		Revisions: []v1alpha1.Revision{{Name: "old", Version: "1.30.2"}, {Name: "new"}},
		Tags:      map[string]string{v1alpha1.DefaultTag: "old", "canary": "new"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	component := map[string]string{}
	for _, o := range objs {
		id := o.Kind + " " + namespacedName(o.Namespace, o.Name)
		if _, dup := component[id]; dup {
			t.Errorf("%s rendered twice", id)
		}
		component[id] = o.Component
	}
	for id, want := range map[string]string{
		"Namespace istio-system":                                                      "control-plane",
		"ServiceAccount istio-system/istio-reader-service-account":                    "control-plane",
		"PeerAuthentication istio-system/default":                                     "control-plane",
		"MutatingWebhookConfiguration istio-revision-tag-default":                     "control-plane",
		"MutatingWebhookConfiguration istio-revision-tag-canary":                      "control-plane",
		"ValidatingWebhookConfiguration istio-validator-tag-default-old-istio-system": "control-plane",
		"Service istio-system/istiod-revision-tag-canary":                             "control-plane",
		"Deployment istio-system/istiod-old":                                          "control-plane/old",
		"Deployment istio-system/istiod-new":                                          "control-plane/new",
		"ValidatingWebhookConfiguration istio-validator-old-istio-system":             "control-plane/old",
		"MutatingWebhookConfiguration istio-sidecar-injector-new":                     "control-plane/new",
		"Deployment istio-ingress/istio-ingressgateway":                               "gateways/istio-ingress",
	} {
		if got, ok := component[id]; !ok || got != want {
			t.Errorf("%s is in component %q, want %q", id, got, want)
		}
	}
	for _, o := range objs {
		if o.Kind == "Deployment" && o.Name == "istiod-old" && !bytes.Contains(o.YAML, []byte("pilot:1.30.2")) {
			t.Error("the old revision does not run pilot:1.30.2")
		}
		if o.Kind == "Deployment" && o.Name == "istio-ingressgateway" && !bytes.Contains(o.YAML, []byte("proxyv2:1.30.2")) {
			t.Error("the gateway does not follow the default tag's release")
		}
	}
}

// TestImagesIncludeWhatIsInjected: the images to mirror include the proxy
// each revision's injector injects, even where no gateway runs it.
func TestImagesIncludeWhatIsInjected(t *testing.T) {
	objs, err := Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
		Profile: v1alpha1.ProfileMinimal, Injection: v1alpha1.Injection{Enabled: ptr(true)},
		Revisions: []v1alpha1.Revision{{Name: "old", Version: "1.30.2"}, {Name: "new"}},
		Registry:  v1alpha1.Registry{Variant: "distroless"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Images(objs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		// Istio's grpc-simple injection template runs it as it is.
		"busybox:1.28",
		"docker.io/istio/pilot:1.30.2-distroless", "docker.io/istio/pilot:1.31.4-distroless",
		"docker.io/istio/proxyv2:1.30.2-distroless", "docker.io/istio/proxyv2:1.31.4-distroless",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Images = %q, want %q", got, want)
	}
}

// TestIssuersComeBeforeCertificates: the issuer and its RBAC are in the
// policies layer, the certificates in the certificates layer after it,
// each in the namespace of the gateway that reads its Secret; a namespaced
// issuer is rendered beside the certificates of each namespace, a
// ClusterIssuer's ServiceAccount in cert-manager's namespace.
func TestIssuersComeBeforeCertificates(t *testing.T) {
	spec := func(kind string) v1alpha1.MeshSpec {
		return v1alpha1.MeshSpec{Zones: []string{"a", "b"}, Certificates: v1alpha1.Certificates{
			Issuer:   v1alpha1.CertificateIssuer{Kind: kind, Vault: v1alpha1.VaultConfig{Server: "https://vault.example", Path: "pki/sign/example", Role: "istio"}},
			Gateways: []v1alpha1.GatewayCertificate{{Name: "shop", Gateway: v1alpha1.GatewaySetIngress, DNSNames: []string{"shop.example.com"}}},
		}}
	}
	for _, kind := range []string{"ClusterIssuer", "Issuer"} {
		objs, err := Render(v1alpha1.Mesh{Spec: spec(kind)})
		if err != nil {
			t.Fatal(err)
		}
		where := map[string]string{}
		for _, o := range objs {
			where[o.Kind+" "+namespacedName(o.Namespace, o.Name)] = string(o.Layer) + " " + o.Component
		}
		want := map[string]string{
			"Certificate istio-ingress/shop":    "certificates certificates/istio-ingress",
			"Certificate istio-ingress--a/shop": "certificates certificates/istio-ingress--a",
			"Certificate istio-ingress--b/shop": "certificates certificates/istio-ingress--b",
		}
		if kind == "ClusterIssuer" {
			want["ClusterIssuer vault"] = "policies policies/certificate-issuer"
			want["ServiceAccount cert-manager/vault-issuer"] = "policies policies/certificate-issuer"
			want["RoleBinding cert-manager/vault-issuer-token-creator"] = "policies policies/certificate-issuer"
		} else {
			for _, ns := range []string{"istio-ingress", "istio-ingress--a", "istio-ingress--b"} {
				want["Issuer "+ns+"/vault"] = "policies policies/" + ns
				want["ServiceAccount "+ns+"/vault-issuer"] = "policies policies/" + ns
			}
		}
		for id, w := range want {
			if where[id] != w {
				t.Errorf("%s: %s is in %q, want %q", kind, id, where[id], w)
			}
		}
	}
}

// TestCompatibilityVersionSetsTheProfile: a 1.31 istiod keeping 1.30's
// behaviour gets exactly the settings of 1.31's compatibility-version-1.30
// profile, in its env and among the injector's values, and nothing else
// of the render changes.
func TestCompatibilityVersionSetsTheProfile(t *testing.T) {
	render := func(compat string) map[string]string {
		objs, err := Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Version: "1.31.4", CompatibilityVersion: compat}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, o := range objs {
			out[o.Kind+" "+o.Namespace+"/"+o.Name] = string(o.YAML)
		}
		return out
	}
	plain, compat := render(""), render("1.30")
	var changed []string
	for id, y := range compat {
		if plain[id] != y {
			changed = append(changed, id)
		}
	}
	slices.Sort(changed)
	if want := []string{"ConfigMap istio-system/istio-sidecar-injector", "ConfigMap istio-system/values", "Deployment istio-system/istiod"}; len(compat) != len(plain) || !slices.Equal(changed, want) {
		t.Errorf("changed %q, want %q", changed, want)
	}
	env := "        - name: CA_TRUSTED_NODE_ACCOUNTS\n          value: istio-system/ztunnel\n" +
		"        - name: PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS\n          value: 'false'\n" +
		"        - name: PILOT_ENABLE_STRICT_GATEWAY_MERGING\n          value: 'false'\n" +
		"        - name: PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY\n          value: 'false'\n" +
		"        - name: PILOT_TRACE_SAMPLING\n"
	if !strings.Contains(compat["Deployment istio-system/istiod"], env) {
		t.Errorf("istiod's env lacks the profile's settings after CA_TRUSTED_NODE_ACCOUNTS:\n%s", compat["Deployment istio-system/istiod"])
	}
	values := `"env": {
          "PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS": "false",
          "PILOT_ENABLE_STRICT_GATEWAY_MERGING": "false",
          "PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY": "false"
        }`
	if !strings.Contains(compat["ConfigMap istio-system/istio-sidecar-injector"], values) {
		t.Error("the injector's values lack the profile's pilot.env")
	}
}
