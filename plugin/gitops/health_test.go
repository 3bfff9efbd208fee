package gitops

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// TestOnDeleteDaemonSetIsNotWaitedFor: a ztunnel updated only when its
// pods are deleted would keep the data-plane Kustomization from ever
// becoming ready after an upgrade, and with it every later layer; the
// layer's other workloads are checked instead. Rolled out, ztunnel is
// waited for like everything else.
func TestOnDeleteDaemonSetIsNotWaitedFor(t *testing.T) {
	for _, strategy := range []string{"OnDelete", "RollingUpdate"} {
		t.Run(strategy, func(t *testing.T) {
			m := v1alpha1.Mesh{
				Metadata: v1alpha1.ObjectMeta{Name: "ambient"},
				Spec: v1alpha1.MeshSpec{
					Ambient:    v1alpha1.Ambient{Enabled: new(true), Ztunnel: v1alpha1.Ztunnel{UpdateStrategy: strategy}},
					Namespaces: []v1alpha1.MeshNamespace{{Name: "shop", DataPlaneMode: v1alpha1.DataPlaneAmbient}},
				},
			}
			repo := writeTree(t, m, Flux)
			data, err := os.ReadFile(filepath.Join(repo, "clusters/ambient/flux/kustomization-ambient-istio-data-plane.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var k FluxKustomization
			if err := yaml.UnmarshalStrict(data, &k); err != nil {
				t.Fatal(err)
			}
			var want []HealthCheck
			if strategy == "OnDelete" {
				want = []HealthCheck{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "istio-cni-node", Namespace: "kube-system"}}
			}
			if k.Spec.Wait != (strategy != "OnDelete") {
				t.Errorf("wait: %v", k.Spec.Wait)
			}
			if d := cmp.Diff(want, k.Spec.HealthChecks); d != "" {
				t.Errorf("health checks (-want +got):\n%s", d)
			}
		})
	}
}
