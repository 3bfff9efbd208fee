//go:build e2e

package golden

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/meshrender/meshrender/golden/internal/simcluster"
)

// nodesPerZone is how many simulated nodes each zone gets: more than a
// zonal gateway's minimum replicas, so a pod that ignores its zone's
// affinity has somewhere else to go.
const nodesPerZone = 3

// TestZonalGatewaysScheduleInTheirZone applies every example with two or
// more zones (the seed example among them) to an API server with a real
// scheduler and controller manager and simulated nodes in the example's
// zones, and checks where the pods land: every zonal gateway's pods only
// on nodes of its zone, the all-zone gateways' pods spread evenly over
// the zones, every Deployment scaled to its autoscaler's minimum and
// Available, every DaemonSet (istio-cni's) with a ready pod on every
// node. Draining one zone then evicts everything there but the last pod
// of each of its zonal gateways that has a disruption budget (the
// Eviction API answers 429), and leaves the other zones' zonal gateways
// untouched. Renders of the seed example broken on purpose must fail
// these checks: zonal gateways without their node affinity, and zonal
// disruption budgets that allow every eviction.
func TestZonalGatewaysScheduleInTheirZone(t *testing.T) {
	zonal := 0
	for _, e := range examples(t) {
		m := exampleMesh(t, e)
		if len(m.Spec.Zones) < 2 || e.Sequence != "" {
			continue
		}
		zonal++
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			sc := startScheduledMesh(ctx, t, m.Spec.Zones, renderExample(t, e))
			if err := sc.checkPlacement(ctx); err != nil {
				t.Fatal(err)
			}
			if err := sc.checkZoneDrain(ctx, t, m.Spec.Zones[0]); err != nil {
				t.Error(err)
			}
		})
	}
	if zonal == 0 {
		t.Fatal("no example has two or more zones")
	}
	// The seed example broken on purpose: each check must catch its
	// breakage.
	e := exampleNamed(t, "seed-3-zones")
	m := exampleMesh(t, e)
	for _, tt := range []struct {
		name, overlays string
		check          func(ctx context.Context, t *testing.T, sc *scheduledMesh) error
		// want is part of the failure the check must report.
		want string
	}{
		{"zonal affinity removed", `
spec:
  overlays:
  - target: {group: apps, kind: Deployment, namespace: "istio-ingress.*--.*"}
    patch: |
      - {op: remove, path: /spec/template/spec/affinity}
`, func(ctx context.Context, _ *testing.T, sc *scheduledMesh) error {
			return sc.checkPlacement(ctx)
		}, "runs outside its zone"},
		{"zonal disruption budgets allowing every eviction", `
spec:
  overlays:
  - target: {group: policy, kind: PodDisruptionBudget, namespace: "istio-ingress.*--.*"}
    patch: |
      - {op: replace, path: /spec/minAvailable, value: 0}
`, func(ctx context.Context, t *testing.T, sc *scheduledMesh) error {
			if err := sc.checkPlacement(ctx); err != nil {
				t.Fatal(err)
			}
			return sc.checkZoneDrain(ctx, t, m.Spec.Zones[0])
		}, "had 0 evictions refused, want 1"},
	} {
		t.Run(e.Name+" with "+tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			broken := m.DeepCopy()
			broken.Spec.Overlays = append(broken.Spec.Overlays, brokenMesh(t, tt.overlays).Spec.Overlays...)
			out, err := renderYAML(*broken)
			if err != nil {
				t.Fatal(err)
			}
			sc := startScheduledMesh(ctx, t, m.Spec.Zones, out)
			err = tt.check(ctx, t, sc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("the check on a broken render reported %v, want a failure saying %q", err, tt.want)
			} else {
				t.Logf("the check failed, as it must: %s", strings.SplitN(err.Error(), "\n", 2)[0])
			}
		})
	}
}

// scheduledMesh is a rendered mesh applied to an API server whose pods
// are scheduled onto simulated nodes.
type scheduledMesh struct {
	rendered *renderedMesh
	kube     kubernetes.Interface
	cluster  *simcluster.Cluster
	// zoneOf is every node's zone.
	zoneOf map[string]string
	zones  []string
}

// startScheduledMesh starts an API server with a cluster of nodesPerZone
// nodes in each zone and applies the rendered stream to it.
func startScheduledMesh(ctx context.Context, t *testing.T, zones []string, stream []byte) *scheduledMesh {
	t.Helper()
	server, client := newServer(t)
	nodes := simcluster.NodesInZones(zones, nodesPerZone)
	started := time.Now()
	c, err := simcluster.Start(ctx, simcluster.Options{BinDir: binDir, Dir: t.TempDir(), Server: server.Config, Nodes: nodes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the pods:\n%s", podSummary(client.Kube))
		}
		c.Stop()
		if t.Failed() {
			t.Logf("the cluster's logs:\n%s", c.Logs())
		}
	})
	t.Logf("%d nodes ready after %v", len(nodes), time.Since(started).Round(10*time.Millisecond))
	sc := &scheduledMesh{rendered: parseRendered(t, stream), kube: client.Kube, cluster: c, zoneOf: map[string]string{}, zones: zones}
	for _, n := range nodes {
		sc.zoneOf[n.Name] = n.Zone
	}
	installPrerequisitesFor(t, client, sc.rendered.objs)
	if _, err := client.Apply(ctx, sc.rendered.docs); err != nil {
		t.Fatalf("applying the rendered mesh: %v", err)
	}
	client.Warnings()
	return sc
}

// gatewayZone is the zone a rendered gateway is pinned to, read from its
// selector labels (istio: ingressgateway--zone--<zone>, or an exposure
// class's gardener.cloud/role: exposureclass-handler--zone--<zone>); ""
// for an all-zone gateway.
func gatewayZone(d *appsv1.Deployment, zones []string) (string, error) {
	for _, v := range d.Spec.Selector.MatchLabels {
		_, zone, ok := strings.Cut(v, "--zone--")
		if !ok {
			continue
		}
		if !slices.Contains(zones, zone) {
			return "", fmt.Errorf("gateway %s/%s: selector label value %q names no zone of %q", d.Namespace, d.Name, v, zones)
		}
		return zone, nil
	}
	return "", nil
}

// checkPlacement waits for every rendered Deployment to be scaled to its
// autoscaler's minimum and Available and every DaemonSet to run a ready
// pod on every node, then checks where the gateways' pods are.
func (sc *scheduledMesh) checkPlacement(ctx context.Context) error {
	wait, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := sc.cluster.WaitFor(wait, "every Deployment Available at its autoscaler's minimum", func() error {
		return sc.workloadsAvailable(wait)
	}); err != nil {
		return err
	}
	var errs []error
	for _, gw := range sc.rendered.gateways() {
		zone, err := gatewayZone(gw, sc.zones)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pods, err := sc.pods(ctx, gw)
		if err != nil {
			return err
		}
		perZone := map[string]int{}
		for _, p := range pods {
			at := sc.zoneOf[p.Spec.NodeName]
			perZone[at]++
			if zone != "" && at != zone {
				errs = append(errs, fmt.Errorf("gateway %s/%s of zone %s runs outside its zone: pod %s on node %s in zone %s",
					gw.Namespace, gw.Name, zone, p.Name, p.Spec.NodeName, at))
			}
		}
		if zone == "" {
			// An all-zone gateway's pods spread evenly: no zone has more
			// than one pod more than another, so with at least one pod
			// per zone every zone has one.
			counts := make([]int, len(sc.zones))
			for i, z := range sc.zones {
				counts[i] = perZone[z]
			}
			if slices.Max(counts)-slices.Min(counts) > 1 {
				errs = append(errs, fmt.Errorf("all-zone gateway %s/%s: pods per zone %v over zones %q, want them spread evenly", gw.Namespace, gw.Name, counts, sc.zones))
			}
		}
	}
	return errors.Join(errs...)
}

// workloadsAvailable says which rendered Deployment is not yet scaled to
// its autoscaler's minimum or not Available with all its replicas up to
// date, and which DaemonSet does not have a ready pod on every node.
func (sc *scheduledMesh) workloadsAvailable(ctx context.Context) error {
	minReplicas := map[types.NamespacedName]int32{}
	for _, u := range sc.rendered.all("HorizontalPodAutoscaler") {
		hpa := &autoscalingv2.HorizontalPodAutoscaler{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, hpa); err != nil {
			return err
		}
		if ref := hpa.Spec.ScaleTargetRef; ref.Kind == "Deployment" {
			minReplicas[types.NamespacedName{Namespace: hpa.Namespace, Name: ref.Name}] = ptrValue(hpa.Spec.MinReplicas, 1)
		}
	}
	for _, u := range sc.rendered.all("Deployment") {
		d, err := sc.kube.AppsV1().Deployments(u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		want := ptrValue(d.Spec.Replicas, 1)
		if min, ok := minReplicas[types.NamespacedName{Namespace: d.Namespace, Name: d.Name}]; ok && want < min {
			return fmt.Errorf("deployment %s/%s has %d replicas, its autoscaler's minimum is %d", d.Namespace, d.Name, want, min)
		}
		s := d.Status
		if s.ObservedGeneration < d.Generation || s.UpdatedReplicas != want || s.AvailableReplicas != want || s.Replicas != want || !deploymentAvailable(d) {
			return fmt.Errorf("deployment %s/%s: %d of %d replicas available (%d updated, %d in all)", d.Namespace, d.Name, s.AvailableReplicas, want, s.UpdatedReplicas, s.Replicas)
		}
	}
	for _, u := range sc.rendered.all("DaemonSet") {
		ds, err := sc.kube.AppsV1().DaemonSets(u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		s := ds.Status
		if n := int32(len(sc.zoneOf)); s.DesiredNumberScheduled != n || s.NumberReady != n || s.UpdatedNumberScheduled != n {
			return fmt.Errorf("daemonset %s/%s: %d desired, %d updated, %d ready, want a ready pod on each of the %d nodes", ds.Namespace, ds.Name, s.DesiredNumberScheduled, s.UpdatedNumberScheduled, s.NumberReady, n)
		}
	}
	return nil
}

func deploymentAvailable(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ptrValue[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// pods are a Deployment's pods that are not being deleted.
func (sc *scheduledMesh) pods(ctx context.Context, d *appsv1.Deployment) ([]corev1.Pod, error) {
	list, err := sc.kube.CoreV1().Pods(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(d.Spec.Selector.MatchLabels).String()})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list.Items, func(p corev1.Pod) bool { return p.DeletionTimestamp != nil }), nil
}

// checkZoneDrain cordons the nodes of a zone and evicts every pod on
// them but DaemonSets' pods, as kubectl drain does, once. Every eviction
// must succeed but that of the last available pod of each of the zone's
// zonal gateways that has a disruption budget, which the budget refuses
// with 429 Too Many Requests. The other zones' zonal gateways must keep
// the very pods they had, all available, while the evicted pods'
// replacements wait for a node.
func (sc *scheduledMesh) checkZoneDrain(ctx context.Context, t *testing.T, zone string) error {
	// The pods of the other zones' zonal gateways, by UID, before.
	before := map[types.UID]string{}
	var zonal []*appsv1.Deployment
	for _, gw := range sc.rendered.gateways() {
		z, err := gatewayZone(gw, sc.zones)
		if err != nil {
			return err
		}
		switch {
		case z == zone:
			zonal = append(zonal, gw)
		case z != "":
			pods, err := sc.pods(ctx, gw)
			if err != nil {
				return err
			}
			for _, p := range pods {
				before[p.UID] = p.Namespace + "/" + p.Name
			}
		}
	}
	// Evictions are refused while a budget's status is not current, so
	// wait for the disruption controller to have seen every pod.
	if err := sc.cluster.WaitFor(ctx, "every disruption budget up to date", func() error {
		return sc.budgetsCurrent(ctx)
	}); err != nil {
		return err
	}
	var drained []string
	for name, z := range sc.zoneOf {
		if z != zone {
			continue
		}
		drained = append(drained, name)
		patch := []byte(`{"spec":{"unschedulable":true}}`)
		if _, err := sc.kube.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("cordoning %s: %w", name, err)
		}
	}
	slices.Sort(drained)
	// Which zonal gateway each pod belongs to, by namespace: every
	// gateway has a namespace of its own.
	zonalNamespaces := map[string]bool{}
	for _, gw := range zonal {
		zonalNamespaces[gw.Namespace] = true
	}
	var errs []error
	refused := map[string]int{}
	evicted := 0
	for _, node := range drained {
		list, err := sc.kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
		if err != nil {
			return err
		}
		for _, p := range list.Items {
			if owner := metav1.GetControllerOf(&p); owner != nil && owner.Kind == "DaemonSet" {
				continue // as kubectl drain --ignore-daemonsets: they stay
			}
			err := sc.kube.CoreV1().Pods(p.Namespace).EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}})
			switch {
			case err == nil:
				evicted++
			case apierrors.IsTooManyRequests(err) && zonalNamespaces[p.Namespace]:
				refused[p.Namespace]++
			default:
				errs = append(errs, fmt.Errorf("evicting %s/%s from %s: %w", p.Namespace, p.Name, node, err))
			}
		}
	}
	t.Logf("draining %s (%s): %d pods evicted, refused %v", zone, strings.Join(drained, ", "), evicted, refused)
	budgeted := map[string]bool{}
	for _, u := range sc.rendered.all("PodDisruptionBudget") {
		budgeted[u.GetNamespace()] = true
	}
	for _, gw := range zonal {
		// A gateway of one replica has no budget, which would block
		// every drain; one with a budget keeps its last pod.
		want := 0
		if budgeted[gw.Namespace] {
			want = 1
		}
		if n := refused[gw.Namespace]; n != want {
			errs = append(errs, fmt.Errorf("draining zone %s: gateway %s/%s had %d evictions refused, want %d (a disruption budget rendered: %v)", zone, gw.Namespace, gw.Name, n, want, budgeted[gw.Namespace]))
		}
	}
	// Every evicted pod's replacement exists and the scheduler found no
	// node for it; until then the other zones could still change.
	if err := sc.cluster.WaitFor(ctx, "the evicted pods' replacements unschedulable", func() error {
		return sc.replacementsPending(ctx)
	}); err != nil {
		errs = append(errs, err)
	}
	after := map[types.UID]string{}
	for _, gw := range sc.rendered.gateways() {
		if z, _ := gatewayZone(gw, sc.zones); z == "" || z == zone {
			continue
		}
		pods, err := sc.pods(ctx, gw)
		if err != nil {
			return err
		}
		for _, p := range pods {
			after[p.UID] = p.Namespace + "/" + p.Name
			if !podReady(&p) {
				errs = append(errs, fmt.Errorf("draining zone %s: pod %s/%s of another zone is not ready", zone, p.Namespace, p.Name))
			}
		}
	}
	if !maps.Equal(before, after) {
		errs = append(errs, fmt.Errorf("draining zone %s changed the other zones' zonal gateway pods: before %v, after %v", zone, slices.Sorted(maps.Values(before)), slices.Sorted(maps.Values(after))))
	}
	return errors.Join(errs...)
}

// budgetsCurrent says which rendered PodDisruptionBudget the disruption
// controller has not yet brought up to date with its pods.
func (sc *scheduledMesh) budgetsCurrent(ctx context.Context) error {
	for _, u := range sc.rendered.all("PodDisruptionBudget") {
		pdb, err := sc.kube.PolicyV1().PodDisruptionBudgets(u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		s := pdb.Status
		if s.ObservedGeneration < pdb.Generation || s.ExpectedPods == 0 || s.CurrentHealthy != s.ExpectedPods {
			return fmt.Errorf("budget %s/%s: %d of %d pods healthy (generation %d observed %d)", pdb.Namespace, pdb.Name, s.CurrentHealthy, s.ExpectedPods, pdb.Generation, s.ObservedGeneration)
		}
	}
	return nil
}

// replacementsPending says which Deployment lacks pods for its replicas
// or has a pod neither running nor found unschedulable by the scheduler.
func (sc *scheduledMesh) replacementsPending(ctx context.Context) error {
	for _, u := range sc.rendered.all("Deployment") {
		d, err := sc.kube.AppsV1().Deployments(u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		pods, err := sc.pods(ctx, d)
		if err != nil {
			return err
		}
		if want := ptrValue(d.Spec.Replicas, 1); int32(len(pods)) < want {
			return fmt.Errorf("deployment %s/%s has %d of %d pods", d.Namespace, d.Name, len(pods), want)
		}
		for _, p := range pods {
			if !podReady(&p) && !podUnschedulable(&p) {
				return fmt.Errorf("pod %s/%s is neither ready nor unschedulable", p.Namespace, p.Name)
			}
		}
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podUnschedulable(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable
		}
	}
	return false
}

// podSummary lists every pod with its node, phase and the scheduler's
// verdict, for a failed test.
func podSummary(kube kubernetes.Interface) string {
	list, err := kube.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range list.Items {
		fmt.Fprintf(&b, "%s/%s node=%q phase=%s ready=%v", p.Namespace, p.Name, p.Spec.NodeName, p.Status.Phase, podReady(&p))
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue {
				fmt.Fprintf(&b, " unscheduled: %s", c.Message)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
