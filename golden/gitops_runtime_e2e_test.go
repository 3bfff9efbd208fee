//go:build e2e

package golden

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/gitserver"
	"github.com/meshrender/meshrender/golden/internal/simcluster"
	"github.com/meshrender/meshrender/plugin/gitops"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// gitopsCluster is the seed example's GitOps tree committed to a Git
// server, for a real GitOps tool (Flux or Argo CD) to reconcile into an
// API server whose pods a real scheduler and controller manager place on
// simulated nodes, beside the real istiod.
type gitopsCluster struct {
	mesh     v1alpha1.Mesh
	rendered *renderedMesh
	server   *apiserver.Server
	client   *apiserver.Client
	sim      *simcluster.Cluster
	nodes    []simcluster.Node
	running  *runningMesh
	checkout *gitserver.Checkout
	opts     gitops.Options
	// cluster is the mesh's folder in the checkout.
	cluster string
}

// gitopsTool is what the shared checks need of a running GitOps tool.
type gitopsTool interface {
	// waitFor polls check until it succeeds, ctx ends or the tool fails.
	waitFor(ctx context.Context, what string, check func() error) error
	// uids are the UIDs of every object the tool applied, by objectKey.
	uids(ctx context.Context) (map[string]string, error)
	// converge has the tool take the commit rev (why says what it
	// changes) and waits until every layer is applied and healthy at it.
	converge(ctx context.Context, t *testing.T, why, rev string)
}

// startGitOpsCluster starts the cluster (nodesPerZone simulated nodes in
// each of the seed example's zones) and a Git server with an empty
// repository, checked out, for a tree of flavor.
func startGitOpsCluster(ctx context.Context, t *testing.T, flavor gitops.Flavor, sim simcluster.Options) *gitopsCluster {
	t.Helper()
	e := exampleNamed(t, gitopsExample)
	g := &gitopsCluster{mesh: exampleMesh(t, e), rendered: parseRendered(t, renderExample(t, e))}
	g.server, g.client = newServer(t)
	started := time.Now()
	g.nodes = simcluster.NodesInZones(g.mesh.Spec.Zones, nodesPerZone)
	sim.BinDir, sim.Dir, sim.Server, sim.Nodes = binDir, t.TempDir(), g.server.Config, g.nodes
	// A pruned zone's namespaces go away only with their contents.
	sim.MoreControllers = append(sim.MoreControllers, "namespace-controller")
	var err error
	if g.sim, err = simcluster.Start(ctx, sim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.sim.Stop()
		if t.Failed() {
			t.Logf("the cluster's logs:\n%s", g.sim.Logs())
		}
	})
	t.Logf("simulated cluster ready after %v", time.Since(started).Round(10*time.Millisecond))

	gitRoot := t.TempDir()
	git, err := gitserver.Start(filepath.Join(gitRoot, "repos"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(git.Stop)
	url, err := git.NewRepository("clusters", gitops.DefaultBranch)
	if err != nil {
		t.Fatal(err)
	}
	if g.checkout, err = gitserver.Clone(url, gitops.DefaultBranch, filepath.Join(gitRoot, "checkout")); err != nil {
		t.Fatal(err)
	}
	g.opts = gitops.Options{Flavor: flavor, RepoURL: url}
	g.cluster = filepath.Join(g.checkout.Dir, gitops.DefaultBasePath, g.mesh.Metadata.Name)
	return g
}

// commit writes m's tree into the checkout, changes it with edit (if not
// nil, given the cluster's folder), commits and pushes it, and returns
// the commit's hash.
func (g *gitopsCluster) commit(t *testing.T, m v1alpha1.Mesh, message string, edit func(cluster string)) string {
	t.Helper()
	if err := gitops.Write(g.checkout.Dir, m, g.opts); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(filepath.Join(g.checkout.Dir, gitops.DefaultBasePath, m.Metadata.Name))
	}
	rev, err := g.checkout.CommitAll(message)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// startIstiodOnceApplied waits, through the tool's waitFor, until the
// tool has applied every object of the control plane, and then starts
// the real istiod of the rendered Deployment, as the kubelet would start
// it only then.
func (g *gitopsCluster) startIstiodOnceApplied(ctx context.Context, t *testing.T, tool gitopsTool) {
	t.Helper()
	istiodDeployments := g.rendered.deployments("istiod")
	if len(istiodDeployments) != 1 {
		t.Fatalf("%d istiod Deployments rendered, want 1", len(istiodDeployments))
	}
	objs, err := render.Render(g.mesh)
	if err != nil {
		t.Fatal(err)
	}
	if err := tool.waitFor(ctx, "the control plane applied", func() error {
		for _, o := range objs {
			if o.Layer != render.LayerControlPlane {
				continue
			}
			if _, err := g.client.Get(ctx, o.APIVersion, o.Kind, o.Namespace, o.Name); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	g.running = startIstiodFor(ctx, t, g.server, g.client, g.rendered, istiodDeployments[0])
}

// settled waits until every Deployment of m is Available at its
// autoscaler's minimum: the autoscalers scale their Deployments up after
// the tool found them healthy at one replica, and the cluster is compared
// once they are done.
func (g *gitopsCluster) settled(ctx context.Context, t *testing.T, m *renderedMesh) {
	t.Helper()
	sc := &scheduledMesh{rendered: m, kube: g.client.Kube, cluster: g.sim, zoneOf: map[string]string{}, zones: g.mesh.Spec.Zones}
	for _, n := range g.nodes {
		sc.zoneOf[n.Name] = n.Zone
	}
	wait, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := g.sim.WaitFor(wait, "every Deployment Available at its autoscaler's minimum", func() error {
		return sc.workloadsAvailable(wait)
	}); err != nil {
		t.Fatal(err)
	}
}

// removeZone commits the tree with the mesh's first zone removed, has
// the tool converge on it, and checks that exactly that zone's objects
// are pruned and every other object is kept, not recreated. It returns
// the mesh without the zone, settled.
func (g *gitopsCluster) removeZone(ctx context.Context, t *testing.T, tool gitopsTool) v1alpha1.Mesh {
	t.Helper()
	fewer := g.mesh.DeepCopy()
	gone := fewer.Spec.Zones[0]
	fewer.Spec.Zones = fewer.Spec.Zones[1:]
	removed, kept := zoneObjects(t, g.mesh, *fewer)
	for _, o := range removed {
		if !strings.Contains(o.Namespace+"/"+o.Name, "--"+gone) {
			t.Errorf("removing zone %s removes %s %s/%s, which is not of that zone", gone, o.Kind, o.Namespace, o.Name)
		}
	}
	if len(removed) == 0 {
		t.Fatalf("removing zone %s removes no object", gone)
	}
	uids, err := tool.uids(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rev := g.commit(t, *fewer, "Zone "+gone+" goes", nil)
	tool.converge(ctx, t, "zone "+gone+" goes", rev)
	if err := tool.waitFor(ctx, "zone "+gone+"'s objects pruned", func() error {
		for _, o := range removed {
			_, err := g.client.Get(ctx, o.APIVersion, o.Kind, o.Namespace, o.Name)
			if err == nil {
				return fmt.Errorf("%s %s/%s is still there", o.Kind, o.Namespace, o.Name)
			}
			if !apierrors.IsNotFound(err) {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	for _, o := range kept {
		got, err := g.client.Get(ctx, o.APIVersion, o.Kind, o.Namespace, o.Name)
		if err != nil {
			t.Errorf("after zone %s was removed: %v", gone, err)
			continue
		}
		if want := uids[objectKey(o.APIVersion, o.Kind, o.Namespace, o.Name)]; string(got.GetUID()) != want {
			t.Errorf("%s %s/%s was recreated (uid %s, was %s)", o.Kind, o.Namespace, o.Name, got.GetUID(), want)
		}
	}
	t.Logf("zone %s: %d objects pruned, %d kept", gone, len(removed), len(kept))
	out, err := renderYAML(*fewer)
	if err != nil {
		t.Fatal(err)
	}
	g.settled(ctx, t, parseRendered(t, out))
	return *fewer
}
