//go:build e2e

package golden

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/ports"
	"github.com/meshrender/meshrender/golden/internal/proc"
	"github.com/meshrender/meshrender/golden/internal/simcluster"
	"github.com/meshrender/meshrender/golden/internal/thirdparty"
	"github.com/meshrender/meshrender/plugin/gitops"
)

// TestArgoCDSyncs hands the seed example's Argo CD tree to the real Argo
// CD: its application-controller and repo-server, built from the module
// golden/tools/argocd pins, with a Redis of their own, run against an
// API server whose pods a real scheduler and controller manager place on
// simulated nodes, and clone the tree over smart HTTP from a real git
// http-backend. The real istiod runs as its Deployment would once Argo
// CD has applied the control plane.
//
//   - Every Application, the root one and each layer's, becomes Synced
//     and Healthy at the commit, in sync-wave order: none is created
//     before the one of the wave before it is Synced and Healthy, and no
//     object of a layer is created before that.
//   - istiod patches its webhook's caBundle and failurePolicy, and a hard
//     refresh of every Application finds none OutOfSync, runs no sync
//     and changes no object: the rendered ignoreDifferences hold.
//   - A commit of the tree with one zone fewer prunes exactly that zone's
//     objects and keeps every other one.
func TestArgoCDSyncs(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	started := time.Now()
	am := startArgoMesh(ctx, t, nil)
	a := am.argo
	am.synced(ctx, t)
	if err := a.checkOrder(ctx); err != nil {
		t.Error(err)
	}
	am.running.checkControlPlane(ctx, t)
	am.settled(ctx, t, am.rendered)

	// istiod has patched its webhook: nothing is OutOfSync.
	if problems := a.refreshAgain(ctx, t, am.rev); problems != "" {
		t.Errorf("after istiod patched its webhook, a refresh found:\n%s", problems)
	}
	am.running.checkControlPlane(ctx, t) // nothing istiod did was reverted

	// One zone fewer: exactly its objects are pruned.
	am.removeZone(ctx, t, a)
	t.Logf("Argo CD test done after %v", time.Since(started).Round(time.Second))
}

// TestArgoCDChecksCatchBrokenTrees breaks the seed example's Argo CD tree
// on purpose, as a bug in meshrender's tree writer would, and requires
// TestArgoCDSyncs's checks to fail: the control plane's Application
// without its ignoreDifferences goes OutOfSync once istiod switches the
// webhook's failurePolicy, and self-heal sets it back.
func TestArgoCDChecksCatchBrokenTrees(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var app string
	am := startArgoMesh(ctx, t, func(cluster string) {
		apps := filepath.Join(cluster, "argocd", "apps")
		matches, err := filepath.Glob(filepath.Join(apps, "application-*-istio-control-plane.yaml"))
		if err != nil || len(matches) != 1 {
			t.Fatalf("the control plane's Application in %s: %v %v", apps, matches, err)
		}
		app = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(matches[0]), "application-"), ".yaml")
		editFile(t, matches[0], `  ignoreDifferences:
  - group: admissionregistration.k8s.io
    jqPathExpressions:
    - '.webhooks[]?.clientConfig.caBundle'
    - '.webhooks[]?.failurePolicy'
    kind: ValidatingWebhookConfiguration
`, "")
	})
	// Without its ignoreDifferences the Application fights istiod and
	// is never Synced for long (so the gateways' wave never starts):
	// the test waits for it to be found OutOfSync on the webhook, or
	// synced again, once istiod has patched the webhook.
	a := am.argo
	first, err := a.get(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	syncs := len(first.Status.History)
	if err := a.waitFor(ctx, app+" OutOfSync on the webhook", func() error {
		got, err := a.get(ctx, app)
		if err != nil {
			return err
		}
		for _, r := range got.Status.Resources {
			if r.Kind == "ValidatingWebhookConfiguration" && r.Status == "OutOfSync" {
				t.Logf("the check failed, as it must: %s", strings.TrimSpace(a.describeApp(got)))
				return nil
			}
		}
		if n := len(got.Status.History); n > syncs {
			t.Logf("the check failed, as it must: %s synced again (%d syncs, were %d)", app, n, syncs)
			return nil
		}
		return fmt.Errorf("%s is %s", app, got.Status.Sync.Status)
	}); err != nil {
		t.Errorf("without its ignoreDifferences, %s stayed Synced after istiod patched the webhook: %v", app, err)
	}
}

// argoMesh is a mesh's Argo CD tree committed to a Git server and synced
// by Argo CD into a simulated cluster, beside the real istiod.
type argoMesh struct {
	*gitopsCluster
	argo *argoState
	// rev is the commit every Application synced last.
	rev string
	// started is when the entry point was applied.
	started time.Time
}

// argoCDNamespace is where Argo CD runs and the tree's Applications are.
const argoCDNamespace = "argocd"

// argoCDCRDs reads the Application and AppProject CRDs of the Argo CD
// release golden/tools/argocd pins, the one the tests run. That module
// needs a newer Go than the project's; go.mod names the toolchain.
var argoCDCRDs = &thirdparty.Reader{Dir: filepath.Join("tools", "argocd"), Env: []string{"GOTOOLCHAIN=auto"}}

// startArgoMesh starts the cluster, Argo CD and a Git server, commits the
// seed example's tree (changed by edit, if not nil, given the cluster's
// folder), applies its argocd/ folder as `kubectl apply -k` would, starts
// istiod once Argo CD has applied the control plane, and waits for it to
// be ready.
func startArgoMesh(ctx context.Context, t *testing.T, edit func(cluster string)) *argoMesh {
	t.Helper()
	am := &argoMesh{gitopsCluster: startGitOpsCluster(ctx, t, gitops.ArgoCD, simcluster.Options{
		LoadBalancers: true,
		// Argo CD prunes in the foreground: the garbage collector
		// deletes an object's dependents and then the object.
		MoreControllers: []string{"garbage-collector-controller"},
	})}
	client := am.client
	installCRDsFrom(t, client, argoCDCRDs, thirdparty.ArgoCDApplication, thirdparty.ArgoCDAppProject)
	if _, err := client.Apply(ctx, append([][]byte{namespaceDoc(argoCDNamespace)}, argoCDSettings()...)); err != nil {
		t.Fatal(err)
	}
	procs := startArgoCD(ctx, t, am.server)

	rev := am.commit(t, am.mesh, "Istio for "+am.mesh.Metadata.Name, edit)
	root := am.mesh.Metadata.Name + "-istio"
	apps := []string{root}
	for _, l := range toolLayerOrder(t, gitops.ArgoCD, am.cluster) {
		apps = append(apps, root+"-"+l)
	}
	a := &argoState{client: client, procs: procs, apps: apps, firstCreated: map[string]int{}, firstHealthy: map[string]int{}, healthySince: map[string]time.Time{}}
	am.argo = a

	// The entry point, as `kubectl apply -k clusters/<mesh>/argocd`.
	started := time.Now()
	if _, err := client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "kubectl"}, splitDocs(kustomizeBuild(t, filepath.Join(am.cluster, "argocd")))); err != nil {
		t.Fatalf("applying the tree's Argo CD objects: %v", err)
	}
	am.startIstiodOnceApplied(ctx, t, a)
	t.Logf("istiod started %v after the entry point was applied", time.Since(started).Round(10*time.Millisecond))
	if err := am.running.istiod.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	am.rev, am.started = rev, started
	return am
}

// synced waits for every Application to be Synced and Healthy at the
// commit.
func (am *argoMesh) synced(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := am.argo.waitFor(ctx, "every Application Synced and Healthy at "+am.rev, func() error { return am.argo.allSynced(am.rev) }); err != nil {
		t.Fatal(err)
	}
	t.Logf("every Application Synced and Healthy %v after the entry point was applied", time.Since(am.started).Round(10*time.Millisecond))
}

// argoCDApplicationHealth is the health check of an Application that
// the README gives for argocd-cm: the Application's own health, once it
// is Synced. Argo CD's documented check, its health alone, lets the next
// wave start early: an Application whose first comparison failed (its
// kinds not yet served) reports Healthy with no resources.
const argoCDApplicationHealth = `hs = {status = "Progressing", message = ""}
if obj.status ~= nil and obj.status.health ~= nil and obj.status.sync ~= nil then
  if obj.status.sync.status == "Synced" then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  else
    hs.message = "not Synced yet"
  end
end
return hs
`

// argoCDSettings are what an Argo CD installation has beside its
// controllers, as its install manifests make them: argocd-cm,
// argocd-secret and the default AppProject. argocd-cm turns on the
// health of Applications, as the tree's README section asks, so that the
// root Application waits for each wave's Application to be Synced and
// healthy. The
// simulated cluster has no metrics API, so every autoscaler reports
// ScalingActive False (FailedGetResourceMetric), which Argo CD counts
// Degraded; argocd-cm counts an autoscaler healthy instead once it has
// scaled its target to its minimum, which is all an autoscaler does
// without metrics.
func argoCDSettings() [][]byte {
	labels := map[string]any{"app.kubernetes.io/part-of": "argocd"}
	meta := func(name string) map[string]any {
		return map[string]any{"name": name, "namespace": argoCDNamespace, "labels": labels}
	}
	docs := []map[string]any{
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("argocd-cm"), "data": map[string]any{
			"resource.customizations.health.argoproj.io_Application": argoCDApplicationHealth,
			"resource.customizations.health.autoscaling_HorizontalPodAutoscaler": `hs = {status = "Progressing", message = "below its minimum"}
if obj.status ~= nil and obj.status.currentReplicas ~= nil then
  local min = obj.spec.minReplicas or 1
  if obj.status.currentReplicas >= min then
    hs.status = "Healthy"
    hs.message = "at or above its minimum"
  end
end
return hs
`,
		}},
		{"apiVersion": "v1", "kind": "Secret", "metadata": meta("argocd-secret"), "type": "Opaque"},
		{"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": map[string]any{"name": "default", "namespace": argoCDNamespace},
			"spec": map[string]any{
				"sourceRepos":              []any{"*"},
				"destinations":             []any{map[string]any{"server": "*", "namespace": "*"}},
				"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
			}},
	}
	var out [][]byte
	for _, d := range docs {
		data, _ := json.Marshal(d)
		out = append(out, data)
	}
	return out
}

// argoCDComponents are the processes of an Argo CD installation the tests
// run.
type argoCDComponents struct {
	procs map[string]*proc.Process
}

// startArgoCD runs Redis, the repo-server and the application-controller
// as an Argo CD installation would, but as local processes of bin/argocd:
// plaintext gRPC and metrics on free loopback ports, and the
// in-cluster destination (https://kubernetes.default.svc) reached through
// a kubeconfig, as Argo CD's own local development runs them. The
// repo-server runs git and kustomize from PATH, bin/ first.
func startArgoCD(ctx context.Context, t *testing.T, server *apiserver.Server) *argoCDComponents {
	t.Helper()
	bin := binary(t, "argocd")
	version, err := builtFrom(bin, "argocd", "github.com/argoproj/argo-cd/v3")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Argo CD %s", version)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := apiserver.WriteKubeconfig(kubeconfig, server.Config); err != nil {
		t.Fatal(err)
	}
	free := func() int {
		p, err := ports.Free()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tools, err := filepath.Abs(binDir)
	if err != nil {
		t.Fatal(err)
	}
	tmp, scripts := filepath.Join(dir, "tmp"), filepath.Join(dir, "bin")
	for _, d := range []string{tmp, scripts} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The repo-server runs git-verify-wrapper.sh on every commit it
	// checks out (for the signature verification of older releases), a
	// script Argo CD's image has on PATH; it comes from the same module.
	wrapper, err := argoCDCRDs.Read(thirdparty.CRD{Module: "github.com/argoproj/argo-cd/v3", Path: "hack/git-verify-wrapper.sh"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(scripts, "git-verify-wrapper.sh"), wrapper[0], 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"KUBECONFIG="+kubeconfig, "ARGOCD_FAKE_IN_CLUSTER=true",
		"PATH="+strings.Join([]string{tools, scripts, os.Getenv("PATH")}, string(os.PathListSeparator)),
		// Each repo-server's checkouts, and the socket it answers git's
		// credential prompts on, are its own.
		"TMPDIR="+tmp, "ARGOCD_ASK_PASS_SOCK="+filepath.Join(dir, "ask-pass.sock"),
		"ARGOCD_GPG_ENABLED=false", "HOME="+dir,
	)
	ac := &argoCDComponents{procs: map[string]*proc.Process{}}
	t.Cleanup(func() {
		for name, p := range ac.procs {
			p.Stop()
			if t.Failed() {
				t.Logf("%s's log:\n%s", name, lastLines(p.Logs(), 40))
			}
		}
	})
	redis := "127.0.0.1:" + strconv.Itoa(free())
	repoServer := "127.0.0.1:" + strconv.Itoa(free())
	health := map[string]int{}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"redis", []string{redis}},
		{"repo-server", []string{"--address=127.0.0.1", "--port=" + strings.TrimPrefix(repoServer, "127.0.0.1:"), "--disable-tls", "--client-ca-path=", "--redis=" + redis}},
		{"application-controller", []string{"--namespace=" + argoCDNamespace, "--repo-server=" + repoServer, "--repo-server-plaintext", "--redis=" + redis}},
	} {
		args := append([]string{c.name}, c.args...)
		if c.name != "redis" {
			health[c.name] = free()
			args = append(args, "--metrics-port="+strconv.Itoa(health[c.name]), "--loglevel=info", "--logformat=text")
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		p, err := proc.Start(cmd, filepath.Join(dir, c.name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		ac.procs[c.name] = p
	}
	for name, port := range health {
		wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := ac.procs[name].WaitFor(wait, name+" healthy", func() error {
			resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/healthz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("/healthz: %s", resp.Status)
			}
			return nil
		})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	return ac
}

// argoState follows the tree's Applications: the poll in which each is
// first seen created, and Synced and Healthy.
type argoState struct {
	client *apiserver.Client
	procs  *argoCDComponents
	// apps are the root Application and the layers', in sync-wave order.
	apps []string
	// firstCreated and firstHealthy are the poll in which each was first
	// seen so; healthySince is its health's transition time then.
	firstCreated, firstHealthy map[string]int
	healthySince               map[string]time.Time
	polls                      int
	// orderErrs are sync-wave violations seen while polling.
	orderErrs []error
}

// application is the part of an Argo CD Application the test reads.
type application struct {
	Metadata struct {
		Name        string
		Annotations map[string]string
	}
	Status struct {
		Sync struct {
			Status, Revision string
		}
		Health struct {
			Status, Message    string
			LastTransitionTime time.Time `json:"lastTransitionTime"`
		}
		Resources []struct {
			Group, Version, Kind, Namespace, Name, Status string
		}
		OperationState *struct {
			Phase, Message string
			StartedAt      time.Time `json:"startedAt"`
		} `json:"operationState"`
		Conditions []struct{ Type, Message string }
		History    []struct{ Revision string }
	}
}

// synced reports whether a is Synced and Healthy.
func (a *application) synced() bool {
	return a.Status.Sync.Status == "Synced" && a.Status.Health.Status == "Healthy"
}

func (s *argoState) get(ctx context.Context, name string) (*application, error) {
	u, err := s.client.Get(ctx, "argoproj.io/v1alpha1", "Application", argoCDNamespace, name)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	a := &application{}
	return a, json.Unmarshal(data, a)
}

// poll reads every Application and records what it sees first: a layer's
// Application created, or Synced and Healthy, while the one of the wave
// before it is not Synced and Healthy breaks the sync-wave order. The
// Applications are read last wave first, so one seen created was created
// before the one before it was read.
func (s *argoState) poll(ctx context.Context) (map[string]*application, error) {
	s.polls++
	apps := map[string]*application{}
	for _, name := range slices.Backward(s.apps) {
		a, err := s.get(ctx, name)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		apps[name] = a
	}
	for i, name := range s.apps {
		a, ok := apps[name]
		if !ok {
			continue
		}
		for what, seen := range map[string]struct {
			now   bool
			first map[string]int
		}{"created": {true, s.firstCreated}, "Synced and Healthy": {a.synced(), s.firstHealthy}} {
			if _, ok := seen.first[name]; ok || !seen.now {
				continue
			}
			seen.first[name] = s.polls
			if what != "created" {
				s.healthySince[name] = a.Status.Health.LastTransitionTime
			}
			// The root Application is of no wave; the first layer's is the
			// first wave.
			if i < 2 {
				continue
			}
			// The one before may have been Synced and Healthy and be
			// Progressing again (an autoscaler scaling it up) by now.
			if _, ok := s.firstHealthy[s.apps[i-1]]; !ok {
				prev := "missing"
				if p, ok := apps[s.apps[i-1]]; ok {
					prev = p.Status.Sync.Status + " and " + p.Status.Health.Status
				}
				s.orderErrs = append(s.orderErrs, fmt.Errorf("%s was %s before %s, of the wave before, was Synced and Healthy (it is %s)", name, what, s.apps[i-1], prev))
			}
		}
	}
	return apps, nil
}

// waitFor polls the Applications and check until check succeeds, ctx
// ends, or an Argo CD process exits.
func (s *argoState) waitFor(ctx context.Context, what string, check func() error) error {
	wait, cancel := context.WithTimeout(ctx, 6*time.Minute)
	defer cancel()
	var last error
	for {
		if _, last = s.poll(wait); last == nil {
			if last = check(); last == nil {
				return nil
			}
		}
		for name, p := range s.procs.procs {
			if p.Exited() {
				return fmt.Errorf("%s: %s exited; its log:\n%s", what, name, lastLines(p.Logs(), 40))
			}
		}
		select {
		case <-wait.Done():
			return fmt.Errorf("%s: %v (last: %v)\n%s", what, wait.Err(), last, s.describe(ctx))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// describe says where every Application is, for a failed wait.
func (s *argoState) describe(ctx context.Context) string {
	var b strings.Builder
	for _, name := range s.apps {
		a, err := s.get(ctx, name)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", name, err)
			continue
		}
		b.WriteString(s.describeApp(a))
	}
	return b.String()
}

// describeApp says where one Application is: its sync and health, its
// last operation, its conditions and every resource not Synced.
func (s *argoState) describeApp(a *application) string {
	var b strings.Builder
	st := a.Status
	fmt.Fprintf(&b, "%s: %s at %q, %s %q", a.Metadata.Name, st.Sync.Status, st.Sync.Revision, st.Health.Status, st.Health.Message)
	if op := st.OperationState; op != nil {
		fmt.Fprintf(&b, ", operation %s %q", op.Phase, op.Message)
	}
	for _, c := range st.Conditions {
		fmt.Fprintf(&b, ", %s: %s", c.Type, c.Message)
	}
	b.WriteString("\n")
	for _, r := range st.Resources {
		if r.Status != "Synced" {
			fmt.Fprintf(&b, "  %s/%s %s/%s is %s\n", r.Group, r.Kind, r.Namespace, r.Name, r.Status)
		}
	}
	return b.String()
}

// allSynced is nil when every Application is Synced and Healthy at rev
// and its last sync succeeded.
func (s *argoState) allSynced(rev string) error {
	apps, err := s.poll(context.Background())
	if err != nil {
		return err
	}
	for _, name := range s.apps {
		a, ok := apps[name]
		if !ok {
			return fmt.Errorf("there is no Application %s", name)
		}
		if a.Status.Sync.Revision != rev || !a.synced() {
			return fmt.Errorf("%s", strings.TrimSpace(s.describeApp(a)))
		}
		if op := a.Status.OperationState; op == nil || op.Phase != "Succeeded" {
			return fmt.Errorf("%s's last sync did not succeed: %s", name, strings.TrimSpace(s.describeApp(a)))
		}
	}
	return nil
}

// checkOrder reports the sync-wave violations poll saw, and checks that
// the API server created every object of a layer no earlier than the
// second the layer before it became Synced and Healthy.
func (s *argoState) checkOrder(ctx context.Context) error {
	errs := slices.Clone(s.orderErrs)
	for i := 2; i < len(s.apps); i++ {
		prev, name := s.apps[i-1], s.apps[i]
		since, ok := s.healthySince[prev]
		if !ok {
			errs = append(errs, fmt.Errorf("%s was never seen Synced and Healthy", prev))
			continue
		}
		objs, err := s.resourcesOf(ctx, name)
		if err != nil {
			return err
		}
		for _, o := range objs {
			u, err := s.client.Get(ctx, o[0], o[1], o[2], o[3])
			if err != nil {
				return err
			}
			if created := u.GetCreationTimestamp().Time; created.Before(since) {
				errs = append(errs, fmt.Errorf("%s %s/%s of %s was created at %v, before %s became Healthy at %v", o[1], o[2], o[3], name, created, prev, since))
			}
		}
	}
	return errors.Join(errs...)
}

// resourcesOf lists the objects an Application manages, as apiVersion,
// kind, namespace and name.
func (s *argoState) resourcesOf(ctx context.Context, name string) ([][4]string, error) {
	a, err := s.get(ctx, name)
	if err != nil {
		return nil, err
	}
	var out [][4]string
	for _, r := range a.Status.Resources {
		gv := schema.GroupVersion{Group: r.Group, Version: r.Version}
		out = append(out, [4]string{gv.String(), r.Kind, r.Namespace, r.Name})
	}
	return out, nil
}

// refresh asks Argo CD to compare every Application with the branch's
// newest commit again, bypassing its manifest cache, as `argocd app get
// --hard-refresh` does: with the argocd.argoproj.io/refresh annotation.
// It returns once the controller has handled every request (and removed
// the annotation).
func (s *argoState) refresh(ctx context.Context, t *testing.T, why string) {
	t.Helper()
	var docs [][]byte
	for _, name := range s.apps {
		doc, _ := json.Marshal(map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": map[string]any{"name": name, "namespace": argoCDNamespace, "annotations": map[string]any{"argocd.argoproj.io/refresh": "hard"}},
		})
		docs = append(docs, doc)
	}
	if _, err := s.client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "argocd-cli"}, docs); err != nil {
		t.Fatal(err)
	}
	if err := s.waitFor(ctx, "every Application refreshed: "+why, func() error {
		for _, name := range s.apps {
			a, err := s.get(ctx, name)
			if err != nil {
				return err
			}
			if _, ok := a.Metadata.Annotations["argocd.argoproj.io/refresh"]; ok {
				return fmt.Errorf("%s has not handled the refresh yet", name)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// converge has Argo CD refresh every Application and waits until each is
// Synced and Healthy at the commit rev.
func (s *argoState) converge(ctx context.Context, t *testing.T, why, rev string) {
	t.Helper()
	s.refresh(ctx, t, why)
	if err := s.waitFor(ctx, "every Application Synced and Healthy at "+rev, func() error { return s.allSynced(rev) }); err != nil {
		t.Fatal(err)
	}
}

// refreshAgain has Argo CD compare every Application with the commit it
// synced last once more and returns what it found ("" for nothing):
// Applications not Synced and Healthy at rev, syncs run since, and the
// objects that changed.
func (s *argoState) refreshAgain(ctx context.Context, t *testing.T, rev string) string {
	t.Helper()
	before, err := s.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]time.Time{}
	for _, name := range s.apps {
		a, err := s.get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if op := a.Status.OperationState; op != nil {
			ops[name] = op.StartedAt
		}
	}
	s.refresh(ctx, t, "again")
	var b strings.Builder
	for _, name := range s.apps {
		a, err := s.get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status.Sync.Revision != rev || !a.synced() {
			b.WriteString(s.describeApp(a))
		} else if op := a.Status.OperationState; op != nil && !op.StartedAt.Equal(ops[name]) {
			fmt.Fprintf(&b, "%s: synced again at %v\n", name, op.StartedAt)
		}
	}
	after, err := s.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(snapshotDiff(before, after))
	return b.String()
}

// snapshot is every object the layers' Applications manage, as the API
// server holds it, without what changes on every write and what
// controllers report (see objectSnapshot).
func (s *argoState) snapshot(ctx context.Context) (map[string]string, error) {
	return s.eachManaged(ctx, objectSnapshot)
}

// uids are the UIDs of every object the layers' Applications manage.
func (s *argoState) uids(ctx context.Context) (map[string]string, error) {
	return s.eachManaged(ctx, func(u *unstructured.Unstructured) (string, error) { return string(u.GetUID()), nil })
}

// eachManaged reads every object the layers' Applications manage from
// the API server and returns what read makes of each, by object key.
func (s *argoState) eachManaged(ctx context.Context, read func(*unstructured.Unstructured) (string, error)) (map[string]string, error) {
	var objs [][4]string
	for _, name := range s.apps[1:] {
		o, err := s.resourcesOf(ctx, name)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	return readObjects(ctx, s.client, objs, read)
}
