//go:build e2e

package golden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/istioproc"
)

// The ambient tests run the rendered ambient data plane against the real
// istiod. ztunnel is a Rust program the Go module proxy cannot build, so a
// stand-in (golden/tools/fakeztunnel) speaks its protocols: delta xDS for
// workloads and policies, and the CA's certificate requests on behalf of
// the pods of its node. A waypoint runs the real pilot-agent, as istiod's
// own Deployment for it would.

const (
	// addressType and authorizationType are what istiod sends ztunnel:
	// the workloads and Services, and the L4 policies.
	addressType       = "type.googleapis.com/istio.workload.Address"
	authorizationType = "type.googleapis.com/istio.security.Authorization"
	// ztunnelNode is the node the ztunnel under test runs on;
	// otherNode one it does not.
	ztunnelNode = "node-a"
	otherNode   = "node-b"
)

// TestAmbientRunsZtunnelAndWaypoints runs the ambient example's control
// plane as rendered and checks what the ambient data plane gets from it:
// ztunnel, run as the rendered DaemonSet's pod on a node, gets the pods of
// the ambient namespaces and their policies over delta xDS, and workload
// certificates for the pods on its node, but for no other
// ServiceAccount; no other ServiceAccount's token gets certificates for
// those pods. Each rendered waypoint gets its Deployment from istiod, and
// its proxy the HBONE listener.
func TestAmbientRunsZtunnelAndWaypoints(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	started := time.Now()
	mesh := startMesh(ctx, t, renderExample(t, exampleNamed(t, "ambient")))
	checks := mesh.ambientChecks(t)
	if len(checks) < 2 {
		t.Fatalf("%d ambient checks, want ztunnel's and at least a waypoint's", len(checks))
	}
	for _, err := range runChecks(ctx, checks) {
		t.Error(err)
	}
	// Beside the refusals the checks provoke, istiod logs nothing a
	// healthy run does not.
	var logs []string
	for line := range strings.SplitSeq(mesh.istiod.Logs(), "\n") {
		if !expectedAmbientLogs.MatchString(line) {
			logs = append(logs, line)
		}
	}
	if err := checkIstiodLogs(strings.Join(logs, "\n")); err != nil {
		t.Error(err)
	}
	t.Logf("%d checks in %v", len(checks), time.Since(started).Round(100*time.Millisecond))
}

// expectedAmbientLogs are what istiod logs here beside a healthy run's
// warnings: refusing the certificates checkZtunnel asks for and must not
// get, for a pod on another node, and with another ServiceAccount's
// token.
var expectedAmbientLogs = regexp.MustCompile(`impersonation failed for identity spiffe://cluster\.local/ns/[a-z0-9-]+/sa/` +
	`(remote, error: no instances of "[a-z0-9-]+/remote" found on node "` + ztunnelNode + `"` +
	`|app, error: caller \(Pod\{Name: client-0, Namespace: [a-z0-9-]+, UID: [-0-9a-f]+, ServiceAccount: default\}\) is not allowed to impersonate)\tclient=`)

// TestAmbientChecksCatchBrokenRenders breaks the rendered ambient control
// plane as a bug in meshrender would, in the rendered stream, and
// requires the checks to fail: istiod trusting ztunnel's ServiceAccount
// where ztunnel does not run (upstream's default, istio-system/ztunnel),
// which refuses its certificate requests; istiod without ambient, which
// serves ztunnel nothing and runs no waypoint (its waypoint controllers
// run only with ambient); and waypoints of a class no istiod runs.
func TestAmbientChecksCatchBrokenRenders(t *testing.T) {
	stream := renderExample(t, exampleNamed(t, "ambient"))
	const noDeployment = "istiod creating the waypoint's Deployment"
	tests := []struct {
		name string
		// edit breaks a rendered object, reporting whether it did.
		edit func(u *unstructured.Unstructured) bool
		// want is, by the kind of check ("ztunnel", "waypoint"), part of
		// what each check of that kind must report; those checks run.
		want map[string]string
		// log, if set, must be in istiod's log: the checks fail for that
		// reason, not another.
		log string
	}{
		{"ztunnel's namespace not trusted", istiodEnv("CA_TRUSTED_NODE_ACCOUNTS", "istio-system/ztunnel"),
			map[string]string{"ztunnel": "request impersonation authentication failure"}, "is not allowed to impersonate"},
		{"ambient off in istiod", istiodEnv("PILOT_ENABLE_AMBIENT", "false"),
			map[string]string{"ztunnel": "ztunnel requires PILOT_ENABLE_AMBIENT=true", "waypoint": noDeployment}, ""},
		{"waypoints of a class no istiod runs", waypointClass("istio-waypoints"),
			map[string]string{"waypoint": noDeployment}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			mesh := startMesh(ctx, t, editRendered(t, stream, tt.edit))
			checks := slices.DeleteFunc(mesh.ambientChecks(t), func(c appCheck) bool { return tt.want[checkKind(c.name)] == "" })
			kinds := map[string]bool{}
			for _, c := range checks {
				kinds[checkKind(c.name)] = true
			}
			if len(kinds) < len(tt.want) {
				t.Fatalf("checks of the kinds %v run, want all of %v", kinds, tt.want)
			}
			// ztunnel gets its workloads and certificates, and istiod makes a
			// waypoint's Deployment, within seconds; what is missing then is
			// missing for good.
			short, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			errs := runChecks(short, checks)
			if len(errs) < len(checks) {
				t.Errorf("%d of %d checks passed on a broken render", len(checks)-len(errs), len(checks))
			}
			for _, err := range errs {
				if want := tt.want[checkKind(err.Error())]; !strings.Contains(err.Error(), want) {
					t.Errorf("the check on a broken render reported %v, want a failure saying %q", err, want)
					continue
				}
				first, _, _ := strings.Cut(err.Error(), "\n")
				t.Logf("the check fails: %s", first)
			}
			if tt.log != "" && !strings.Contains(mesh.istiod.Logs(), tt.log) {
				t.Errorf("istiod's log does not say %q", tt.log)
			}
		})
	}
}

// checkKind is the kind of an ambient check, the first word of its name
// (and of its failure): "ztunnel" or "waypoint".
func checkKind(name string) string {
	kind, _, _ := strings.Cut(name, " ")
	return kind
}

// editRendered is the rendered stream with edit applied to every object;
// it must change one at least.
func editRendered(t *testing.T, stream []byte, edit func(*unstructured.Unstructured) bool) []byte {
	t.Helper()
	docs, objs := decodeObjects(t, stream)
	edited := false
	for i, u := range objs {
		if !edit(u) {
			continue
		}
		data, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		docs[i], edited = data, true
	}
	if !edited {
		t.Fatal("the edit changes no rendered object")
	}
	return bytes.Join(docs, []byte("\n---\n"))
}

// istiodEnv sets an env variable of every istiod's container.
func istiodEnv(name, value string) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		if u.GetKind() != "Deployment" || u.GetLabels()["app"] != "istiod" {
			return false
		}
		containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		found := false
		for _, c := range containers {
			env, _ := c.(map[string]any)["env"].([]any)
			for _, e := range env {
				if e := e.(map[string]any); e["name"] == name {
					e["value"], found = value, true
				}
			}
		}
		return found && unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers") == nil
	}
}

// waypointClass gives every waypoint Gateway another class.
func waypointClass(class string) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		if c, _, _ := unstructured.NestedString(u.Object, "spec", "gatewayClassName"); u.GetKind() != "Gateway" || c != "istio-waypoint" {
			return false
		}
		return unstructured.SetNestedField(u.Object, class, "spec", "gatewayClassName") == nil
	}
}

// ambientChecks are the checks of the rendered ambient data plane: one
// of ztunnel, and one of each waypoint.
func (m *runningMesh) ambientChecks(t *testing.T) []appCheck {
	var checks []appCheck
	for _, u := range m.rendered.all("DaemonSet") {
		if u.GetLabels()["app.kubernetes.io/name"] != "ztunnel" {
			continue
		}
		ds := &appsv1.DaemonSet{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, ds); err != nil {
			t.Fatal(err)
		}
		checks = append(checks, appCheck{name: "ztunnel " + ds.Namespace + "/" + ds.Name, t: t,
			run: func(ctx context.Context, t *testing.T) error { return m.checkZtunnel(ctx, t, ds) }})
	}
	// The waypoints are the Gateways meshrender labels with the traffic
	// they are for.
	for _, gw := range m.rendered.all("Gateway") {
		if _, ok := gw.GetLabels()["istio.io/waypoint-for"]; !ok {
			continue
		}
		checks = append(checks, appCheck{name: "waypoint " + gw.GetNamespace() + "/" + gw.GetName(), t: t,
			run: func(ctx context.Context, t *testing.T) error { return m.checkWaypoint(ctx, t, gw) }})
	}
	return checks
}

// ambientPod is a pod of an ambient namespace.
type ambientPod struct {
	namespace, name, serviceAccount, node, ip string
}

// checkZtunnel creates, in the API server, a pod of every ambient
// namespace on ztunnel's node and one on another node, each of its own
// ServiceAccount, an AuthorizationPolicy in each, and ztunnel's pod from
// the rendered DaemonSet on its node; then runs the stand-in ztunnel as
// that pod, with its token bound to it, and checks that it gets from
// istiod every such pod's workload, the policies and the mesh-wide mutual
// TLS the mesh renders, and certificates for the ServiceAccounts of the
// pods on its node, but not for those whose pods run elsewhere. Another
// ServiceAccount's token, of a pod on the same node, gets no certificate
// for those pods.
func (m *runningMesh) checkZtunnel(ctx context.Context, t *testing.T, ds *appsv1.DaemonSet) error {
	var ambient []string
	for _, ns := range m.rendered.all("Namespace") {
		if ns.GetLabels()["istio.io/dataplane-mode"] == "ambient" {
			ambient = append(ambient, ns.GetName())
		}
	}
	if len(ambient) == 0 {
		return errors.New("no ambient namespace rendered")
	}
	release := podRelease(ds.Spec.Template, "istio-proxy")
	if release == "" {
		return fmt.Errorf("the rendered DaemonSet %s/%s names no Istio release", ds.Namespace, ds.Name)
	}
	for _, name := range []string{ztunnelNode, otherNode} {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name, corev1.LabelOSStable: "linux"}}}
		if _, err := m.client.Kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating node %s: %w", name, err)
		}
	}
	// The pods: in each ambient namespace, one on another node and one on
	// ztunnel's, and a pod of the first namespace's default
	// ServiceAccount on ztunnel's node. Those elsewhere are created first:
	// once istiod has given ztunnel a certificate for a later one, it
	// knows them too.
	var elsewhere, onNode []ambientPod
	for i, ns := range ambient {
		elsewhere = append(elsewhere, ambientPod{ns, "remote-0", "remote", otherNode, fmt.Sprintf("10.244.2.%d", 10+i)})
		onNode = append(onNode, ambientPod{ns, "app-0", "app", ztunnelNode, fmt.Sprintf("10.244.1.%d", 20+i)})
	}
	other := ambientPod{ambient[0], "client-0", "default", ztunnelNode, "10.244.1.11"}
	pods := append(append(slices.Clone(elsewhere), other), onNode...)
	created := map[string]*corev1.Pod{}
	for _, p := range pods {
		pod, err := m.runAmbientPod(ctx, t, p)
		if err != nil {
			return err
		}
		created[p.namespace+"/"+p.name] = pod
	}
	// An L4 policy of each namespace's application, which ztunnel
	// enforces.
	var policies [][]byte
	for _, ns := range ambient {
		policy, _ := json.Marshal(map[string]any{
			"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
			"metadata": map[string]any{"name": "allow-app", "namespace": ns},
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"app": "app"}},
				"action":   "ALLOW",
				"rules": []any{map[string]any{
					"from": []any{map[string]any{"source": map[string]any{"namespaces": ambient}}},
					"to":   []any{map[string]any{"operation": map[string]any{"ports": []any{"8080"}}}},
				}},
			},
		})
		policies = append(policies, policy)
	}
	if _, err := m.client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "team"}, policies); err != nil {
		return fmt.Errorf("applying AuthorizationPolicies: %w", err)
	}
	ztunnel, err := m.runAmbientPod(ctx, t, ambientPod{ds.Namespace, ds.Name + "-" + ztunnelNode, ds.Spec.Template.Spec.ServiceAccountName, ztunnelNode, "10.244.1.2"}, ds.Spec.Template)
	if err != nil {
		return err
	}
	cluster := ""
	for _, e := range ds.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "ISTIO_META_CLUSTER_ID" {
			cluster = e.Value
		}
	}
	identity := func(p ambientPod) string {
		return "spiffe://cluster.local/ns/" + p.namespace + "/sa/" + p.serviceAccount
	}
	// Every pod's workload, every policy, certificates for the pods on
	// the node, and once, for each of the others.
	var args, granted, refused []string
	for _, p := range pods {
		args = append(args, "-want-address", cluster+"//Pod/"+p.namespace+"/"+p.name)
	}
	for _, p := range onNode {
		args = append(args, "-certificate", identity(p))
		granted = append(granted, identity(p))
	}
	for _, p := range elsewhere {
		args = append(args, "-certificate-once", identity(p))
		refused = append(refused, identity(p))
	}
	for _, ns := range ambient {
		args = append(args, "-want-authorization", ns+"/allow-app")
	}
	// The mesh-wide STRICT PeerAuthentication the mesh renders is ztunnel's
	// policy too.
	for _, pa := range m.rendered.all("PeerAuthentication") {
		if mode, _, _ := unstructured.NestedString(pa.Object, "spec", "mtls", "mode"); mode == "STRICT" && pa.GetNamespace() == m.istiod.Namespace {
			args = append(args, "-want-authorization", m.istiod.Namespace+"/istio_converted_static_strict")
		}
	}
	// The pod's own token, bound to it: the API server names the pod in
	// it, and istiod finds the pod's node from that.
	pod := istioproc.Pod{Template: ds.Spec.Template, Namespace: ztunnel.Namespace, Name: ztunnel.Name, NodeName: ztunnelNode, IP: ztunnel.Status.PodIP,
		CPUs: 2, MemoryBytes: 1 << 30, UID: ztunnel.UID}
	if err := m.istiod.WaitFor(ctx, "istio-ca-root-cert in "+pod.Namespace, func() error {
		_, err := m.client.Kube.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, "istio-ca-root-cert", metav1.GetOptions{})
		return err
	}); err != nil {
		return err
	}
	res, err := istioproc.RunZtunnel(ctx, istioproc.ZtunnelOptions{
		Binary: binary(t, "fake-ztunnel"), WithHosts: binary(t, "withhosts"), Dir: filepath.Join(m.dir, "ztunnel"),
		Pod: pod, Kube: m.client.Kube, Hosts: m.istiodHosts(), Release: release, Args: args,
	})
	if err != nil {
		return err
	}
	var errs []error
	refusal := ""
	for _, c := range res.Certificates {
		switch {
		case slices.Contains(granted, c.Identity) && !slices.Equal(c.URIs, []string{c.Identity}):
			errs = append(errs, fmt.Errorf("the certificate for %s, of a pod on ztunnel's node, is for %v", c.Identity, c.URIs))
		case slices.Contains(refused, c.Identity) && c.Error == "":
			errs = append(errs, fmt.Errorf("istiod's CA gave ztunnel a certificate for %s, whose only pod runs on another node", c.Identity))
		case slices.Contains(refused, c.Identity):
			refusal = c.Error
		}
	}
	t.Logf("ztunnel got %d addresses, the policies %v, certificates for %v, and for %v: %s",
		len(res.Resources[addressType]), res.Resources[authorizationType], granted, refused, refusal)
	// Another ServiceAccount's token, of a pod on the same node, asks
	// for a pod's certificate as ztunnel does.
	token, err := m.client.Kube.CoreV1().ServiceAccounts(other.namespace).CreateToken(ctx, other.serviceAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{Audiences: []string{"istio-ca"}, BoundObjectRef: &authenticationv1.BoundObjectReference{
			Kind: "Pod", APIVersion: "v1", Name: other.name, UID: created[other.namespace+"/"+other.name].UID,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	impostor, err := istioproc.RunZtunnel(ctx, istioproc.ZtunnelOptions{
		Binary: binary(t, "fake-ztunnel"), WithHosts: binary(t, "withhosts"), Dir: filepath.Join(m.dir, "impostor"),
		Pod: pod, Kube: m.client.Kube, Hosts: m.istiodHosts(), Release: release, Token: token.Status.Token,
		Args: []string{"-certificate-once", granted[0]},
	})
	if err != nil {
		return err
	}
	if c := impostor.Certificates[0]; c.Error == "" {
		errs = append(errs, fmt.Errorf("istiod's CA gave a token of %s/%s a certificate for %s", other.namespace, other.serviceAccount, c.Identity))
	} else {
		t.Logf("a token of %s/%s is refused %s: %s", other.namespace, other.serviceAccount, granted[0], c.Error)
	}
	return errors.Join(errs...)
}

// runAmbientPod creates a pod, of its ServiceAccount (created too), on
// its node, and gives it the status the kubelet would once it runs: its
// IP, Running and Ready. Its spec is a template's, or an application's.
func (m *runningMesh) runAmbientPod(ctx context.Context, t *testing.T, p ambientPod, template ...corev1.PodTemplateSpec) (*corev1.Pod, error) {
	pod := appPod(p.namespace)
	pod.Labels = map[string]string{"app": strings.TrimSuffix(p.name, "-0")}
	if len(template) > 0 {
		pod.ObjectMeta = *template[0].ObjectMeta.DeepCopy()
		pod.Namespace, pod.Spec = p.namespace, *template[0].Spec.DeepCopy()
	}
	pod.Name, pod.Spec.ServiceAccountName, pod.Spec.NodeName = p.name, p.serviceAccount, p.node
	if len(template) == 0 {
		// A cluster without a controller manager has not even default
		// ServiceAccounts.
		sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: metav1.ObjectMeta{Name: p.serviceAccount, Namespace: p.namespace}}
		if _, err := m.client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "team"}, jsonDocs(t, sa)); err != nil {
			return nil, err
		}
	}
	created, err := m.client.Kube.CoreV1().Pods(p.namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating pod %s/%s: %w", p.namespace, p.name, err)
	}
	now := metav1.Now()
	created.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: p.ip, PodIPs: []corev1.PodIP{{IP: p.ip}}, StartTime: &now,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}},
	}
	running, err := m.client.Kube.CoreV1().Pods(p.namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("setting the status of pod %s/%s: %w", p.namespace, p.name, err)
	}
	return running, nil
}

// checkWaypoint waits for the Deployment istiod makes of a rendered
// waypoint Gateway, runs its proxy agent as that Deployment's pod would
// run, and checks that istiod sends it the HBONE listener: connect
// terminating on the Gateway's port 15008.
func (m *runningMesh) checkWaypoint(ctx context.Context, t *testing.T, gw *unstructured.Unstructured) error {
	var d *appsv1.Deployment
	if err := m.istiod.WaitFor(ctx, "istiod creating the waypoint's Deployment "+gw.GetNamespace()+"/"+gw.GetName(), func() error {
		var err error
		d, err = m.client.Kube.AppsV1().Deployments(gw.GetNamespace()).Get(ctx, gw.GetName(), metav1.GetOptions{})
		return err
	}); err != nil {
		return err
	}
	return m.checkProxy(ctx, t, proxyRun{
		dir: "waypoint-" + gw.GetNamespace() + "-" + gw.GetName(), namespace: gw.GetNamespace(), name: gw.GetName(), template: d.Spec.Template,
		checkConfig: func(map[string]any) error { return nil },
		listeners:   []string{"connect_terminate"}, listenersFor: "a waypoint's",
		xds: func(ctx context.Context, agent *istioproc.Agent) error {
			return agent.XDS(ctx, "listeners", func(got []map[string]any) error {
				port := field(resourceNamed(got, "connect_terminate"), "address", "socket_address", "port_value")
				if fmt.Sprint(port) != "15008" {
					return fmt.Errorf("the listener connect_terminate is on port %v, want HBONE's 15008", port)
				}
				t.Logf("waypoint %s/%s: listeners %v from istiod", gw.GetNamespace(), gw.GetName(), resourceNames(got))
				return nil
			})
		},
	})
}
