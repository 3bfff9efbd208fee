//go:build e2e

package golden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// The application the injection checks put into the mesh: a Deployment
// as a team would write it for a namespace that enforces Pod Security
// "restricted".
const (
	appNamespace      = "shop"
	appName           = "web"
	appServiceAccount = "web"
)

// injectorWebhookSuffix ends the name of every webhook istiod patches its
// CA bundle into and answers for injection.
const injectorWebhookSuffix = "sidecar-injector.istio.io"

// appDeployment is the application's Deployment.
func appDeployment(namespace string) *appsv1.Deployment {
	labels := map[string]string{"app": appName, "version": "v1"}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: appName, Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: appServiceAccount,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   new(true),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  appName,
						Image: "registry.example.com/shop/web:1.0",
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: new(false),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
							RunAsUser:                new(int64(1000)),
						},
					}},
				},
			},
		},
	}
}

// appPod is one replica of the application, as its ReplicaSet would ask
// the API server to create it.
func appPod(namespace string) *corev1.Pod {
	d := appDeployment(namespace)
	meta := *d.Spec.Template.ObjectMeta.DeepCopy()
	meta.Name, meta.Namespace = appName+"-0", namespace
	return &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: meta, Spec: *d.Spec.Template.Spec.DeepCopy()}
}

// injection is what the mesh's injector is expected to do.
type injection struct {
	// namespaceLabels put a namespace under the injector of the mesh's
	// revision.
	namespaceLabels map[string]string
	revision        string
	image           string
	cni             bool
	// discoveryAddress is the rendered istiod Service's xDS address.
	discoveryAddress string
	// proxyConfig is the spec's mesh config's defaultConfig.
	proxyConfig map[string]any
}

// expectedInjection reads what the injection must do from the mesh's
// spec and, for names, the rendered objects.
func (m *runningMesh) expectedInjection(t *testing.T, mesh v1alpha1.Mesh) injection {
	t.Helper()
	if err := mesh.Default(); err != nil {
		t.Fatal(err)
	}
	rev := "default"
	labels := map[string]string{"istio-injection": "enabled"}
	for _, mwc := range m.rendered.all("MutatingWebhookConfiguration") {
		if r := mwc.GetLabels()["istio.io/rev"]; r != "" && r != "default" {
			rev, labels = r, map[string]string{"istio.io/rev": r}
		}
	}
	want := injection{
		namespaceLabels: labels, revision: rev, image: mesh.Spec.Registry.Image("proxyv2"),
		cni:              len(m.rendered.all("DaemonSet")) > 0,
		discoveryAddress: m.istiod.Service + "." + m.istiod.Namespace + ".svc:15012",
	}
	// What the mesh's spec asks of every proxy, not what was rendered.
	raw, err := json.Marshal(mesh.Spec.MeshConfig)
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := json.Unmarshal(raw, &config); err != nil {
		t.Fatal(err)
	}
	want.proxyConfig, _ = config["defaultConfig"].(map[string]any)
	return want
}

// checkInjection puts an application into the mesh the way a team would:
// a namespace labelled for the mesh's revision that enforces Pod
// Security "restricted" when istio-cni is on, a Deployment in it, and its
// pod created through the API server. The API server has istiod's webhook
// inject the sidecar, and Pod Security admits the injected pod. The same
// pod sent to istiod's webhook over TLS, trusting only the caBundle istiod
// patched in, comes back with the same patch; that pod is returned, for
// the example's golden file. The injected sidecar carries the rendered
// image, revision and proxy config; and its proxy agent, run as the pod
// would run it, gets a workload certificate and the sidecar's listeners
// from istiod.
func (m *runningMesh) checkInjection(ctx context.Context, t *testing.T, mesh v1alpha1.Mesh) (*corev1.Pod, error) {
	t.Helper()
	want := m.expectedInjection(t, mesh)
	created, errs, err := m.deployApp(ctx, t, appNamespace, want.namespaceLabels, want.cni)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	errs = append(errs, checkInjectedPod(created, want)...)

	// The same pod straight to istiod: istiod's own output, before the
	// API server defaults fields.
	injected, err := m.inject(ctx, appPod(appNamespace))
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	status := "sidecar.istio.io/status"
	if created.Annotations[status] != injected.Annotations[status] {
		errs = append(errs, fmt.Errorf("the API server's webhook call injected %s, the direct call %s", created.Annotations[status], injected.Annotations[status]))
	}
	if got, want := containerNames(created), containerNames(injected); !slices.Equal(got, want) {
		errs = append(errs, fmt.Errorf("the pod the API server created has containers %v, the injected one %v", got, want))
	}
	if err := m.runSidecar(ctx, t, created, want); err != nil {
		errs = append(errs, err)
	}
	return injected, errors.Join(errs...)
}

// deployApp puts the application into a namespace with the given labels,
// enforcing Pod Security restricted if asked to: the namespace, its
// service account, the cluster CA a pod's API access volume reads (which
// kube-controller-manager would publish), the Deployment, and its pod
// created through the API server, which has it injected and admits it.
// What the API server warned about comes back as problems beside the
// created pod; an error means there is no pod.
func (m *runningMesh) deployApp(ctx context.Context, t *testing.T, namespace string, labels map[string]string, restricted bool) (*corev1.Pod, []error, error) {
	t.Helper()
	ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: maps.Clone(labels)}}
	if restricted {
		ns.Labels[psapi.EnforceLevelLabel] = string(psapi.LevelRestricted)
		ns.Labels[psapi.WarnLevelLabel] = string(psapi.LevelRestricted)
	}
	m.client.Warnings() // what setting up istiod's local endpoints drew
	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: metav1.ObjectMeta{Name: appServiceAccount, Namespace: namespace}}
	ca, err := m.server.ServingCertificate()
	if err != nil {
		return nil, nil, err
	}
	rootCA := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt", Namespace: namespace}, Data: map[string]string{"ca.crt": string(ca)}}
	// The team's own field manager: in a mesh that lists the namespace
	// in spec.namespaces, meshrender's apply owns its label beside it.
	if _, err := m.client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "team"}, jsonDocs(t, ns, sa, rootCA, appDeployment(namespace))); err != nil {
		return nil, nil, fmt.Errorf("applying the application: %w", err)
	}
	var errs []error
	if w := m.client.Warnings(); len(w) > 0 {
		errs = append(errs, fmt.Errorf("the API server warned about the application: %v", w))
	}
	created, err := m.client.Kube.CoreV1().Pods(namespace).Create(ctx, appPod(namespace), metav1.CreateOptions{FieldManager: "replicaset-controller"})
	if err != nil {
		return nil, errs, fmt.Errorf("the API server refused the application's pod: %w", err)
	}
	if w := m.client.Warnings(); len(w) > 0 {
		errs = append(errs, fmt.Errorf("the API server warned about the injected pod: %v", w))
	}
	return created, errs, nil
}

func jsonDocs(t *testing.T, objs ...any) [][]byte {
	t.Helper()
	var docs [][]byte
	for _, o := range objs {
		data, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, data)
	}
	return docs
}

func containerNames(p *corev1.Pod) []string {
	var out []string
	for _, c := range p.Spec.InitContainers {
		out = append(out, "init:"+c.Name)
	}
	for _, c := range p.Spec.Containers {
		out = append(out, c.Name)
	}
	return out
}

// injectorHook is the webhook of the rendered injector that selects
// namespaces by label, as patched by istiod.
func (m *runningMesh) injectorHook(ctx context.Context) (admissionregistrationv1.MutatingWebhook, error) {
	mwcs := m.rendered.all("MutatingWebhookConfiguration")
	if len(mwcs) != 1 {
		return admissionregistrationv1.MutatingWebhook{}, fmt.Errorf("%d injection webhook configurations rendered, want one", len(mwcs))
	}
	mwc, err := m.client.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, mwcs[0].GetName(), metav1.GetOptions{})
	if err != nil {
		return admissionregistrationv1.MutatingWebhook{}, err
	}
	for _, h := range mwc.Webhooks {
		if strings.HasSuffix(h.Name, "namespace."+injectorWebhookSuffix) {
			return h, nil
		}
	}
	return admissionregistrationv1.MutatingWebhook{}, fmt.Errorf("%s has no webhook selecting namespaces", mwc.Name)
}

// injectorPatched checks that istiod has put its root into every
// injection webhook of the rendered configuration.
func (m *runningMesh) injectorPatched(ctx context.Context, root []byte) error {
	for _, u := range m.rendered.all("MutatingWebhookConfiguration") {
		mwc, err := m.client.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, u.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, w := range mwc.Webhooks {
			if strings.HasSuffix(w.Name, injectorWebhookSuffix) && !bytes.Equal(w.ClientConfig.CABundle, root) {
				return fmt.Errorf("webhook %s of %s has no caBundle of istiod's root", w.Name, mwc.Name)
			}
		}
	}
	return nil
}

// inject sends the pod to istiod's injection webhook as the API server
// would and returns the pod with istiod's patch applied.
func (m *runningMesh) inject(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	hook, err := m.injectorHook(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	resp, err := m.review(ctx, hook.ClientConfig, &admissionv1.AdmissionRequest{
		UID:       "meshrender-e2e-inject",
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: pod.Namespace, Name: pod.Name, Operation: admissionv1.Create,
		Object: runtime.RawExtension{Raw: raw},
	})
	if err != nil {
		return nil, err
	}
	if !resp.Allowed {
		return nil, fmt.Errorf("istiod's injector refused the pod: %v", resp.Result)
	}
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch || len(resp.Patch) == 0 {
		return nil, errors.New("istiod's injector answered without a JSON patch: the pod was not injected")
	}
	patch, err := jsonpatch.DecodePatch(resp.Patch)
	if err != nil {
		return nil, err
	}
	out, err := patch.Apply(raw)
	if err != nil {
		return nil, fmt.Errorf("istiod's patch does not apply: %w", err)
	}
	injected := &corev1.Pod{}
	return injected, json.Unmarshal(out, injected)
}

// checkInjectedPod checks the sidecar istiod injected against the
// rendered mesh.
func checkInjectedPod(pod *corev1.Pod, want injection) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("the injected pod: "+format, args...))
	}
	var status struct {
		InitContainers, Containers []string
		Revision                   string
	}
	if err := json.Unmarshal([]byte(pod.Annotations["sidecar.istio.io/status"]), &status); err != nil {
		fail("sidecar.istio.io/status: %v", err)
	}
	if status.Revision != want.revision {
		fail("injected by revision %q, want %q", status.Revision, want.revision)
	}
	// The sidecar is a native one: an init container that keeps running,
	// started after the one that sets up (istio-init) or, with istio-cni,
	// only validates (istio-validation, no capability) the pod's traffic
	// redirection.
	first := "init:istio-init"
	if want.cni {
		first = "init:istio-validation"
	}
	wantContainers := []string{first, "init:istio-proxy", appName}
	if got := containerNames(pod); !slices.Equal(got, wantContainers) {
		fail("containers %v, want %v", got, wantContainers)
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Image != want.image {
			fail("container %s runs %s, want the rendered proxy image %s", c.Name, c.Image, want.image)
		}
	}
	proxy := slices.IndexFunc(pod.Spec.InitContainers, func(c corev1.Container) bool { return c.Name == "istio-proxy" })
	if proxy < 0 {
		return errs
	}
	if p := pod.Spec.InitContainers[proxy].RestartPolicy; p == nil || *p != corev1.ContainerRestartPolicyAlways {
		fail("istio-proxy is an init container that does not keep running")
	}
	env := map[string]string{}
	for _, e := range pod.Spec.InitContainers[proxy].Env {
		env[e.Name] = e.Value
	}
	// istiod leaves out of PROXY_CONFIG what equals Istio's defaults; the
	// agent's bootstrap shows the proxy config in effect (runSidecar).
	var proxyConfig map[string]any
	if err := json.Unmarshal([]byte(env["PROXY_CONFIG"]), &proxyConfig); err != nil {
		fail("PROXY_CONFIG: %v", err)
	}
	if got := env["CA_ADDR"]; got != want.discoveryAddress {
		fail("the sidecar asks %s for certificates, want %s", got, want.discoveryAddress)
	}
	violations := podSecurityViolations(psapi.LevelRestricted, &pod.ObjectMeta, &pod.Spec)
	switch {
	case want.cni && len(violations) > 0:
		fail("breaks Pod Security restricted:\n%s", strings.Join(violations, "\n"))
	case !want.cni && len(violations) == 0:
		fail("meets Pod Security restricted without istio-cni: istio-init needs NET_ADMIN and NET_RAW")
	}
	return errs
}

// runSidecar runs the injected pod's proxy agent as the kubelet would
// run its istio-proxy container: the proxy config in effect must be the
// one the mesh's spec asks for, and it must get a workload certificate
// for the application's service account and a sidecar's listeners from
// istiod.
func (m *runningMesh) runSidecar(ctx context.Context, t *testing.T, pod *corev1.Pod, want injection) error {
	err := m.checkProxy(ctx, t, proxyRun{
		dir: "sidecar-" + pod.Namespace, namespace: pod.Namespace, name: pod.Name,
		template: corev1.PodTemplateSpec{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec},
		checkConfig: func(proxyConfig map[string]any) error {
			if err := contains(proxyConfig, want.proxyConfig, "the proxy config in effect"); err != nil {
				return err
			}
			if got := proxyConfig["discoveryAddress"]; got != want.discoveryAddress {
				return fmt.Errorf("the sidecar sends xDS to %v, want the rendered istiod Service %s", got, want.discoveryAddress)
			}
			return nil
		},
		listeners: []string{"virtualInbound", "virtualOutbound"}, listenersFor: "a sidecar's",
	})
	if err != nil {
		return fmt.Errorf("the injected sidecar: %w", err)
	}
	return nil
}

// checkGoldenPod compares the injected pod with the example's golden
// file, golden/injected/<example>.yaml; -update rewrites it.
func checkGoldenPod(t *testing.T, e Example, pod *corev1.Pod) {
	t.Helper()
	data, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	delete(obj, "status") // empty: the pod never ran
	if meta, ok := obj["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	data, _ = json.Marshal(obj)
	got, err := yamlenc.FromJSON(nil, data)
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join("injected", e.Name+".yaml"), got)
}
