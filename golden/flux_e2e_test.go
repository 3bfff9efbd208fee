//go:build e2e

package golden

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/istioproc"
	"github.com/meshrender/meshrender/golden/internal/ports"
	"github.com/meshrender/meshrender/golden/internal/proc"
	"github.com/meshrender/meshrender/golden/internal/simcluster"
	"github.com/meshrender/meshrender/golden/internal/thirdparty"
	"github.com/meshrender/meshrender/plugin/gitops"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// TestFluxReconciles hands the seed example's Flux tree to the real Flux:
// source-controller and kustomize-controller, built from the modules
// golden/tools/flux pins, run against an API server whose pods a real
// scheduler and controller manager place on simulated nodes, and clone
// the tree over smart HTTP from a real git http-backend. The real istiod
// runs as its Deployment would once Flux has applied the control plane.
//
//   - Every Kustomization becomes Ready, Healthy included, in its
//     dependsOn order: none is applied before the one it depends on is
//     Ready.
//   - istiod patches its webhooks, and a further reconciliation of every
//     layer changes no object and reverts nothing istiod did.
//   - A commit of the tree with one zone fewer prunes exactly that zone's
//     objects and keeps every other one.
//   - A commit with a change the API server rejects (a Service port out
//     of range, beside a valid change to another object of the layer)
//     changes nothing in the cluster, and its Kustomization is not Ready
//     with the API server's message.
func TestFluxReconciles(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	fm := startFluxMesh(ctx, t, nil)
	f, client := fm.flux, fm.client
	if err := f.checkOrder(ctx); err != nil {
		t.Error(err)
	}
	fm.running.checkControlPlane(ctx, t)
	fm.settled(ctx, t, fm.rendered)

	// A further reconciliation of the same revision changes nothing.
	if diff := fm.reconcileAgain(ctx, t); diff != "" {
		t.Errorf("reconciling the same revision again changed the cluster:\n%s", diff)
	}
	fm.running.checkControlPlane(ctx, t) // nothing istiod did was reverted

	// One zone fewer: exactly its objects are pruned.
	fewer := fm.removeZone(ctx, t, f)

	// A commit the API server rejects leaves the cluster as it was.
	before, err := f.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gateways := f.kustomizations[len(f.kustomizations)-1]
	bad := filepath.Join("istio", "gateways", "istio-ingress", "service-istio-ingressgateway.yaml")
	good := filepath.Join("istio", "gateways", "istio-ingress", "horizontalpodautoscaler-istio-ingressgateway.yaml")
	var rejected string
	rev := fluxRevision(fm.commit(t, fewer, "A port out of range", func(cluster string) {
		// The API server's own word on the broken Service, applied as
		// kustomize-controller applies it, in a dry run.
		svc := editFile(t, filepath.Join(cluster, bad), "\n    port: 80\n", "\n    port: 70000\n")
		_, err := client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "kustomize-controller", DryRun: true}, [][]byte{svc})
		var status apierrors.APIStatus
		if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
			t.Fatalf("the API server took a Service port of 70000 (%v)", err)
		}
		rejected = status.Status().Message
		hpa, err := os.ReadFile(filepath.Join(cluster, good))
		if err != nil {
			t.Fatal(err)
		}
		max := regexp.MustCompile(`\n  maxReplicas: [0-9]+\n`).Find(hpa)
		editFile(t, filepath.Join(cluster, good), string(max), "\n  maxReplicas: 99\n")
	}))
	f.reconcile(ctx, t, "a port out of range")
	if err := f.waitFor(ctx, gateways+" failing at "+rev, func() error {
		k, err := f.get(ctx, gateways)
		if err != nil {
			return err
		}
		if got := k.Status.LastAttemptedRevision; got != rev {
			return fmt.Errorf("%s last attempted %s", gateways, got)
		}
		ready := k.condition("Ready")
		if ready == nil || ready.Status != "False" || ready.Reason == "Progressing" {
			return fmt.Errorf("%s is %+v", gateways, ready)
		}
		if !strings.Contains(ready.Message, rejected) {
			return fmt.Errorf("%s's Ready message %q lacks the API server's %q", gateways, ready.Message, rejected)
		}
		t.Logf("%s: Ready=%s %s: %s", gateways, ready.Status, ready.Reason, ready.Message)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	after, err := f.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := snapshotDiff(before, after); diff != "" {
		t.Errorf("a commit the API server rejects changed the cluster:\n%s", diff)
	}
}

// TestFluxChecksCatchBrokenTrees breaks the seed example's Flux tree on
// purpose, as a bug in meshrender's tree writer would, and requires
// TestFluxReconciles's checks to fail: a validating webhook without
// kustomize.toolkit.fluxcd.io/ssa: IfNotPresent, whose failurePolicy Flux
// sets back on every reconciliation after istiod switched it to Fail.
func TestFluxChecksCatchBrokenTrees(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	webhook := filepath.Join("istio", "control-plane", "validatingwebhookconfiguration-istio-validator-istio-system.yaml")
	fm := startFluxMesh(ctx, t, func(cluster string) {
		editFile(t, filepath.Join(cluster, webhook), "\n    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent\n", "\n")
	})
	fm.running.checkControlPlane(ctx, t)
	fm.settled(ctx, t, fm.rendered)
	diff := fm.reconcileAgain(ctx, t)
	if !strings.Contains(diff, "admissionregistration.k8s.io/ValidatingWebhookConfiguration") {
		t.Errorf("reconciling a tree without the webhook's IfNotPresent again changed no webhook; the changes: %q", diff)
	} else {
		t.Logf("the check failed, as it must:\n%s", diff)
	}
}

// fluxMesh is a mesh's Flux tree committed to a Git server and
// reconciled by Flux into a simulated cluster, beside the real istiod.
type fluxMesh struct {
	*gitopsCluster
	flux *fluxState
	// rev is the revision every Kustomization applied last.
	rev string
}

// fluxRevision is a commit as Flux names the revision it applied.
func fluxRevision(commit string) string {
	return gitops.DefaultBranch + "@sha1:" + commit
}

// startFluxMesh starts the cluster, Flux and a Git server, commits the
// seed example's tree (changed by edit, if not nil, given the cluster's
// folder), applies its flux/ folder as `kubectl apply -k` would, starts
// istiod once Flux has applied the control plane, and waits for every
// Kustomization to be Ready at the commit.
func startFluxMesh(ctx context.Context, t *testing.T, edit func(cluster string)) *fluxMesh {
	t.Helper()
	fm := &fluxMesh{gitopsCluster: startGitOpsCluster(ctx, t, gitops.Flux, simcluster.Options{})}
	client := fm.client
	installCRDs(t, client, append([]thirdparty.CRD{thirdparty.FluxGitRepository, thirdparty.FluxKustomization}, thirdparty.FluxSourceKinds...)...)
	if _, err := client.Apply(ctx, [][]byte{namespaceDoc(fluxNamespace)}); err != nil {
		t.Fatal(err)
	}
	flux := startFlux(ctx, t, fm.server)

	rev := fluxRevision(fm.commit(t, fm.mesh, "Istio for "+fm.mesh.Metadata.Name, edit))
	layers := toolLayerOrder(t, gitops.Flux, fm.cluster)
	kustomizations := make([]string, len(layers))
	for i, l := range layers {
		kustomizations[i] = fm.mesh.Metadata.Name + "-istio-" + l
	}
	f := &fluxState{client: client, flux: flux, source: "meshrender-" + fm.mesh.Metadata.Name, kustomizations: kustomizations, firstApplied: map[string]int{}, firstReady: map[string]int{}}
	fm.flux = f

	// The entry point, as `kubectl apply -k clusters/<mesh>/flux`.
	started := time.Now()
	if _, err := client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "kubectl"}, splitDocs(kustomizeBuild(t, filepath.Join(fm.cluster, "flux")))); err != nil {
		t.Fatalf("applying the tree's Flux objects: %v", err)
	}
	fm.startIstiodOnceApplied(ctx, t, f)
	t.Logf("istiod started %v after the entry point was applied", time.Since(started).Round(10*time.Millisecond))
	if err := f.waitFor(ctx, "every Kustomization Ready at "+rev, func() error { return f.allReady(rev) }); err != nil {
		t.Fatal(err)
	}
	t.Logf("every layer Ready %v after the entry point was applied", time.Since(started).Round(10*time.Millisecond))
	if err := fm.running.istiod.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	fm.rev = rev
	return fm
}

// reconcileAgain has Flux reconcile every layer of the revision it
// applied last once more and returns what changed in the objects it
// applied ("" for nothing).
func (fm *fluxMesh) reconcileAgain(ctx context.Context, t *testing.T) string {
	t.Helper()
	before, err := fm.flux.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fm.flux.reconcile(ctx, t, "again")
	if err := fm.flux.waitFor(ctx, "every Kustomization reconciled again", func() error { return fm.flux.handled("again", fm.rev) }); err != nil {
		t.Fatal(err)
	}
	after, err := fm.flux.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return snapshotDiff(before, after)
}

const fluxNamespace = "flux-system"

// fluxControllers are Flux's controllers, running against an API server.
type fluxControllers struct {
	procs map[string]*proc.Process
}

// startFlux runs source-controller and kustomize-controller as the Flux
// installation would, but as local processes: every namespace watched, no
// leader election, metrics and health on free loopback ports, and
// source-controller's artifact server on loopback, advertised there.
// kustomize-controller retries a Kustomization whose dependencies are not
// ready every two seconds instead of every thirty.
func startFlux(ctx context.Context, t *testing.T, server *apiserver.Server) *fluxControllers {
	t.Helper()
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := apiserver.WriteKubeconfig(kubeconfig, server.Config); err != nil {
		t.Fatal(err)
	}
	free := func() string {
		p, err := ports.Free()
		if err != nil {
			t.Fatal(err)
		}
		return "127.0.0.1:" + strconv.Itoa(p)
	}
	fc := &fluxControllers{procs: map[string]*proc.Process{}}
	t.Cleanup(func() {
		for name, p := range fc.procs {
			p.Stop()
			if t.Failed() {
				t.Logf("%s's log:\n%s", name, lastLines(p.Logs(), 40))
			}
		}
	})
	storage := free()
	artifacts := filepath.Join(dir, "artifacts")
	if err := os.Mkdir(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	health := map[string]string{}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"source-controller", []string{
			"--storage-path=" + artifacts, "--storage-addr=" + storage, "--storage-adv-addr=" + storage,
		}},
		{"kustomize-controller", []string{"--requeue-dependency=2s", "--no-remote-bases=true"}},
	} {
		health[c.name] = free()
		bin := binary(t, "flux-"+c.name)
		version, err := builtFrom(bin, "flux", "github.com/fluxcd/"+c.name)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %s", c.name, version)
		cmd := exec.Command(bin, append([]string{
			"--watch-all-namespaces=true", "--enable-leader-election=false",
			"--metrics-addr=" + free(), "--health-addr=" + health[c.name],
			"--log-level=info", "--log-encoding=console",
		}, c.args...)...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "RUNTIME_NAMESPACE="+fluxNamespace)
		p, err := proc.Start(cmd, filepath.Join(dir, c.name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		fc.procs[c.name] = p
	}
	for name, addr := range health {
		wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := fc.procs[name].WaitFor(wait, name+" ready", func() error {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("/readyz: %s", resp.Status)
			}
			return nil
		})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	return fc
}

// builtFrom checks that the binary at path was built from the release
// of module that the tools module golden/tools/<tools> pins, and returns
// the release: make tools builds a binary only when it is missing, so
// one built before the pin changed would run the wrong release.
func builtFrom(path, tools, module string) (string, error) {
	gomod, err := os.ReadFile(filepath.Join("tools", tools, "go.mod"))
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(module) + ` (v\S+)(?: // indirect)?$`).FindSubmatch(gomod)
	if m == nil {
		return "", fmt.Errorf("golden/tools/%s/go.mod does not require %s", tools, module)
	}
	want := string(m[1])
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return "", err
	}
	// Built as a dependency's main package, the binary records that
	// module as its main one.
	for _, d := range append([]*debug.Module{&info.Main}, info.Deps...) {
		if d.Path == module {
			if d.Version != want {
				return "", fmt.Errorf("%s was built from %s %s, but golden/tools/%s pins %s: remove it, and make tools builds it again", path, module, d.Version, tools, want)
			}
			return want, nil
		}
	}
	return "", fmt.Errorf("%s was not built from %s", path, module)
}

// startIstiodFor starts the real istiod of the rendered Deployment d
// against the cluster Flux installs, as startMesh does for a mesh it
// applies itself.
func startIstiodFor(ctx context.Context, t *testing.T, server *apiserver.Server, client *apiserver.Client, rendered *renderedMesh, d *appsv1.Deployment) *runningMesh {
	t.Helper()
	m := &runningMesh{rendered: rendered, server: server, client: client, dir: t.TempDir(),
		istiods: map[string]*istioproc.Istiod{}, releases: map[string]string{}}
	m.istiod = m.startIstiod(ctx, t, d)
	return m
}

// fluxState follows the tree's Kustomizations: the order in which each
// is first seen applied (with objects in its inventory) and Ready.
type fluxState struct {
	client *apiserver.Client
	flux   *fluxControllers
	// source is the GitRepository.
	source string
	// kustomizations are the layers' Kustomizations, in dependsOn order.
	kustomizations []string
	// firstApplied and firstReady are the poll in which each was first
	// seen so.
	firstApplied, firstReady map[string]int
	polls                    int
	// orderErrs are dependsOn violations seen while polling.
	orderErrs []error
}

// kustomization is the part of a Flux Kustomization the test reads.
type kustomization struct {
	Metadata struct {
		Name        string
		Annotations map[string]string
	}
	Spec struct {
		DependsOn []struct{ Name string } `json:"dependsOn"`
	}
	Status struct {
		Conditions             []fluxCondition
		LastAppliedRevision    string `json:"lastAppliedRevision"`
		LastAttemptedRevision  string `json:"lastAttemptedRevision"`
		LastHandledReconcileAt string `json:"lastHandledReconcileAt"`
		Inventory              *struct {
			Entries []struct {
				ID string `json:"id"`
				V  string `json:"v"`
			}
		}
	}
}

type fluxCondition struct {
	Type, Status, Reason, Message string
	LastTransitionTime            time.Time `json:"lastTransitionTime"`
}

func (k *kustomization) condition(typ string) *fluxCondition {
	for i, c := range k.Status.Conditions {
		if c.Type == typ {
			return &k.Status.Conditions[i]
		}
	}
	return nil
}

func (f *fluxState) get(ctx context.Context, name string) (*kustomization, error) {
	u, err := f.client.Get(ctx, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", fluxNamespace, name)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	k := &kustomization{}
	return k, json.Unmarshal(data, k)
}

// poll reads every Kustomization and records what it sees first: a
// Kustomization applied, or Ready, while one it depends on is not Ready
// breaks the dependsOn order.
func (f *fluxState) poll(ctx context.Context) (map[string]*kustomization, error) {
	f.polls++
	ks := map[string]*kustomization{}
	for _, name := range f.kustomizations {
		k, err := f.get(ctx, name)
		if err != nil {
			return nil, err
		}
		ks[name] = k
	}
	for _, name := range f.kustomizations {
		k := ks[name]
		applied := k.Status.Inventory != nil && len(k.Status.Inventory.Entries) > 0
		ready := k.condition("Ready") != nil && k.condition("Ready").Status == "True"
		for what, seen := range map[string]struct {
			now   bool
			first map[string]int
		}{"applied": {applied, f.firstApplied}, "Ready": {ready, f.firstReady}} {
			if _, ok := seen.first[name]; ok || !seen.now {
				continue
			}
			seen.first[name] = f.polls
			for _, dep := range k.Spec.DependsOn {
				d, ok := ks[dep.Name]
				if !ok {
					f.orderErrs = append(f.orderErrs, fmt.Errorf("%s depends on %s, which is none of the tree's layers", name, dep.Name))
					continue
				}
				if c := d.condition("Ready"); c == nil || c.Status != "True" {
					f.orderErrs = append(f.orderErrs, fmt.Errorf("%s was %s while %s, which it depends on, was not Ready", name, what, dep.Name))
				}
			}
		}
	}
	return ks, nil
}

// waitFor polls the Kustomizations and check until check succeeds, ctx
// ends, or a Flux controller exits.
func (f *fluxState) waitFor(ctx context.Context, what string, check func() error) error {
	wait, cancel := context.WithTimeout(ctx, 6*time.Minute)
	defer cancel()
	var last error
	for {
		if _, last = f.poll(wait); last == nil {
			if last = check(); last == nil {
				return nil
			}
		}
		for name, p := range f.flux.procs {
			if p.Exited() {
				return fmt.Errorf("%s: %s exited; its log:\n%s", what, name, lastLines(p.Logs(), 40))
			}
		}
		select {
		case <-wait.Done():
			return fmt.Errorf("%s: %v (last: %v)\n%s", what, wait.Err(), last, f.describe(ctx))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// describe says where every Kustomization is, for a failed wait.
func (f *fluxState) describe(ctx context.Context) string {
	var b strings.Builder
	for _, name := range f.kustomizations {
		k, err := f.get(ctx, name)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", name, err)
			continue
		}
		fmt.Fprintf(&b, "%s: applied %q, attempted %q:", name, k.Status.LastAppliedRevision, k.Status.LastAttemptedRevision)
		for _, c := range k.Status.Conditions {
			fmt.Fprintf(&b, " %s=%s (%s: %s)", c.Type, c.Status, c.Reason, c.Message)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// allReady is nil when every Kustomization is Ready and Healthy with rev
// applied.
func (f *fluxState) allReady(rev string) error {
	ks, err := f.poll(context.Background())
	if err != nil {
		return err
	}
	for _, name := range f.kustomizations {
		k := ks[name]
		if k.Status.LastAppliedRevision != rev {
			return fmt.Errorf("%s has applied %q", name, k.Status.LastAppliedRevision)
		}
		for _, typ := range []string{"Ready", "Healthy"} {
			if c := k.condition(typ); c == nil || c.Status != "True" {
				return fmt.Errorf("%s is not %s: %+v", name, typ, c)
			}
		}
	}
	return nil
}

// checkOrder reports the dependsOn violations poll saw, and checks that
// every Kustomization was seen applied and Ready in the tree's layer
// order, and that the API server created every object of a layer no
// earlier than the second the layer before it became Ready.
func (f *fluxState) checkOrder(ctx context.Context) error {
	errs := slices.Clone(f.orderErrs)
	for i := 1; i < len(f.kustomizations); i++ {
		prev, name := f.kustomizations[i-1], f.kustomizations[i]
		if f.firstReady[name] < f.firstReady[prev] {
			errs = append(errs, fmt.Errorf("%s was Ready before %s", name, prev))
		}
		if f.firstApplied[name] < f.firstReady[prev] {
			errs = append(errs, fmt.Errorf("%s was applied before %s was Ready", name, prev))
		}
		p, err := f.get(ctx, prev)
		if err != nil {
			return err
		}
		ready := p.condition("Ready")
		if ready == nil || ready.Status != "True" {
			errs = append(errs, fmt.Errorf("%s is not Ready", prev))
			continue
		}
		objs, err := f.inventoryOf(ctx, name)
		if err != nil {
			return err
		}
		for _, o := range objs {
			u, err := f.client.Get(ctx, o[0], o[1], o[2], o[3])
			if err != nil {
				return err
			}
			if created := u.GetCreationTimestamp().Time; created.Before(ready.LastTransitionTime) {
				errs = append(errs, fmt.Errorf("%s %s/%s of %s was created at %v, before %s became Ready at %v", o[1], o[2], o[3], name, created, prev, ready.LastTransitionTime))
			}
		}
	}
	return errors.Join(errs...)
}

// reconcile asks source-controller to fetch the branch and every
// Kustomization to reconcile, as `flux reconcile` does: with the
// reconcile.fluxcd.io/requestedAt annotation.
func (f *fluxState) reconcile(ctx context.Context, t *testing.T, token string) {
	t.Helper()
	var docs [][]byte
	for _, o := range append([][2]string{{"source.toolkit.fluxcd.io/v1", "GitRepository/" + f.source}}, kustomizationKinds(f.kustomizations)...) {
		kind, name, _ := strings.Cut(o[1], "/")
		doc, _ := json.Marshal(map[string]any{
			"apiVersion": o[0], "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": fluxNamespace, "annotations": map[string]any{"reconcile.fluxcd.io/requestedAt": token}},
		})
		docs = append(docs, doc)
	}
	if _, err := f.client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "flux-client-side-apply"}, docs); err != nil {
		t.Fatal(err)
	}
}

// converge asks Flux to fetch the commit rev and waits until every
// Kustomization is Ready with it applied.
func (f *fluxState) converge(ctx context.Context, t *testing.T, why, rev string) {
	t.Helper()
	f.reconcile(ctx, t, why)
	rev = fluxRevision(rev)
	if err := f.waitFor(ctx, "every Kustomization Ready at "+rev, func() error { return f.allReady(rev) }); err != nil {
		t.Fatal(err)
	}
}

func kustomizationKinds(names []string) [][2]string {
	var out [][2]string
	for _, n := range names {
		out = append(out, [2]string{"kustomize.toolkit.fluxcd.io/v1", "Kustomization/" + n})
	}
	return out
}

// handled is nil when every Kustomization has handled the reconcile
// request token and is Ready at rev.
func (f *fluxState) handled(token, rev string) error {
	ks, err := f.poll(context.Background())
	if err != nil {
		return err
	}
	for _, name := range f.kustomizations {
		if got := ks[name].Status.LastHandledReconcileAt; got != token {
			return fmt.Errorf("%s last handled the request %q", name, got)
		}
	}
	return f.allReady(rev)
}

// inventory lists the objects in every Kustomization's inventory, as
// apiVersion, kind, namespace and name.
func (f *fluxState) inventory(ctx context.Context) ([][4]string, error) {
	var out [][4]string
	for _, name := range f.kustomizations {
		objs, err := f.inventoryOf(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// inventoryOf lists the objects in one Kustomization's inventory.
func (f *fluxState) inventoryOf(ctx context.Context, name string) ([][4]string, error) {
	k, err := f.get(ctx, name)
	if err != nil {
		return nil, err
	}
	if k.Status.Inventory == nil {
		return nil, fmt.Errorf("%s has no inventory", name)
	}
	var out [][4]string
	for _, e := range k.Status.Inventory.Entries {
		// namespace_name_group_kind
		parts := strings.Split(e.ID, "_")
		if len(parts) != 4 {
			return nil, fmt.Errorf("%s: inventory entry %q", name, e.ID)
		}
		gv := schema.GroupVersion{Group: parts[2], Version: e.V}
		out = append(out, [4]string{gv.String(), parts[3], parts[0], parts[1]})
	}
	return out, nil
}

// snapshot is every object Flux applied, as the API server holds it,
// without what changes on every write and what controllers report (see
// objectSnapshot).
func (f *fluxState) snapshot(ctx context.Context) (map[string]string, error) {
	return f.eachApplied(ctx, objectSnapshot)
}

// objectSnapshot is an object as the API server holds it, without what
// changes on every write and what controllers report (status, and the
// managed fields of the status subresource).
func objectSnapshot(u *unstructured.Unstructured) (string, error) {
	c := u.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(c.Object, "status")
	var managed []any
	for _, m := range c.GetManagedFields() {
		if m.Subresource == "" {
			data, _ := json.Marshal(m)
			var v any
			_ = json.Unmarshal(data, &v)
			managed = append(managed, v)
		}
	}
	unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
	c.Object["managedFields"] = managed
	data, err := json.MarshalIndent(c.Object, "", " ")
	return string(data), err
}

// uids are the UIDs of every object Flux applied.
func (f *fluxState) uids(ctx context.Context) (map[string]string, error) {
	return f.eachApplied(ctx, func(u *unstructured.Unstructured) (string, error) { return string(u.GetUID()), nil })
}

// eachApplied reads every object of the Kustomizations' inventories from
// the API server and returns what read makes of each, by object key.
func (f *fluxState) eachApplied(ctx context.Context, read func(*unstructured.Unstructured) (string, error)) (map[string]string, error) {
	inv, err := f.inventory(ctx)
	if err != nil {
		return nil, err
	}
	return readObjects(ctx, f.client, inv, read)
}

// readObjects reads objects (apiVersion, kind, namespace and name) from
// the API server and returns what read makes of each, by object key.
func readObjects(ctx context.Context, c *apiserver.Client, objs [][4]string, read func(*unstructured.Unstructured) (string, error)) (map[string]string, error) {
	out := map[string]string{}
	for _, o := range objs {
		u, err := c.Get(ctx, o[0], o[1], o[2], o[3])
		if err != nil {
			return nil, err
		}
		if out[objectKey(o[0], o[1], o[2], o[3])], err = read(u); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func objectKey(apiVersion, kind, namespace, name string) string {
	group := schema.FromAPIVersionAndKind(apiVersion, kind).Group
	return group + "/" + kind + " " + namespace + "/" + name
}

// snapshotDiff names the objects that differ, with both versions' lines
// that differ.
func snapshotDiff(before, after map[string]string) string {
	var b strings.Builder
	union := maps.Clone(before)
	maps.Copy(union, after)
	keys := slices.Sorted(maps.Keys(union))
	for _, k := range keys {
		x, okx := before[k]
		y, oky := after[k]
		switch {
		case !okx:
			fmt.Fprintf(&b, "%s appeared\n", k)
		case !oky:
			fmt.Fprintf(&b, "%s is gone\n", k)
		case x != y:
			xl, yl := strings.Split(x, "\n"), strings.Split(y, "\n")
			fmt.Fprintf(&b, "%s changed:\n", k)
			for _, l := range xl {
				if !slices.Contains(yl, l) {
					fmt.Fprintf(&b, "  - %s\n", l)
				}
			}
			for _, l := range yl {
				if !slices.Contains(xl, l) {
					fmt.Fprintf(&b, "  + %s\n", l)
				}
			}
		}
	}
	return b.String()
}

// zoneObjects renders both meshes and returns the objects of the first
// that the second lacks, and those both have.
func zoneObjects(t *testing.T, with, without v1alpha1.Mesh) (removed, kept []objectRef) {
	t.Helper()
	a, err := render.Render(with)
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.Render(without)
	if err != nil {
		t.Fatal(err)
	}
	key := func(o render.Object) objectRef {
		return objectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
	}
	var inB []objectRef
	for _, o := range b {
		inB = append(inB, key(o))
	}
	for _, o := range a {
		if k := key(o); slices.Contains(inB, k) {
			kept = append(kept, k)
		} else {
			removed = append(removed, k)
		}
	}
	return removed, kept
}

type objectRef struct {
	APIVersion, Kind, Namespace, Name string
}

// editFile replaces old, which must be in the file once, with new, and
// returns the file's new content.
func editFile(t *testing.T, path, old, new string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), old); n != 1 {
		t.Fatalf("%s has %q %d times, want once", path, old, n)
	}
	data = []byte(strings.Replace(string(data), old, new, 1))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}
