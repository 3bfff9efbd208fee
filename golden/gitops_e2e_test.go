//go:build e2e

package golden

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/thirdparty"
	"github.com/meshrender/meshrender/plugin/gitops"
)

// kustomizationDirs lists every folder of a tree that has a
// kustomization.yaml.
func kustomizationDirs(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "kustomization.yaml" {
			dirs = append(dirs, filepath.Dir(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// TestGitOpsFoldersBuildWithKustomize builds every folder of both golden
// trees with the real kustomize binary.
func TestGitOpsFoldersBuildWithKustomize(t *testing.T) {
	for flavor := range gitopsOptions {
		dirs := kustomizationDirs(t, filepath.Join("gitops", string(flavor)))
		if len(dirs) < 17 {
			t.Fatalf("%s: only %d folders with a kustomization.yaml", flavor, len(dirs))
		}
		for _, dir := range dirs {
			if out := kustomizeBuild(t, dir); len(out) == 0 {
				t.Errorf("%s builds to nothing", dir)
			}
		}
	}
}

// installCRDs installs third-party CRDs, of the releases tools/crds
// pins, and waits until they serve.
func installCRDs(t *testing.T, c *apiserver.Client, crds ...thirdparty.CRD) {
	t.Helper()
	installCRDsFrom(t, c, thirdPartyCRDs, crds...)
}

// installCRDsFrom installs third-party CRDs read by r and waits until
// they serve.
func installCRDsFrom(t *testing.T, c *apiserver.Client, r *thirdparty.Reader, crds ...thirdparty.CRD) {
	t.Helper()
	files, err := r.Read(crds...)
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, data := range files {
		docs = append(docs, splitDocs(data)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.Apply(ctx, docs); err != nil {
		t.Fatal(err)
	}
	c.Warnings()
}

func namespaceDoc(name string) []byte {
	return []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n  labels: {owner: gitops-tool}\n")
}

// TestGitOpsToolObjectsApply applies the Flux and Argo CD objects of the
// golden trees to a real API server that has the tools' real CRDs.
func TestGitOpsToolObjectsApply(t *testing.T) {
	cluster := filepath.Join("clusters", "seed-eu1")
	tests := map[gitops.Flavor]struct {
		crds      []thirdparty.CRD
		namespace string
		folders   []string
	}{
		gitops.Flux:   {[]thirdparty.CRD{thirdparty.FluxGitRepository, thirdparty.FluxKustomization}, "flux-system", []string{"flux"}},
		gitops.ArgoCD: {[]thirdparty.CRD{thirdparty.ArgoCDApplication, thirdparty.ArgoCDAppProject}, "argocd", []string{"argocd", "argocd/apps", "argocd/cmp"}},
	}
	for flavor, tt := range tests {
		t.Run(string(flavor), func(t *testing.T) {
			c := newCluster(t)
			installCRDs(t, c, tt.crds...)
			docs := [][]byte{namespaceDoc(tt.namespace)}
			for _, f := range tt.folders {
				docs = append(docs, splitDocs(kustomizeBuild(t, filepath.Join("gitops", string(flavor), cluster, f)))...)
			}
			applyTwice(t, c, docs)
		})
	}
}

// TestGitOpsLayersInstallInOrder applies the layers the way the
// generated Flux Kustomizations and Argo CD sync waves order them (CRDs,
// control plane, gateways), each built by kustomize, to an empty cluster.
func TestGitOpsLayersInstallInOrder(t *testing.T) {
	for flavor := range gitopsOptions {
		t.Run(string(flavor), func(t *testing.T) {
			c := newCluster(t)
			istio := filepath.Join("gitops", string(flavor), "clusters", "seed-eu1", "istio")
			var docs [][]byte
			for _, layer := range []string{"crds", "control-plane", "gateways"} {
				built := splitDocs(kustomizeBuild(t, filepath.Join(istio, layer)))
				if len(built) == 0 {
					t.Fatalf("layer %s is empty", layer)
				}
				docs = append(docs, built...)
			}
			applyTwice(t, c, docs)
			if flavor == gitops.Flux {
				var found bool
				for _, d := range docs {
					if strings.Contains(string(d), "kind: ValidatingWebhookConfiguration") {
						found = strings.Contains(string(d), "kustomize.toolkit.fluxcd.io/ssa: IfNotPresent")
					}
				}
				if !found {
					t.Error("the Flux tree's webhook lacks the IfNotPresent annotation")
				}
			}
		})
	}
}

// TestGitOpsSecurityLayersInstallInOrder writes the regulated example's
// Flux and Argo CD trees and applies their layers in the order the tool's
// own objects give them (Flux's dependsOn chain, Argo CD's sync waves),
// each built by kustomize, to a cluster where cert-manager is installed:
// the issuer's layer comes before the certificates', and everything
// applies twice without a change or a warning.
func TestGitOpsSecurityLayersInstallInOrder(t *testing.T) {
	e := exampleNamed(t, regulated)
	for flavor := range gitopsOptions {
		t.Run(string(flavor), func(t *testing.T) {
			root := filepath.Join(writeGitOps(t, exampleMesh(t, e), flavor), "clusters", "regulated")
			layers := toolLayerOrder(t, flavor, root)
			if i, j := slices.Index(layers, "policies"), slices.Index(layers, "certificates"); i < 0 || j < 0 || i > j {
				t.Fatalf("%s orders the layers %v: the issuer's (policies) must come before the certificates'", flavor, layers)
			}
			c := newCluster(t)
			installCertManager(t, c)
			var docs [][]byte
			for _, layer := range layers {
				built := splitDocs(kustomizeBuild(t, filepath.Join(root, "istio", layer)))
				if len(built) == 0 {
					t.Fatalf("layer %s builds to nothing", layer)
				}
				docs = append(docs, built...)
			}
			applyTwice(t, c, docs)
		})
	}
}

// toolLayerOrder reads the order of a tree's layers from its Flux
// Kustomizations or Argo CD Applications (layerOrder).
func toolLayerOrder(t *testing.T, flavor gitops.Flavor, root string) []string {
	t.Helper()
	layers, err := layerOrder(flavor, root)
	if err != nil {
		t.Fatalf("%s: %v", flavor, err)
	}
	return layers
}
