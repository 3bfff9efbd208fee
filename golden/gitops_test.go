package golden

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshrender/meshrender/plugin/gitops"
	"github.com/meshrender/meshrender/render"
)

// gitopsExample is the example the GitOps trees are rendered from.
const gitopsExample = "seed-3-zones"

// gitopsOptions are the options of each flavor's golden tree.
var gitopsOptions = map[gitops.Flavor]gitops.Options{
	gitops.Flux:   {Flavor: gitops.Flux, RepoURL: "https://git.example.com/platform/clusters.git", SecretName: "clusters-repo"},
	gitops.ArgoCD: {Flavor: gitops.ArgoCD, RepoURL: "https://git.example.com/platform/clusters.git", ArgoCDPlugin: true},
}

func gitopsMesh(t *testing.T) render.Mesh {
	t.Helper()
	return exampleMesh(t, Example{Name: gitopsExample, Dir: filepath.Join("..", "examples", gitopsExample)})
}

// readDir returns every file under dir with its content, by slash path.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeGitOps writes a flavor's tree for m into a fresh repository
// checkout and returns the checkout.
func writeGitOps(t *testing.T, m render.Mesh, flavor gitops.Flavor) string {
	t.Helper()
	repo := t.TempDir()
	if err := gitops.Write(repo, m, gitopsOptions[flavor]); err != nil {
		t.Fatal(err)
	}
	return repo
}

// TestGitOpsGoldenTrees compares the Flux and Argo CD trees of the
// seed-3-zones example with golden/gitops/<flavor>/, file by file.
func TestGitOpsGoldenTrees(t *testing.T) {
	for flavor := range gitopsOptions {
		t.Run(string(flavor), func(t *testing.T) {
			got := readDir(t, writeGitOps(t, gitopsMesh(t), flavor))
			goldenDir := filepath.Join("gitops", string(flavor))
			if *update {
				if err := os.RemoveAll(goldenDir); err != nil {
					t.Fatal(err)
				}
				for p, data := range got {
					target := filepath.Join(goldenDir, filepath.FromSlash(p))
					if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(target, []byte(data), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			want := readDir(t, goldenDir)
			if diff := cmp.Diff(keys(want), keys(got)); diff != "" {
				t.Fatalf("file set differs from %s (-golden +written); run make golden if intended:\n%s", goldenDir, diff)
			}
			for p := range want {
				if want[p] != got[p] {
					t.Errorf("%s differs from %s/%s (-golden +written):\n%s", p, goldenDir, p, cmp.Diff(want[p], got[p]))
				}
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
