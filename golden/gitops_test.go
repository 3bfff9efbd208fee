package golden

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	data, err := os.ReadFile(filepath.Join("..", "examples", gitopsExample, "mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := render.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
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

// TestGitOpsRewriteChangesNothing writes the same mesh twice: no byte
// may change.
func TestGitOpsRewriteChangesNothing(t *testing.T) {
	for flavor := range gitopsOptions {
		repo := writeGitOps(t, gitopsMesh(t), flavor)
		first := readDir(t, repo)
		if err := gitops.Write(repo, gitopsMesh(t), gitopsOptions[flavor]); err != nil {
			t.Fatal(err)
		}
		if second := readDir(t, repo); !cmp.Equal(first, second) {
			t.Errorf("%s: rewriting changed the tree:\n%s", flavor, cmp.Diff(first, second))
		}
	}
}

// TestGitOpsPrunesExactly removes one zone: exactly that zone's gateway
// files go, the kustomizations that listed them change, and files a
// person added stay, even inside a removed gateway's folder.
func TestGitOpsPrunesExactly(t *testing.T) {
	for flavor := range gitopsOptions {
		t.Run(string(flavor), func(t *testing.T) {
			m := gitopsMesh(t)
			repo := writeGitOps(t, m, flavor)
			mine := map[string]string{
				"README.md": "# platform repo\n",
				"clusters/" + m.Metadata.Name + "/NOTES.md":                                            "cluster notes\n",
				"clusters/" + m.Metadata.Name + "/istio/gateways/istio-ingress--eu-west-1c/runbook.md": "zone c runbook\n",
			}
			for p, data := range mine {
				if err := os.WriteFile(filepath.Join(repo, filepath.FromSlash(p)), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := readDir(t, repo)
			m.Spec.Zones = m.Spec.Zones[:2]
			m.Spec.Ingress.ZoneOverrides = nil
			if err := gitops.Write(repo, m, gitopsOptions[flavor]); err != nil {
				t.Fatal(err)
			}
			after := readDir(t, repo)
			for p, data := range mine {
				if after[p] != data {
					t.Errorf("a person's file %s was changed or removed", p)
				}
			}
			for p := range before {
				_, kept := after[p]
				zoneC := strings.Contains(p, "--eu-west-1c/")
				switch {
				case zoneC && kept && !strings.HasSuffix(p, "runbook.md"):
					t.Errorf("%s of the removed zone was kept", p)
				case !zoneC && !kept:
					t.Errorf("%s was removed though its zone remains", p)
				}
			}
			for p := range after {
				if _, existed := before[p]; !existed {
					t.Errorf("%s appeared from removing a zone", p)
				}
			}
			// Everything else is exactly what a fresh write of the smaller
			// mesh holds.
			fresh := readDir(t, writeGitOps(t, m, flavor))
			for p, data := range fresh {
				if after[p] != data {
					t.Errorf("%s differs from a fresh write of the smaller mesh", p)
				}
			}
			for p := range after {
				if _, ok := fresh[p]; !ok && mine[p] == "" {
					t.Errorf("%s is neither rendered nor a person's file", p)
				}
			}
		})
	}
}

// TestGitOpsFailureLeavesTreeIntact makes the second write fail (a file a
// person put where a gateway now goes) and checks nothing changed.
func TestGitOpsFailureLeavesTreeIntact(t *testing.T) {
	m := gitopsMesh(t)
	m.Spec.Zones = m.Spec.Zones[:2]
	m.Spec.Ingress.ZoneOverrides = nil
	repo := writeGitOps(t, m, gitops.Flux)
	blocker := filepath.Join(repo, "clusters", m.Metadata.Name, "istio", "gateways", "istio-ingress--eu-west-1c", "deployment-istio-ingressgateway.yaml")
	if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := readDir(t, repo)
	if err := gitops.Write(repo, gitopsMesh(t), gitopsOptions[gitops.Flux]); err == nil {
		t.Fatal("writing over a person's file succeeded")
	}
	if after := readDir(t, repo); !cmp.Equal(before, after) {
		t.Errorf("a failed write changed the tree:\n%s", cmp.Diff(before, after))
	}
	entries, _ := os.ReadDir(filepath.Join(repo, "clusters"))
	if len(entries) != 1 {
		t.Errorf("staging directories left in clusters/: %v", entries)
	}
}

func TestGitOpsRejectsNamesThatCannotNameObjects(t *testing.T) {
	for _, name := range []string{"Seed_EU1", strings.Repeat("s", 44)} {
		m := gitopsMesh(t)
		m.Metadata.Name = name
		repo := t.TempDir()
		err := gitops.Write(repo, m, gitopsOptions[gitops.ArgoCD])
		if err == nil || !strings.Contains(err.Error(), "metadata.name:") {
			t.Errorf("%s: err = %v", name, err)
		}
		if entries, _ := os.ReadDir(repo); len(entries) != 0 {
			t.Errorf("%s: wrote %v", name, entries)
		}
	}
}

// TestGitOpsRejectsBadOptions checks options are validated before
// anything is written.
func TestGitOpsRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]gitops.Options{
		"no repo":        {Flavor: gitops.Flux},
		"scp url":        {Flavor: gitops.Flux, RepoURL: "git@example.com:platform/clusters.git"},
		"bad flavor":     {Flavor: "jenkins", RepoURL: "https://x"},
		"escaping base":  {Flavor: gitops.Flux, RepoURL: "https://x", BasePath: "../up"},
		"plugin on flux": {Flavor: gitops.Flux, RepoURL: "https://x", ArgoCDPlugin: true},
	} {
		repo := t.TempDir()
		if err := gitops.Write(repo, gitopsMesh(t), opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if entries, _ := os.ReadDir(repo); len(entries) != 0 {
			t.Errorf("%s: wrote %v", name, entries)
		}
	}
}
