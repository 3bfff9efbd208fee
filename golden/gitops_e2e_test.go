//go:build e2e

package golden

import (
	"context"
	"os"
	"path/filepath"
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

// thirdPartyCRDs reads the Flux, Argo CD and cert-manager CRDs from their
// projects' modules, pinned in tools/crds.
var thirdPartyCRDs = &thirdparty.Reader{Dir: filepath.Join("tools", "crds")}

// installCRDs installs third-party CRDs and waits until they serve.
func installCRDs(t *testing.T, c *apiserver.Client, crds ...thirdparty.CRD) {
	t.Helper()
	files, err := thirdPartyCRDs.Read(crds...)
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, data := range files {
		docs = append(docs, apiserver.SplitYAML(data)...)
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
				docs = append(docs, apiserver.SplitYAML(kustomizeBuild(t, filepath.Join("gitops", string(flavor), cluster, f)))...)
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
				built := apiserver.SplitYAML(kustomizeBuild(t, filepath.Join(istio, layer)))
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
