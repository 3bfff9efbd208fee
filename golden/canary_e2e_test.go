//go:build e2e

package golden

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
)

// objectID identifies an object on the server.
type objectID struct{ APIVersion, Kind, Namespace, Name string }

func (id objectID) String() string {
	if id.Namespace == "" {
		return id.Kind + " " + id.Name
	}
	return id.Kind + " " + id.Namespace + "/" + id.Name
}

// inventory is what one step rendered, as a GitOps tool records it to
// prune what a later step no longer renders.
type inventory struct {
	docs [][]byte
	ids  []objectID
	// keep are the objects neither Flux nor Argo CD may prune:
	// application namespaces.
	keep map[objectID]bool
}

// managedBy selects what meshrender renders: every object but the
// application namespaces, which are their teams'.
const managedBy = "app.kubernetes.io/managed-by=meshrender"

func stepInventory(t *testing.T, stream []byte) inventory {
	t.Helper()
	inv := inventory{keep: map[objectID]bool{}}
	var objs []*unstructured.Unstructured
	inv.docs, objs = decodeObjects(t, stream)
	for _, u := range objs {
		id := objectID{u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName()}
		inv.ids = append(inv.ids, id)
		// Kept only when both tools are told so: Flux by its prune
		// annotation, Argo CD by its sync options.
		a := u.GetAnnotations()
		if a["kustomize.toolkit.fluxcd.io/prune"] == "disabled" && slices.Contains(strings.Split(a["argocd.argoproj.io/sync-options"], ","), "Prune=false") {
			inv.keep[id] = true
		}
		// The rollback finds what a step left behind by this label.
		if key, value, _ := strings.Cut(managedBy, "="); !inv.keep[id] && u.GetLabels()[key] != value {
			t.Fatalf("%s is not labelled %s", id, managedBy)
		}
	}
	return inv
}

// applyStep applies a step the way Flux reconciles a changed tree:
// server-side under its field manager, then pruning, in reverse install
// order, what the previous step rendered and this one does not, except
// what is annotated prune: disabled.
func applyStep(ctx context.Context, t *testing.T, c *apiserver.Client, prev, next inventory) {
	t.Helper()
	if _, err := c.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "kustomize-controller"}, next.docs); err != nil {
		t.Fatalf("applying: %v", err)
	}
	if w := c.Warnings(); len(w) > 0 {
		t.Errorf("the API server warned: %v", w)
	}
	for _, id := range slices.Backward(prev.ids) {
		if slices.Contains(next.ids, id) || prev.keep[id] {
			continue
		}
		if err := c.Delete(ctx, id.APIVersion, id.Kind, id.Namespace, id.Name); err != nil {
			t.Fatalf("pruning %s: %v", id, err)
		}
	}
}

// TestCanaryUpgrade applies the steps of examples/canary in order to one
// API server, pruning as Flux does, and then the same steps in reverse,
// the rollback. After every step: no object the cluster has once (CRDs,
// namespaces, the mesh-wide policy) is gone, the teams' namespaces keep
// their own labels and carry the injection label of the step, every
// revision of the step has its istiod and no other does, every tag's
// webhooks select its label and call its revision's istiod, and the
// gateways run their revision's release. The rollback ends where the
// upgrade started, byte for byte, with nothing a later step rendered
// left on the server.
func TestCanaryUpgrade(t *testing.T) {
	steps := Steps(examples(t), "canary")
	if len(steps) < 6 {
		t.Fatalf("%d canary steps, want at least 6", len(steps))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, c := newServer(t)

	// The application teams own their namespaces.
	for _, name := range []string{"shop", "payments"} {
		ns := fmt.Sprintf(`{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": %q, "labels": {"team": %q}}}`, name, name)
		if _, err := c.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "team"}, [][]byte{[]byte(ns)}); err != nil {
			t.Fatal(err)
		}
	}

	// Every step is rendered and decoded once, for the upgrade and the
	// rollback. kinds are the kinds any step renders.
	invs := make([]inventory, len(steps))
	meshes := make([]v1alpha1.Mesh, len(steps))
	kinds := map[objectID]bool{}
	for i, step := range steps {
		invs[i], meshes[i] = stepInventory(t, renderExample(t, step)), exampleMesh(t, step)
		for _, id := range invs[i].ids {
			kinds[objectID{APIVersion: id.APIVersion, Kind: id.Kind}] = true
		}
	}
	order := make([]int, 0, 2*len(steps)-1)
	for i := range steps {
		order = append(order, i)
	}
	for i := len(steps) - 2; i >= 0; i-- {
		order = append(order, i)
	}
	var prev inventory
	var start map[objectID][]byte
	for n, i := range order {
		step := steps[i]
		direction := "upgrade"
		if n >= len(steps) {
			direction = "rollback"
		}
		t.Run(fmt.Sprintf("%02d-%s-%s", n+1, direction, strings.TrimPrefix(step.Name, "canary/")), func(t *testing.T) {
			next := invs[i]
			applyStep(ctx, t, c, prev, next)
			checkCanaryStep(ctx, t, c, *meshes[i].DeepCopy(), next)
			switch n {
			case 1:
				applyKeepAliveRule(ctx, t, c)
			case len(order) - 1:
				checkKeepAliveRuleAfterRollback(ctx, t, c)
			}
			if n == 0 {
				start = snapshot(ctx, t, c, next.ids)
			}
			prev = next
		})
	}
	t.Run("rollback ends where the upgrade started", func(t *testing.T) {
		end := snapshot(ctx, t, c, prev.ids)
		for _, id := range sortedIDs(start) {
			if !bytes.Equal(start[id], end[id]) {
				t.Errorf("%s differs after the rollback:\nbefore: %s\nafter:  %s", id, start[id], end[id])
			}
		}
		// Nothing a later step rendered is left: the server holds
		// exactly step 0's objects of meshrender's.
		want := map[objectID]bool{}
		for _, id := range prev.ids {
			if !prev.keep[id] {
				want[id] = true
			}
		}
		got := map[objectID]bool{}
		for kind := range kinds {
			objs, err := c.List(ctx, kind.APIVersion, kind.Kind, managedBy)
			if err != nil {
				t.Fatalf("listing %s: %v", kind.Kind, err)
			}
			for _, u := range objs {
				got[objectID{kind.APIVersion, kind.Kind, u.GetNamespace(), u.GetName()}] = true
			}
		}
		for _, id := range sortedIDs(got) {
			if !want[id] {
				t.Errorf("%s is left after the rollback; the first step does not render it", id)
			}
		}
		for _, id := range sortedIDs(want) {
			if !got[id] {
				t.Errorf("%s, which the first step renders, is not among the server's objects labelled %s", id, managedBy)
			}
		}
	})
	t.Run("a namespace that leaves the mesh stays", func(t *testing.T) {
		m := *meshes[0].DeepCopy()
		m.Spec.Namespaces = m.Spec.Namespaces[:1]
		out, err := renderYAML(m)
		if err != nil {
			t.Fatal(err)
		}
		applyStep(ctx, t, c, prev, stepInventory(t, out))
		ns, err := c.Get(ctx, "v1", "Namespace", "", "payments")
		if err != nil {
			t.Fatalf("namespace payments is gone: %v", err)
		}
		if ns.GetLabels()["team"] != "payments" {
			t.Errorf("namespace payments lost its team's label: %v", ns.GetLabels())
		}
	})
}

// keepAliveRule is a team's DestinationRule using a field Istio 1.31's
// CRD added, http2KeepAlive: valid once step 2 has moved the CRDs to
// 1.31, unknown to 1.30's.
const keepAliveRule = `{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
  "metadata": {"name": "keepalive", "namespace": "shop"},
  "spec": {"host": "web.shop.svc.cluster.local",
    "trafficPolicy": {"connectionPool": {"http": {"http2KeepAlive": {"interval": "30s"}}}}}}`

// applyKeepAliveRule applies keepAliveRule, which the API server must keep
// whole under 1.31's CRDs.
func applyKeepAliveRule(ctx context.Context, t *testing.T, c *apiserver.Client) {
	t.Helper()
	if _, err := c.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "team"}, [][]byte{[]byte(keepAliveRule)}); err != nil {
		t.Fatalf("a DestinationRule with http2KeepAlive under 1.31's CRDs: %v", err)
	}
	if got := keepAliveInterval(ctx, t, c); got != "30s" {
		t.Fatalf("under 1.31's CRDs the rule's http2KeepAlive.interval is %q, want 30s", got)
	}
}

// checkKeepAliveRuleAfterRollback: back at step 1, with 1.30's CRDs, the
// API server prunes the field 1.30's CRD does not know from what it
// serves, as the canary README says, and the rule is removed again.
func checkKeepAliveRuleAfterRollback(ctx context.Context, t *testing.T, c *apiserver.Client) {
	t.Helper()
	if got := keepAliveInterval(ctx, t, c); got != "" {
		t.Errorf("under 1.30's CRDs the rule still has http2KeepAlive.interval %q; the canary README says the API server prunes it", got)
	}
	if err := c.Delete(ctx, "networking.istio.io/v1", "DestinationRule", "shop", "keepalive"); err != nil {
		t.Fatal(err)
	}
}

func keepAliveInterval(ctx context.Context, t *testing.T, c *apiserver.Client) string {
	t.Helper()
	u, err := c.Get(ctx, "networking.istio.io/v1", "DestinationRule", "shop", "keepalive")
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := unstructured.NestedString(u.Object, "spec", "trafficPolicy", "connectionPool", "http", "http2KeepAlive", "interval")
	return got
}

// sortedIDs are the keys of m, in order.
func sortedIDs[V any](m map[objectID]V) []objectID {
	return slices.SortedFunc(maps.Keys(m), func(a, b objectID) int { return strings.Compare(a.String(), b.String()) })
}

// checkCanaryStep checks the cluster after a step.
func checkCanaryStep(ctx context.Context, t *testing.T, c *apiserver.Client, m v1alpha1.Mesh, inv inventory) {
	t.Helper()
	if err := m.Default(); err != nil {
		t.Fatal(err)
	}
	s := m.Spec
	for _, id := range inv.ids {
		if _, err := c.Get(ctx, id.APIVersion, id.Kind, id.Namespace, id.Name); err != nil {
			t.Errorf("%s, which the step renders, is not on the server: %v", id, err)
		}
	}
	for _, shared := range []objectID{
		{"apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "gateways.networking.istio.io"},
		{"v1", "Namespace", "", "istio-system"},
		{"v1", "Namespace", "", "istio-ingress"},
		{"security.istio.io/v1", "PeerAuthentication", "istio-system", "default"},
		{"v1", "ServiceAccount", "istio-system", "istio-reader-service-account"},
	} {
		if _, err := c.Get(ctx, shared.APIVersion, shared.Kind, shared.Namespace, shared.Name); err != nil {
			t.Errorf("shared %s is gone: %v", shared, err)
		}
	}
	revisionOf := func(ref string) string {
		if rev, ok := s.Tags[ref]; ok {
			return rev
		}
		return ref
	}
	release := map[string]string{}
	for _, r := range s.Revisions {
		release[r.Name] = r.Version
	}
	for _, ns := range s.Namespaces {
		u, err := c.Get(ctx, "v1", "Namespace", "", ns.Name)
		if err != nil {
			t.Errorf("namespace %s: %v", ns.Name, err)
			continue
		}
		if got := u.GetLabels()["istio.io/rev"]; got != ns.Revision {
			t.Errorf("namespace %s is labelled istio.io/rev=%q, want %q", ns.Name, got, ns.Revision)
		}
		if u.GetLabels()["team"] != ns.Name {
			t.Errorf("namespace %s lost its team's label: %v", ns.Name, u.GetLabels())
		}
	}
	for _, rev := range []string{"1-30-8", "1-31-4"} {
		_, err := c.Get(ctx, "apps/v1", "Deployment", "istio-system", "istiod-"+rev)
		_, want := release[rev]
		switch {
		case want && err != nil:
			t.Errorf("istiod-%s is gone while the step still has revision %s: %v", rev, rev, err)
		case !want && err == nil:
			t.Errorf("istiod-%s is still there, but the step has no revision %s", rev, rev)
		case !want && !apierrors.IsNotFound(err):
			t.Errorf("istiod-%s: %v", rev, err)
		}
	}
	for tag, rev := range s.Tags {
		mwc, err := c.Get(ctx, "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "", "istio-revision-tag-"+tag)
		if err != nil {
			t.Errorf("tag %s has no webhook configuration: %v", tag, err)
			continue
		}
		if err := checkTagWebhooks(mwc, tag, "istiod-"+rev); err != nil {
			t.Errorf("tag %s: %v", tag, err)
		}
	}
	for name, dep := range map[string]string{"ingress": "istio-ingress/istio-ingressgateway", "egress": "istio-system/istio-egressgateway"} {
		ref := s.Ingress.Revision
		if name == "egress" {
			ref = s.Egress.Revision
		}
		ns, n, _ := strings.Cut(dep, "/")
		u, err := c.Get(ctx, "apps/v1", "Deployment", ns, n)
		if err != nil {
			t.Errorf("the %s gateway: %v", name, err)
			continue
		}
		raw, _ := json.Marshal(u.Object)
		if want := "proxyv2:" + release[revisionOf(ref)]; !bytes.Contains(raw, []byte(want)) {
			t.Errorf("the %s gateway follows %s but does not run %s", name, ref, want)
		}
	}
}

// checkTagWebhooks checks that a tag's webhooks select the tag and call
// the istiod Service of its revision.
func checkTagWebhooks(mwc *unstructured.Unstructured, tag, service string) error {
	hooks, _, _ := unstructured.NestedSlice(mwc.Object, "webhooks")
	if len(hooks) == 0 {
		return fmt.Errorf("no webhooks")
	}
	for _, h := range hooks {
		hook := h.(map[string]any)
		svc, _, _ := unstructured.NestedString(hook, "clientConfig", "service", "name")
		if svc != service {
			return fmt.Errorf("webhook %v calls %s, want %s", hook["name"], svc, service)
		}
	}
	raw, _ := json.Marshal(hooks[0])
	if want := fmt.Sprintf(`{"key":"istio.io/rev","operator":"In","values":[%q]}`, tag); !bytes.Contains(raw, []byte(want)) {
		return fmt.Errorf("its first webhook does not select namespaces labelled istio.io/rev=%s: %s", tag, raw)
	}
	return nil
}

// snapshot reads objects as the server holds them, without what the
// server sets itself.
func snapshot(ctx context.Context, t *testing.T, c *apiserver.Client, ids []objectID) map[objectID][]byte {
	t.Helper()
	out := map[objectID][]byte{}
	for _, id := range ids {
		u, err := c.Get(ctx, id.APIVersion, id.Kind, id.Namespace, id.Name)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		for _, f := range []string{"resourceVersion", "managedFields", "uid", "creationTimestamp", "generation"} {
			unstructured.RemoveNestedField(u.Object, "metadata", f)
		}
		unstructured.RemoveNestedField(u.Object, "status")
		// What the server allocates or counts: a Service deleted and
		// created again gets another address, and every change of a pod
		// template counts up the DaemonSet's generation.
		unstructured.RemoveNestedField(u.Object, "spec", "clusterIP")
		unstructured.RemoveNestedField(u.Object, "spec", "clusterIPs")
		unstructured.RemoveNestedField(u.Object, "metadata", "annotations", "deprecated.daemonset.template.generation")
		data, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = data
	}
	return out
}

// TestRevisionTagsInjectWithTheirRevision runs both istiods of the
// canary's steps 3 and 5, a 1.30 and a 1.31 one side by side against one
// API server, where stable (and default) name 1-30-8 and canary names
// 1-31-4. Each istiod patches its own webhooks and its tags', and a pod
// created in a namespace labelled with a tag is injected by the istiod of
// the tag's revision with that revision's proxy release: canary by the
// new one, stable and istio-injection=enabled (the default tag) by the old
// one. Each injected pod's agent, of its own release, gets its certificate
// and a sidecar's listeners from the istiod that injected it; each
// gateway's from the istiod of the revision it follows, 1-30-8 in step 3
// and 1-31-4 in step 5.
func TestRevisionTagsInjectWithTheirRevision(t *testing.T) {
	for _, name := range []string{"canary/3-canary-tagged", "canary/5-gateways-moved"} {
		t.Run(path.Base(name), func(t *testing.T) {
			checkRevisionsSideBySide(t, exampleNamed(t, name))
		})
	}
}

func checkRevisionsSideBySide(t *testing.T, step Example) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	mesh := startMesh(ctx, t, renderExample(t, step))
	if len(mesh.istiods) != 2 {
		t.Fatalf("%d istiods running, want the two revisions'", len(mesh.istiods))
	}
	mesh.checkControlPlane(ctx, t)
	for _, tt := range []struct {
		namespace       string
		labels          map[string]string
		revision, proxy string
	}{
		{"canary-app", map[string]string{"istio.io/rev": "canary"}, "1-31-4", "proxyv2:1.31.4"},
		{"stable-app", map[string]string{"istio.io/rev": "stable"}, "1-30-8", "proxyv2:1.30.8"},
		{"legacy-app", map[string]string{"istio-injection": "enabled"}, "1-30-8", "proxyv2:1.30.8"},
	} {
		pod, problems, err := mesh.deployApp(ctx, t, tt.namespace, tt.labels, true)
		for _, p := range problems {
			t.Errorf("%s: %v", tt.namespace, p)
		}
		if err != nil {
			t.Errorf("%s: %v", tt.namespace, err)
			continue
		}
		var status struct{ Revision string }
		if err := json.Unmarshal([]byte(pod.Annotations["sidecar.istio.io/status"]), &status); err != nil {
			t.Errorf("%s: the pod was not injected: %v", tt.namespace, err)
			continue
		}
		if status.Revision != tt.revision {
			t.Errorf("%s (%v): injected by revision %q, want %q", tt.namespace, tt.labels, status.Revision, tt.revision)
			continue
		}
		for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
			if strings.Contains(c.Image, "proxyv2") && !strings.HasSuffix(c.Image, tt.proxy) {
				t.Errorf("%s: %s runs %s, want %s", tt.namespace, c.Name, c.Image, tt.proxy)
			}
		}
		istiod := mesh.istiods[tt.revision]
		want := injection{discoveryAddress: istiod.Service + "." + istiod.Namespace + ".svc:15012", proxyConfig: map[string]any{}}
		if err := mesh.runSidecar(ctx, t, pod, want); err != nil {
			t.Errorf("%s: %v", tt.namespace, err)
		}
	}
	for _, gw := range mesh.rendered.gateways() {
		if err := mesh.checkGateway(ctx, t, gw); err != nil {
			t.Errorf("gateway %s/%s: %v", gw.Namespace, gw.Name, err)
		}
	}
	for rev, istiod := range mesh.istiods {
		if err := checkIstiodLogs(istiod.Logs()); err != nil {
			t.Errorf("istiod-%s: %v", rev, err)
		}
	}
}
