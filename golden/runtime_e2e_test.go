//go:build e2e

package golden

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/meshrender/meshrender/plugin/gitops"
)

// The runtime tests run the real istiod and pilot-agent on what
// meshrender renders. Each example gets its own API server and istiod,
// and the examples run in parallel.

// TestIstioRunsEveryExample starts istiod, as the rendered Deployment
// runs it, for every example, and checks what istiod does in a cluster:
// it becomes ready, reads the rendered mesh config without a complaint,
// signs its CA and writes istio-ca-root-cert into every namespace,
// patches the rendered validating webhook, accepts valid Istio config and
// rejects a broken one through that webhook. Re-applying the example's
// GitOps tree the way Flux and Argo CD apply it reverts none of this and
// changes nothing. With sidecar injection on, an application's pod is
// injected by istiod's webhook and its sidecar joins the mesh
// (checkInjection). Then every gateway of the mesh runs its proxy agent,
// which must reach the istiod of its revision at the rendered Service
// name and get a workload certificate and listeners from it.
func TestIstioRunsEveryExample(t *testing.T) {
	for _, e := range examples(t) {
		if e.Sequence != "" {
			continue // a sequence's steps run in its own test, one cluster for all
		}
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			m := exampleMesh(t, e)
			mesh := startMesh(ctx, t, renderExample(t, e))
			// The certificates and client CAs the gateways' Envoys ask
			// for, as cert-manager and teams provide them.
			mesh.provideForApplications(ctx, t, exampleApplications(t, e))
			mesh.checkControlPlane(ctx, t)
			mesh.checkIstioConfig(ctx, t)
			if len(mesh.rendered.all("MutatingWebhookConfiguration")) > 0 {
				pod, err := mesh.checkInjection(ctx, t, m)
				if err != nil {
					t.Error(err)
				}
				if pod != nil {
					checkGoldenPod(t, e, pod)
				}
			}
			for _, flavor := range []gitops.Flavor{gitops.Flux, gitops.ArgoCD} {
				if err := mesh.reapplyGitOps(ctx, t, m, flavor, exampleApplications(t, e)...); err != nil {
					t.Errorf("%s: %v", flavor, err)
				}
			}
			mesh.checkControlPlane(ctx, t) // nothing istiod did was reverted
			for _, gw := range mesh.rendered.gateways() {
				if err := mesh.checkGateway(ctx, t, gw); err != nil {
					t.Errorf("gateway %s/%s: %v", gw.Namespace, gw.Name, err)
				}
			}
			if err := checkIstiodLogs(mesh.istiod.Logs()); err != nil {
				t.Error(err)
			}
		})
	}
}

// binary is the path of a program make tools builds into ./bin.
func binary(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(binDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing; make e2e builds it: %v", p, err)
	}
	return p
}

// TestRuntimeChecksCatchBrokenRenders breaks a rendered mesh on purpose,
// as a bug in meshrender would, and requires the runtime checks to fail:
// a mesh config value istiod refuses, a gateway whose cluster ID istiod
// does not share, and a gateway that is not told where istiod is. (A mesh
// config field Istio does not know, which istiod ignores silently, is
// caught without a cluster: TestStrictDecodingChecksMeshConfig.)
func TestRuntimeChecksCatchBrokenRenders(t *testing.T) {
	// check runs one runtime check on the running mesh; spec is the
	// broken mesh's, decoded.
	type check func(ctx context.Context, t *testing.T, mesh *runningMesh, spec v1alpha1.Mesh) error
	var checkFirstGateway check = func(ctx context.Context, t *testing.T, mesh *runningMesh, _ v1alpha1.Mesh) error {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		return mesh.checkGateway(ctx, t, mesh.rendered.gateways()[0])
	}
	var checkInjection check = func(ctx context.Context, t *testing.T, mesh *runningMesh, spec v1alpha1.Mesh) error {
		_, err := mesh.checkInjection(ctx, t, spec)
		return err
	}
	tests := []struct {
		name, mesh string
		check      check
		// want is part of the failure the check must report.
		want string
	}{
		{"mesh config value istiod refuses", `
spec:
  overlays:
  - target: {kind: ConfigMap, name: istio}
    patch: |
      - {op: replace, path: /data/mesh, value: "outboundTrafficPolicy:\n  mode: SOMETIMES\nrootNamespace: istio-system\n"}
`, func(ctx context.Context, t *testing.T, mesh *runningMesh, _ v1alpha1.Mesh) error {
			return checkIstiodLogs(mesh.istiod.Logs())
		}, "invalid mesh config"},
		{"gateway in another cluster", `
spec:
  overlays:
  - target: {kind: Deployment, name: istio-ingressgateway}
    patch: |
      spec:
        template:
          spec:
            containers:
            - name: istio-proxy
              env:
              - {name: ISTIO_META_CLUSTER_ID, value: Elsewhere}
`, func(ctx context.Context, t *testing.T, mesh *runningMesh, spec v1alpha1.Mesh) error {
			err := checkFirstGateway(ctx, t, mesh, spec)
			// No certificate because of the cluster ID, not for another
			// reason.
			if refused := `client claims to be in cluster "Elsewhere"`; !strings.Contains(mesh.istiod.Logs(), refused) {
				t.Logf("the check reported: %v", err)
				return fmt.Errorf("istiod's log does not say %s", refused)
			}
			return err
		}, "a workload certificate: context deadline exceeded"},
		{"gateway without proxy config", `
spec:
  revision: 1-31-4
  overlays:
  - target: {kind: Deployment, name: istio-ingressgateway}
    patch: |
      spec:
        template:
          spec:
            containers:
            - name: istio-proxy
              env:
              - {name: PROXY_CONFIG, $patch: delete}
`, checkFirstGateway, "the bootstrap sends xDS to istiod.istio-system.svc:15012, want the rendered istiod Service istiod-1-31-4.istio-system.svc:15012"},
		{"injector selecting no namespace of its revision", `
spec:
  revision: 1-31-4
  overlays:
  - target: {kind: MutatingWebhookConfiguration}
    patch: |
      - {op: replace, path: /webhooks/0/namespaceSelector/matchExpressions/0/values/0, value: another}
`, checkInjection, "the injected pod: containers [web], want [init:istio-init init:istio-proxy web]"},
		{"injector without the proxy config's hold", `
spec:
  meshConfig:
    defaultConfig: {holdApplicationUntilProxyStarts: true}
  overlays:
  - target: {kind: ConfigMap, name: istio}
    patch: |
      - {op: replace, path: /data/mesh, value: "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\nrootNamespace: istio-system\n"}
`, checkInjection, "the proxy config in effect.holdApplicationUntilProxyStarts: istiod has null, the rendered mesh config true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			spec := brokenMesh(t, tt.mesh)
			out, err := renderYAML(*spec.DeepCopy())
			if err != nil {
				t.Fatal(err)
			}
			mesh := startMesh(ctx, t, out)
			err = tt.check(ctx, t, mesh, spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("the runtime check on a broken render reported %v, want a failure saying %q", err, tt.want)
			}
		})
	}
}

// brokenMesh decodes the spec of a mesh the runtime checks break.
func brokenMesh(t *testing.T, spec string) v1alpha1.Mesh {
	t.Helper()
	m, err := v1alpha1.Decode([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: broken}\n" + strings.TrimPrefix(spec, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
