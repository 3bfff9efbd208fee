//go:build e2e

package golden

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	meshconfig "istio.io/api/mesh/v1alpha1"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/istioproc"
	"github.com/meshrender/meshrender/plugin/gitops"
)

// renderedMesh is a rendered YAML stream with its objects at hand.
type renderedMesh struct {
	docs [][]byte
	objs []*unstructured.Unstructured
}

func parseRendered(t *testing.T, stream []byte) *renderedMesh {
	t.Helper()
	r := &renderedMesh{}
	r.docs, r.objs = decodeObjects(t, stream)
	return r
}

// all returns the rendered objects of a kind.
func (r *renderedMesh) all(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range r.objs {
		if u.GetKind() == kind {
			out = append(out, u)
		}
	}
	return out
}

func (r *renderedMesh) deployments(app string) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, u := range r.all("Deployment") {
		if u.GetLabels()["app"] != app {
			continue
		}
		d := &appsv1.Deployment{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, d); err != nil {
			panic(err)
		}
		out = append(out, d)
	}
	return out
}

// gateways are the rendered gateway Deployments, in install order.
func (r *renderedMesh) gateways() []*appsv1.Deployment {
	return append(r.deployments("istio-ingressgateway"), r.deployments("istio-egressgateway")...)
}

// runningMesh is a rendered mesh applied to its own API server, with its
// istiods running.
type runningMesh struct {
	rendered *renderedMesh
	server   *apiserver.Server
	client   *apiserver.Client
	// istiod is the first rendered control plane, the only one of a mesh
	// without spec.revisions; istiods are all of them, by revision label.
	istiod  *istioproc.Istiod
	istiods map[string]*istioproc.Istiod
	// releases are the Istio release of each revision's istiod, which
	// runs the binaries of its minor.
	releases map[string]string
	dir      string
}

// startMesh applies a rendered stream to a new API server and starts
// every rendered istiod, each on a loopback address of its own and with
// the binaries of its own release's minor, so the revisions of a canary
// upgrade across minors each run their own Istio.
func startMesh(ctx context.Context, t *testing.T, stream []byte) *runningMesh {
	t.Helper()
	server, client := newServer(t)
	return startMeshOn(ctx, t, server, client, stream, nil)
}

// startMeshOn is startMesh on a given API server, with more objects
// applied beside the rendered ones before istiod starts, such as the
// Secrets a secret store would provide.
func startMeshOn(ctx context.Context, t *testing.T, server *apiserver.Server, client *apiserver.Client, stream []byte, more [][]byte) *runningMesh {
	t.Helper()
	m := &runningMesh{rendered: parseRendered(t, stream), server: server, client: client, dir: t.TempDir(),
		istiods: map[string]*istioproc.Istiod{}, releases: map[string]string{}}
	installPrerequisitesFor(t, client, m.rendered.objs)
	if _, err := client.Apply(ctx, append(slices.Clone(m.rendered.docs), more...)); err != nil {
		t.Fatalf("applying the rendered mesh: %v", err)
	}
	client.Warnings()
	deployments := m.rendered.deployments("istiod")
	if len(deployments) == 0 {
		t.Fatal("no istiod Deployment rendered")
	}
	for _, d := range deployments {
		istiod := m.startIstiod(ctx, t, d)
		if m.istiod == nil {
			// The others start once the first has made the mesh's CA, as a
			// new revision starts beside a running one.
			m.istiod = istiod
			if _, err := m.caRoot(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	started := time.Now()
	for _, istiod := range m.istiods {
		if err := istiod.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d istiod ready after %v", len(m.istiods), time.Since(started).Round(10*time.Millisecond))
	return m
}

// startIstiod starts the real istiod of the rendered Deployment d, of its
// release's minor, on a loopback address of its own, stopped when the
// test ends; the first one started is m.istiod.
func (m *runningMesh) startIstiod(ctx context.Context, t *testing.T, d *appsv1.Deployment) *istioproc.Istiod {
	t.Helper()
	release := podRelease(d.Spec.Template, "discovery")
	if release == "" {
		t.Fatalf("the rendered Deployment %s/%s names no Istio release: no %s label and no release as its image's tag", d.Namespace, d.Name, versionLabel)
	}
	bins := istioBinaries(t, release)
	ip, err := istioproc.NewLoopbackIP()
	if err != nil {
		t.Fatal(err)
	}
	istiod, err := istioproc.StartIstiod(ctx, istioproc.IstiodOptions{
		Binary: bins.discovery, Dir: filepath.Join(m.dir, d.Name), Deployment: d,
		Server: m.server.Config, Kube: m.client.Kube, IP: ip,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		istiod.Stop()
		if t.Failed() {
			t.Logf("%s's log:\n%s", d.Name, lastLines(istiod.Logs(), 60))
		}
	})
	m.istiods[d.Labels["istio.io/rev"]] = istiod
	m.releases[d.Labels["istio.io/rev"]] = release
	t.Logf("%s runs Istio %s with %s", d.Name, release, bins.discovery)
	return istiod
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkControlPlane checks what istiod does to the cluster: its CA root in
// every namespace, the rendered webhook patched and failing closed, the
// rendered mesh config in effect.
func (m *runningMesh) checkControlPlane(ctx context.Context, t *testing.T) {
	t.Helper()
	root, err := m.caRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range m.rendered.all("Namespace") {
		err := m.istiod.WaitFor(ctx, "istio-ca-root-cert in "+ns.GetName(), func() error {
			cm, err := m.client.Kube.CoreV1().ConfigMaps(ns.GetName()).Get(ctx, "istio-ca-root-cert", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if cm.Data["root-cert.pem"] != string(root) {
				return errors.New("it holds another root")
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	for _, vwc := range m.rendered.all("ValidatingWebhookConfiguration") {
		if err := m.istiod.WaitFor(ctx, "istiod patching "+vwc.GetName(), func() error {
			return webhookPatched(ctx, m.client, vwc.GetName(), root)
		}); err != nil {
			t.Error(err)
		}
	}
	if err := m.istiod.WaitFor(ctx, "istiod patching the injection webhooks", func() error {
		return m.injectorPatched(ctx, root)
	}); err != nil {
		t.Error(err)
	}
	if err := m.checkMeshConfig(ctx); err != nil {
		t.Error(err)
	}
}

// caRoot is istiod's root: a plugged-in CA's, or the self-signed one
// from the secret istiod keeps it in.
func (m *runningMesh) caRoot(ctx context.Context) ([]byte, error) {
	var root []byte
	err := m.istiod.WaitFor(ctx, "istiod's CA secret", func() error {
		// A plugged-in CA's root is in cacerts, which istiod never
		// replaces; without it istiod makes istio-ca-secret.
		if s, err := m.client.Kube.CoreV1().Secrets(m.istiod.Namespace).Get(ctx, "cacerts", metav1.GetOptions{}); err == nil {
			root = s.Data["root-cert.pem"]
			if len(root) == 0 {
				return errors.New("cacerts has no root-cert.pem")
			}
			return nil
		}
		s, err := m.client.Kube.CoreV1().Secrets(m.istiod.Namespace).Get(ctx, "istio-ca-secret", metav1.GetOptions{})
		if err != nil {
			return err
		}
		root = s.Data["ca-cert.pem"]
		if len(root) == 0 {
			return errors.New("no ca-cert.pem")
		}
		return nil
	})
	return root, err
}

// webhookPatched checks that istiod has put its root into every webhook
// of the configuration and switched it to fail closed.
func webhookPatched(ctx context.Context, c *apiserver.Client, name string, root []byte) error {
	vwc, err := c.Kube.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, w := range vwc.Webhooks {
		if !bytes.Equal(w.ClientConfig.CABundle, root) {
			return fmt.Errorf("webhook %s has no caBundle of istiod's root", w.Name)
		}
		if w.FailurePolicy == nil || *w.FailurePolicy != admissionregistrationv1.Fail {
			return fmt.Errorf("webhook %s does not fail closed", w.Name)
		}
	}
	return nil
}

// checkMeshConfig compares the mesh config every istiod runs with with
// the rendered ConfigMap: every field the ConfigMap sets must be in
// effect.
func (m *runningMesh) checkMeshConfig(ctx context.Context) error {
	for rev, istiod := range m.istiods {
		if err := m.checkMeshConfigOf(ctx, rev, istiod); err != nil {
			return fmt.Errorf("istiod of revision %s: %w", rev, err)
		}
	}
	return nil
}

// checkMeshConfigOf compares the mesh config one istiod runs with with
// the rendered ConfigMap of its revision.
func (m *runningMesh) checkMeshConfigOf(ctx context.Context, rev string, istiod *istioproc.Istiod) error {
	var doc string
	for _, cm := range m.rendered.all("ConfigMap") {
		if mesh, ok := cm.Object["data"].(map[string]any)["mesh"].(string); ok && cm.GetNamespace() == istiod.Namespace && cm.GetLabels()["istio.io/rev"] == rev {
			doc = mesh
		}
	}
	if doc == "" {
		return errors.New("no mesh ConfigMap of its revision rendered in its namespace")
	}
	raw, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return err
	}
	want := &meshconfig.MeshConfig{}
	if err := protojson.Unmarshal(raw, want); err != nil {
		return fmt.Errorf("the rendered mesh config: %w", err)
	}
	body, err := istiod.Get(ctx, "/debug/mesh")
	if err != nil {
		return err
	}
	got := &meshconfig.MeshConfig{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, got); err != nil {
		return fmt.Errorf("istiod's mesh config: %w", err)
	}
	// Compare in protobuf's own JSON form, zero values included, so a
	// field set to its zero value (outboundTrafficPolicy: REGISTRY_ONLY)
	// is checked too; but only the fields the ConfigMap sets.
	var set map[string]any
	if err := json.Unmarshal(raw, &set); err != nil {
		return err
	}
	return contains(canonical(got), only(canonical(want), set), "mesh")
}

// canonical is a message as protobuf JSON with every field.
func canonical(m proto.Message) map[string]any {
	data, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

// only keeps of full the fields that set has.
func only(full, set map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range set {
		fv, ok := full[k]
		if !ok {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			if fsub, ok := fv.(map[string]any); ok {
				out[k] = only(fsub, sub)
				continue
			}
		}
		out[k] = fv
	}
	return out
}

// contains checks that every field of want is in got with the same value.
func contains(got, want any, path string) error {
	if w, ok := want.(map[string]any); ok {
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: istiod has %v, the rendered mesh config %v", path, got, want)
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if err := contains(g[k], w[k], path+"."+k); err != nil {
				return err
			}
		}
		return nil
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		return fmt.Errorf("%s: istiod has %s, the rendered mesh config %s", path, gj, wj)
	}
	return nil
}

// sampleConfig is an application's Istio config: a Gateway on the
// rendered gateway, a VirtualService and a DestinationRule.
func sampleConfig(namespace string, selector map[string]string, labels map[string]string) [][]byte {
	meta := func(name string) map[string]any {
		m := map[string]any{"name": name, "namespace": namespace}
		if len(labels) > 0 {
			m["labels"] = labels
		}
		return m
	}
	objs := []map[string]any{
		{"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": meta("shop"),
			"spec": map[string]any{"selector": selector, "servers": []any{map[string]any{"port": map[string]any{"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": []any{"shop.example.com"}}}}},
		{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta("shop"),
			"spec": map[string]any{"hosts": []any{"shop.example.com"}, "gateways": []any{"shop"}, "exportTo": []any{"*"},
				"http": []any{map[string]any{"route": []any{map[string]any{"destination": map[string]any{"host": "web.shop.svc.cluster.local", "port": map[string]any{"number": 80}}}}}}}},
		{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta("web"),
			"spec": map[string]any{"host": "web.shop.svc.cluster.local", "exportTo": []any{"*"}, "trafficPolicy": map[string]any{"tls": map[string]any{"mode": "ISTIO_MUTUAL"}}}},
	}
	var docs [][]byte
	for _, o := range objs {
		data, _ := json.Marshal(o)
		docs = append(docs, data)
	}
	return docs
}

// brokenGateway is a Gateway istiod's validation refuses: it has no
// servers.
func brokenGateway(namespace string, labels map[string]string) map[string]any {
	meta := map[string]any{"name": "broken", "namespace": namespace}
	if len(labels) > 0 {
		meta["labels"] = labels
	}
	return map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": meta, "spec": map[string]any{"selector": map[string]any{"istio": "ingressgateway"}}}
}

// revisionLabels are the labels that put config under the mesh's control
// plane: none for the default revision, istio.io/rev for another.
func (m *runningMesh) revisionLabels() map[string]string {
	for _, vwc := range m.rendered.all("ValidatingWebhookConfiguration") {
		if rev := vwc.GetLabels()["istio.io/rev"]; rev != "" && rev != "default" {
			return map[string]string{"istio.io/rev": rev}
		}
	}
	return nil
}

// checkIstioConfig applies an application's Istio config and a broken
// Gateway: istiod lists the first among what it serves, and its webhook
// rejects the second, both when the API server calls it and when it is
// called directly over TLS, trusting the caBundle istiod patched in.
func (m *runningMesh) checkIstioConfig(ctx context.Context, t *testing.T) {
	t.Helper()
	ns := m.istiod.Namespace
	selector := map[string]string{"istio": "ingressgateway"}
	if gws := m.rendered.gateways(); len(gws) > 0 {
		ns, selector = gws[0].Namespace, gws[0].Spec.Selector.MatchLabels
	}
	labels := m.revisionLabels()
	if _, err := m.client.Apply(ctx, sampleConfig(ns, selector, labels)); err != nil {
		t.Fatalf("applying an application's Istio config: %v", err)
	}
	if err := m.istiod.WaitFor(ctx, "istiod serving the application's config", func() error {
		body, err := m.istiod.Get(ctx, "/debug/configz")
		if err != nil {
			return err
		}
		var configs []struct {
			Kind     string
			Metadata struct{ Name, Namespace string }
		}
		if err := json.Unmarshal(body, &configs); err != nil {
			return err
		}
		for _, want := range []string{"Gateway " + ns + "/shop", "VirtualService " + ns + "/shop", "DestinationRule " + ns + "/web"} {
			if !slices.ContainsFunc(configs, func(c struct {
				Kind     string
				Metadata struct{ Name, Namespace string }
			}) bool {
				return c.Kind+" "+c.Metadata.Namespace+"/"+c.Metadata.Name == want
			}) {
				return fmt.Errorf("/debug/configz lacks %s", want)
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	broken := brokenGateway(ns, labels)
	data, _ := json.Marshal(broken)
	if _, err := m.client.Apply(ctx, [][]byte{data}); err == nil || !strings.Contains(err.Error(), "denied the request") {
		t.Errorf("the API server took a Gateway without servers (err %v)", err)
	}
	allowed, msg, err := m.validate(ctx, broken)
	if err != nil {
		t.Fatal(err)
	}
	if allowed || !strings.Contains(msg, "gateway must have at least one server") {
		t.Errorf("istiod's webhook allowed a Gateway without servers (%q)", msg)
	}
	good := &unstructured.Unstructured{}
	if err := json.Unmarshal(sampleConfig(ns, selector, labels)[0], &good.Object); err != nil {
		t.Fatal(err)
	}
	if allowed, msg, err := m.validate(ctx, good.Object); err != nil || !allowed {
		t.Errorf("istiod's webhook refused a valid Gateway: %q %v", msg, err)
	}
}

// validate sends obj to istiod's validating webhook as the API server
// would.
func (m *runningMesh) validate(ctx context.Context, obj map[string]any) (bool, string, error) {
	vwcs := m.rendered.all("ValidatingWebhookConfiguration")
	if len(vwcs) == 0 {
		return false, "", errors.New("no validating webhook rendered")
	}
	vwc, err := m.client.Kube.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, vwcs[0].GetName(), metav1.GetOptions{})
	if err != nil {
		return false, "", err
	}
	raw, _ := json.Marshal(obj)
	u := unstructured.Unstructured{Object: obj}
	resp, err := m.review(ctx, vwc.Webhooks[0].ClientConfig, &admissionv1.AdmissionRequest{
		UID:       "meshrender-e2e",
		Kind:      metav1.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: u.GetKind()},
		Resource:  metav1.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: strings.ToLower(u.GetKind()) + "s"},
		Namespace: u.GetNamespace(), Name: u.GetName(), Operation: admissionv1.Create,
		Object: runtime.RawExtension{Raw: raw},
	})
	if err != nil {
		return false, "", err
	}
	msg := ""
	if resp.Result != nil {
		msg = resp.Result.Message
	}
	return resp.Allowed, msg, nil
}

// review sends an AdmissionReview to the istiod webhook of a webhook's
// client config as the API server would: over TLS to the rendered Service
// name, trusting only the caBundle istiod patched in.
func (m *runningMesh) review(ctx context.Context, cc admissionregistrationv1.WebhookClientConfig, req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cc.CABundle) {
		return nil, errors.New("the webhook's caBundle holds no certificate")
	}
	svc := cc.Service
	if svc == nil || svc.Path == nil {
		return nil, errors.New("the webhook calls no Service path")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, ServerName: svc.Name + "." + svc.Namespace + ".svc",
	}}}
	body, _ := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  req,
	})
	// The Service's webhook port leads to istiod's 15017.
	url := "https://" + m.istiod.IP + ":15017" + *svc.Path
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	httpReq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(httpReq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var answer admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &answer); err != nil || answer.Response == nil {
		return nil, fmt.Errorf("istiod answered %s: %.300s", resp.Status, out)
	}
	return answer.Response, nil
}

// reapplyGitOps applies the mesh's GitOps tree for flavor as the tool
// would on its next sync, each layer as kustomize builds it, in the
// order the tool's objects give the layers, and checks that nothing
// changes: neither what istiod patched into its webhook nor anything
// else.
func (m *runningMesh) reapplyGitOps(ctx context.Context, t *testing.T, mesh v1alpha1.Mesh, flavor gitops.Flavor, apps ...v1alpha1.Application) error {
	clusters, err := filepath.Glob(filepath.Join(writeGitOps(t, mesh, flavor, apps...), "clusters", "*"))
	if err != nil {
		return err
	}
	if len(clusters) != 1 {
		return fmt.Errorf("the %s tree has clusters %v, want one", flavor, clusters)
	}
	var docs [][]byte
	for _, layer := range toolLayerOrder(t, flavor, clusters[0]) {
		built := splitDocs(kustomizeBuild(t, filepath.Join(clusters[0], "istio", layer)))
		if len(built) == 0 {
			return fmt.Errorf("the %s tree's layer %s builds to nothing", flavor, layer)
		}
		docs = append(docs, built...)
	}
	opts := apiserver.ApplyOptions{FieldManager: "kustomize-controller",
		// Flux creates an object annotated ssa: IfNotPresent and then
		// leaves it alone.
		Keep: func(u *unstructured.Unstructured) bool {
			return u.GetAnnotations()["kustomize.toolkit.fluxcd.io/ssa"] == "IfNotPresent"
		}}
	if flavor == gitops.ArgoCD {
		// Argo CD leaves out of what it applies the fields its
		// ignoreDifferences name (RespectIgnoreDifferences=true).
		opts = apiserver.ApplyOptions{FieldManager: "argocd-controller", Prepare: func(u *unstructured.Unstructured) {
			if !strings.HasSuffix(u.GetKind(), "WebhookConfiguration") {
				return
			}
			hooks, _, _ := unstructured.NestedSlice(u.Object, "webhooks")
			for _, h := range hooks {
				hook := h.(map[string]any)
				delete(hook, "failurePolicy")
				if cc, ok := hook["clientConfig"].(map[string]any); ok {
					delete(cc, "caBundle")
				}
			}
			_ = unstructured.SetNestedSlice(u.Object, hooks, "webhooks")
		}}
	}
	results, err := m.client.ApplyWith(ctx, opts, docs)
	if err != nil {
		return err
	}
	var changed []string
	for _, r := range results {
		if r.Changed {
			changed = append(changed, r.Object)
		}
	}
	if len(changed) > 0 {
		return fmt.Errorf("re-applying the %s tree changed %v", flavor, changed)
	}
	if len(results) < len(m.rendered.docs) {
		return fmt.Errorf("the %s tree holds %d of the %d rendered objects", flavor, len(results), len(m.rendered.docs))
	}
	return nil
}

// checkGateway runs the gateway's proxy agent as its Deployment would and
// checks that it reaches the istiod of its revision at the rendered
// Service name: its bootstrap names that address, it gets a workload
// certificate for its service account from istiod's CA, and istiod sends
// its Envoy the listener of a Gateway selecting it.
func (m *runningMesh) checkGateway(ctx context.Context, t *testing.T, gw *appsv1.Deployment) error {
	rev := gw.Spec.Template.Labels["istio.io/rev"]
	istiod, ok := m.istiods[rev]
	if !ok {
		return fmt.Errorf("gateway %s/%s follows revision %q, which runs no istiod here", gw.Namespace, gw.Name, rev)
	}
	want := istiod.Service + "." + istiod.Namespace + ".svc:15012"
	// The probe is config of the gateway's own revision, so its istiod
	// serves it; "default" is the control plane without a revision.
	var labels map[string]string
	if rev != "default" {
		labels = map[string]string{"istio.io/rev": rev}
	}
	gateway, _ := json.Marshal(map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "probe-" + gw.Name, "namespace": gw.Namespace, "labels": labels},
		"spec":     map[string]any{"selector": gw.Spec.Selector.MatchLabels, "servers": []any{map[string]any{"port": map[string]any{"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": []any{"*"}}}},
	})
	// A route on it, so that the route configuration the gateway's Envoy
	// asks for has a virtual host, as a Gateway in use has; exported to
	// its own namespace, which a mesh may not export to by default.
	route, _ := json.Marshal(map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]any{"name": "probe-" + gw.Name, "namespace": gw.Namespace, "labels": labels},
		"spec": map[string]any{"hosts": []any{"*"}, "gateways": []any{"probe-" + gw.Name}, "exportTo": []any{"."},
			"http": []any{map[string]any{"directResponse": map[string]any{"status": 200}}}},
	})
	if _, err := m.client.Apply(ctx, [][]byte{gateway, route}); err != nil {
		return err
	}
	return m.checkProxy(ctx, t, proxyRun{
		dir: "agent-" + gw.Namespace, namespace: gw.Namespace, name: gw.Name, template: gw.Spec.Template,
		checkConfig: func(proxyConfig map[string]any) error {
			if got := proxyConfig["discoveryAddress"]; got != want {
				return fmt.Errorf("the bootstrap sends xDS to %v, want the rendered istiod Service %s", got, want)
			}
			return nil
		},
		listeners: []string{"0.0.0.0_8080"}, listenersFor: "the probe Gateway's",
	})
}

// proxyRun is a pod whose proxy agent checkProxy runs.
type proxyRun struct {
	// dir is the scratch directory under the mesh's.
	dir, namespace, name string
	template             corev1.PodTemplateSpec
	// checkConfig checks the proxy config in effect, from the bootstrap.
	checkConfig func(map[string]any) error
	// listeners must be among those istiod sends, which listenersFor
	// names in a failure; none, for a proxy that may have no listener,
	// such as an egress gateway without a Gateway.
	listeners    []string
	listenersFor string
	// xds, if set, checks more of what the running agent gets from
	// istiod.
	xds func(context.Context, *istioproc.Agent) error
}

// checkProxy runs a pod's proxy agent as the kubelet would run its
// istio-proxy container, with the rendered Service names of istiod
// resolved to the running one, and checks what every proxy of the mesh
// gets: the proxy config the run asks for, a workload certificate for the
// pod's service account from istiod's CA, and its listeners from istiod.
func (m *runningMesh) checkProxy(ctx context.Context, t *testing.T, run proxyRun) error {
	// The pod would wait for its volume of istiod's root, as the agent
	// does here.
	if err := m.istiod.WaitFor(ctx, "istio-ca-root-cert in "+run.namespace, func() error {
		_, err := m.client.Kube.CoreV1().ConfigMaps(run.namespace).Get(ctx, "istio-ca-root-cert", metav1.GetOptions{})
		return err
	}); err != nil {
		return err
	}
	release, err := m.proxyRelease(run.template)
	if err != nil {
		return err
	}
	bins, err := istioBinariesOf(release)
	if err != nil {
		return err
	}
	agent, err := istioproc.StartAgent(ctx, istioproc.AgentOptions{
		Binary: bins.agent, FakeEnvoy: binary(t, "fake-envoy"), WithHosts: binary(t, "withhosts"),
		BootstrapTemplate: bins.bootstrapTemplate,
		Dir:               filepath.Join(m.dir, run.dir), Namespace: run.namespace, Name: run.name, Template: run.template,
		Kube: m.client.Kube, Hosts: m.istiodHosts(),
	})
	if err != nil {
		return err
	}
	defer agent.Stop()
	fail := func(err error) error {
		return fmt.Errorf("%w\nthe agent's log:\n%s", err, lastLines(agent.Logs(), 40))
	}
	bs, err := agent.Bootstrap(ctx)
	if err != nil {
		return fail(err)
	}
	node, _ := bs["node"].(map[string]any)
	meta, _ := node["metadata"].(map[string]any)
	proxyConfig, _ := meta["PROXY_CONFIG"].(map[string]any)
	if err := run.checkConfig(proxyConfig); err != nil {
		return fail(err)
	}
	cert, err := agent.Certificate(ctx)
	if err != nil {
		return fail(err)
	}
	sa := "spiffe://" + m.trustDomain() + "/ns/" + run.namespace + "/sa/" + run.template.Spec.ServiceAccountName
	if len(cert.URIs) != 1 || cert.URIs[0].String() != sa {
		return fail(fmt.Errorf("the workload certificate is for %v, want %s", cert.URIs, sa))
	}
	if len(run.listeners) > 0 {
		if _, err := agent.Listeners(ctx, run.listeners...); err != nil {
			return fail(fmt.Errorf("%s listeners: %w", run.listenersFor, err))
		}
	}
	if run.xds != nil {
		if err := run.xds(ctx, agent); err != nil {
			return fail(err)
		}
	}
	return nil
}

// trustDomain is the rendered mesh config's trust domain, which workload
// certificates are of.
func (m *runningMesh) trustDomain() string {
	for _, cm := range m.rendered.all("ConfigMap") {
		data, _, _ := unstructured.NestedString(cm.Object, "data", "mesh")
		var mc struct {
			TrustDomain string `json:"trustDomain"`
		}
		if data != "" && yaml.Unmarshal([]byte(data), &mc) == nil && mc.TrustDomain != "" {
			return mc.TrustDomain
		}
	}
	return "cluster.local"
}

// proxyRelease is the Istio release a pod's proxy runs, whose agent
// checkProxy runs: that of its template (podRelease), or for an injected
// pod whose image names none, that of the revision that injected it.
func (m *runningMesh) proxyRelease(tmpl corev1.PodTemplateSpec) (string, error) {
	if release := podRelease(tmpl, "istio-proxy"); release != "" {
		return release, nil
	}
	var status struct{ Revision string }
	if err := json.Unmarshal([]byte(tmpl.Annotations["sidecar.istio.io/status"]), &status); err == nil {
		if release, ok := m.releases[status.Revision]; ok {
			return release, nil
		}
		return "", fmt.Errorf("the pod was injected by revision %q, which runs no istiod here", status.Revision)
	}
	return "", fmt.Errorf("the pod names no Istio release: no %s label, no release as its proxy image's tag, and no injecting revision", versionLabel)
}

// istiodHosts resolves the rendered istiod Services, its revision's and
// its tags', to the running istiod of their revision, as cluster DNS
// would.
func (m *runningMesh) istiodHosts() map[string]string {
	hosts := map[string]string{}
	for _, svc := range m.rendered.all("Service") {
		if svc.GetLabels()["app"] != "istiod" {
			continue
		}
		if istiod, ok := m.istiods[svc.GetLabels()["istio.io/rev"]]; ok {
			hosts[svc.GetName()+"."+svc.GetNamespace()+".svc"] = istiod.IP
		}
	}
	return hosts
}
