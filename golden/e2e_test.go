//go:build e2e

package golden

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/thirdparty"
)

// binDir holds kube-apiserver and etcd, built by make e2e.
var binDir = filepath.Join("..", "bin")

var etcd *apiserver.Etcd

func TestMain(m *testing.M) {
	var err error
	etcd, err = apiserver.StartEtcd(binDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	etcd.Stop()
	os.Exit(code)
}

// newCluster starts an empty API server for one test.
func newCluster(t *testing.T) *apiserver.Client {
	t.Helper()
	_, c := newServer(t)
	return c
}

// newServer starts an empty API server for one test and returns it with
// a client.
func newServer(t *testing.T) (*apiserver.Server, *apiserver.Client) {
	t.Helper()
	srv, err := apiserver.Start(binDir, etcd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	c, err := apiserver.NewClient(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// applyTwice applies docs to a fresh cluster, then again, and fails if
// the server rejects anything, warns about anything (such as a pod
// template that breaks Pod Security "restricted"), or changes anything on
// the second apply.
func applyTwice(t *testing.T, c *apiserver.Client, docs [][]byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	first, err := c.Apply(ctx, docs)
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if len(first) != len(docs) {
		t.Fatalf("first apply handled %d of %d documents", len(first), len(docs))
	}
	for _, r := range first {
		if !r.Changed {
			t.Errorf("first apply to an empty cluster did not create %s", r.Object)
		}
	}
	for _, w := range c.Warnings() {
		t.Errorf("server warning: %s", w)
	}
	second, err := c.Apply(ctx, docs)
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	for _, r := range second {
		if r.Changed {
			t.Errorf("second apply changed %s", r.Object)
		}
	}
	for _, w := range c.Warnings() {
		t.Errorf("server warning on second apply: %s", w)
	}
}

// TestExamplesApplyToAPIServer server-side applies every example's
// rendering to its own empty kube-apiserver, twice.
func TestExamplesApplyToAPIServer(t *testing.T) {
	for _, e := range examples(t) {
		t.Run(e.Name, func(t *testing.T) {
			docs, objs := decodeObjects(t, renderExample(t, e))
			c := newCluster(t)
			installPrerequisitesFor(t, c, objs)
			applyTwice(t, c, docs)
			t.Logf("%d objects applied twice", len(docs))
		})
	}
}

// installPrerequisitesFor installs what the objects need beside the
// mesh: cert-manager if any is one of its kinds, the External Secrets
// Operator's CRD if any is an ExternalSecret.
func installPrerequisitesFor(t *testing.T, c *apiserver.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	ofGroup := func(group string) bool {
		return slices.ContainsFunc(objs, func(u *unstructured.Unstructured) bool { return u.GroupVersionKind().Group == group })
	}
	if ofGroup("cert-manager.io") {
		installCertManager(t, c)
	}
	if ofGroup("external-secrets.io") {
		installCRDs(t, c, thirdparty.ExternalSecret)
	}
}

// installCertManager makes of a cluster what installing cert-manager
// does, as far as meshrender's objects need it: its CRDs, from its pinned
// module, and its namespace.
func installCertManager(t *testing.T, c *apiserver.Client) {
	t.Helper()
	installCRDs(t, c, thirdparty.CertManagerIssuer, thirdparty.CertManagerClusterIssuer, thirdparty.CertManagerCertificate)
	ns := []byte(`{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cert-manager"}}`)
	if _, err := c.ApplyWith(context.Background(), apiserver.ApplyOptions{FieldManager: "helm"}, [][]byte{ns}); err != nil {
		t.Fatal(err)
	}
}

// TestKustomizeOutputsApplyToAPIServer applies what the real kustomize
// built from the kustomize examples (golden/kustomize/*.yaml): the mesh,
// patched by kustomize, beside an application's Istio resources.
func TestKustomizeOutputsApplyToAPIServer(t *testing.T) {
	for _, name := range kustomizeExamples {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("kustomize", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			docs := splitDocs(data)
			applyTwice(t, newCluster(t), docs)
		})
	}
}

// TestApplyNoticesChanges keeps the change detection honest: applying a
// changed object must report it, applying it again must not.
func TestApplyNoticesChanges(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	cm := func(v string) [][]byte {
		return [][]byte{[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n  namespace: default\ndata:\n  v: " + v + "\n")}
	}
	for i, step := range []struct {
		value   string
		changed bool
	}{{"a", true}, {"a", false}, {"b", true}, {"b", false}} {
		r, err := c.Apply(ctx, cm(step.value))
		if err != nil {
			t.Fatal(err)
		}
		if r[0].Changed != step.changed {
			t.Errorf("step %d: changed = %v, want %v", i, r[0].Changed, step.changed)
		}
	}
}
