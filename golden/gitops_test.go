package golden

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/internal/testfiles"
	"github.com/meshrender/meshrender/plugin/gitops"
)

// gitopsExample is the example the GitOps trees are rendered from.
const gitopsExample = "seed-3-zones"

// gitopsOptions are the options of each flavor's golden tree.
var gitopsOptions = map[gitops.Flavor]gitops.Options{
	gitops.Flux:   {Flavor: gitops.Flux, RepoURL: "https://git.example.com/platform/clusters.git", SecretName: "clusters-repo"},
	gitops.ArgoCD: {Flavor: gitops.ArgoCD, RepoURL: "https://git.example.com/platform/clusters.git", ArgoCDPlugin: true},
}

// writeGitOps writes a flavor's tree for m into a fresh repository
// checkout and returns the checkout.
func writeGitOps(t *testing.T, m v1alpha1.Mesh, flavor gitops.Flavor, apps ...v1alpha1.Application) string {
	t.Helper()
	repo := t.TempDir()
	opts := gitopsOptions[flavor]
	opts.Applications = apps
	if err := gitops.Write(repo, m, opts); err != nil {
		t.Fatal(err)
	}
	return repo
}

// gitopsGoldenTrees are the examples whose trees are kept as golden
// files: the seed mesh alone, and the applications example with its
// applications' layers.
var gitopsGoldenTrees = []struct {
	example, dir string
	withApps     bool
	// only keeps the files whose path contains one of these, when set:
	// what the tree adds over the mesh's own layers, which the seed's
	// tree already covers.
	only []string
}{
	{example: gitopsExample, dir: "gitops"},
	{example: "applications", dir: "gitops-applications", withApps: true,
		only: []string{"/istio/applications/", "/flux/", "/argocd/", "/istio/kustomization.yaml"}},
}

// TestGitOpsGoldenTrees compares the Flux and Argo CD trees of the
// seed-3-zones example with golden/gitops/<flavor>/, and those of the
// applications example with golden/gitops-applications/<flavor>/, file
// by file.
func TestGitOpsGoldenTrees(t *testing.T) {
	for _, tree := range gitopsGoldenTrees {
		e := exampleNamed(t, tree.example)
		var apps []v1alpha1.Application
		if tree.withApps {
			apps = exampleApplications(t, e)
		}
		for flavor := range gitopsOptions {
			t.Run(tree.example+"/"+string(flavor), func(t *testing.T) {
				got := testfiles.Read(t, writeGitOps(t, exampleMesh(t, e), flavor, apps...))
				if tree.only != nil {
					maps.DeleteFunc(got, func(p string, _ string) bool {
						return !slices.ContainsFunc(tree.only, func(s string) bool { return strings.Contains("/"+p, s) })
					})
				}
				compareTree(t, filepath.Join(tree.dir, string(flavor)), got)
			})
		}
	}
}

// compareTree compares the files written with the golden folder, or
// writes them there under -update.
func compareTree(t *testing.T, goldenDir string, got map[string]string) {
	t.Helper()
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
	want := testfiles.Read(t, goldenDir)
	if diff := cmp.Diff(keys(want), keys(got)); diff != "" {
		t.Fatalf("file set differs from %s (-golden +written); run make golden if intended:\n%s", goldenDir, diff)
	}
	for p := range want {
		if want[p] != got[p] {
			t.Errorf("%s differs from %s/%s (-golden +written):\n%s", p, goldenDir, p, cmp.Diff(want[p], got[p]))
		}
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

// layerOrder reads the order in which the tool applies the layers of the
// tree at root, a cluster's folder: Argo CD by its Applications' sync
// waves, Flux after every Kustomization a layer's dependsOn names. Layers
// of one rank are ordered by name. Every layer the tool's objects name
// must be ranked and be a folder under istio/; a dependency that is none
// of them, or a cycle, is an error, since the tool would never apply the
// layer.
func layerOrder(flavor gitops.Flavor, root string) ([]string, error) {
	dir := filepath.Join(root, string(flavor))
	if flavor == gitops.ArgoCD {
		dir = filepath.Join(dir, "apps")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*-istio-*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no layer objects in %s", dir)
	}
	layerOf := func(name string) string {
		_, layer, _ := strings.Cut(name, "-istio-")
		return layer
	}
	rank := map[string]int{}
	deps := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var o struct {
			Metadata struct {
				Name        string
				Annotations map[string]string
			}
			Spec struct {
				DependsOn []struct{ Name string } `json:"dependsOn"`
			}
		}
		if err := yaml.Unmarshal(data, &o); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		layer := layerOf(o.Metadata.Name)
		if _, dup := deps[layer]; dup || layer == "" {
			return nil, fmt.Errorf("%s: %q is no layer of its own", f, o.Metadata.Name)
		}
		if fi, err := os.Stat(filepath.Join(root, "istio", layer)); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%s: layer %s has no folder under istio/", f, layer)
		}
		deps[layer] = []string{}
		if flavor == gitops.ArgoCD {
			n, err := strconv.Atoi(o.Metadata.Annotations["argocd.argoproj.io/sync-wave"])
			if err != nil {
				return nil, fmt.Errorf("%s: sync wave: %w", f, err)
			}
			rank[layer] = n
			continue
		}
		for _, d := range o.Spec.DependsOn {
			deps[layer] = append(deps[layer], layerOf(d.Name))
		}
	}
	if flavor == gitops.Flux {
		// A layer comes after the last of its dependencies.
		var visit func(layer string, path []string) (int, error)
		visit = func(layer string, path []string) (int, error) {
			if r, ok := rank[layer]; ok {
				return r, nil
			}
			if slices.Contains(path, layer) {
				return 0, fmt.Errorf("the layers depend on each other: %s", strings.Join(append(path, layer), " -> "))
			}
			ds, ok := deps[layer]
			if !ok {
				return 0, fmt.Errorf("layer %s depends on %s, which is no layer of the tree", path[len(path)-1], layer)
			}
			r := 0
			for _, d := range ds {
				dr, err := visit(d, append(path, layer))
				if err != nil {
					return 0, err
				}
				r = max(r, dr+1)
			}
			rank[layer] = r
			return r, nil
		}
		for _, layer := range slices.Sorted(maps.Keys(deps)) {
			if _, err := visit(layer, nil); err != nil {
				return nil, err
			}
		}
	}
	layers := slices.Collect(maps.Keys(rank))
	if len(layers) != len(files) {
		return nil, fmt.Errorf("%d layers ranked of %d layer objects", len(layers), len(files))
	}
	slices.SortFunc(layers, func(a, b string) int {
		if rank[a] != rank[b] {
			return rank[a] - rank[b]
		}
		return strings.Compare(a, b)
	})
	return layers, nil
}

// TestLayerOrder reads the layer order of the regulated example's trees:
// Flux's dependsOn chain and Argo CD's sync waves give the same order.
// Trees of Flux Kustomizations with several dependencies, a dependency
// that is no layer, and a cycle keep layerOrder honest.
func TestLayerOrder(t *testing.T) {
	want := []string{"crds", "control-plane", "data-plane", "gateways", "policies", "certificates"}
	for flavor := range gitopsOptions {
		repo := writeGitOps(t, exampleMesh(t, exampleNamed(t, regulated)), flavor)
		got, err := layerOrder(flavor, filepath.Join(repo, "clusters", "regulated"))
		if err != nil {
			t.Fatalf("%s: %v", flavor, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s orders the regulated layers (-want +got):\n%s", flavor, d)
		}
	}

	fluxTree := func(t *testing.T, dependsOn map[string][]string) string {
		t.Helper()
		root := t.TempDir()
		for layer, deps := range dependsOn {
			doc := "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: c-istio-" + layer + "}\nspec:\n  dependsOn:\n"
			for _, d := range deps {
				doc += "  - name: c-istio-" + d + "\n"
			}
			for _, f := range []string{filepath.Join("istio", layer, "kustomization.yaml"), filepath.Join("flux", "kustomization-c-istio-"+layer+".yaml")} {
				if err := os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, f), []byte(doc), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		return root
	}
	got, err := layerOrder(gitops.Flux, fluxTree(t, map[string][]string{
		"a": nil, "b": {"a"}, "c": {"b", "a"}, "d": {"a"}, "e": {"c", "d"},
	}))
	if d := cmp.Diff([]string{"a", "b", "d", "c", "e"}, got); err != nil || d != "" {
		t.Errorf("layers with several dependencies: err %v (-want +got):\n%s", err, d)
	}
	for name, tt := range map[string]struct {
		deps map[string][]string
		want string
	}{
		"missing dependency": {map[string][]string{"a": nil, "b": {"a", "x"}}, "layer b depends on x, which is no layer of the tree"},
		"cycle":              {map[string][]string{"a": {"c"}, "b": {"a"}, "c": {"b"}}, "the layers depend on each other: a -> c -> b -> a"},
	} {
		if got, err := layerOrder(gitops.Flux, fluxTree(t, tt.deps)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: layerOrder = %v, %v; want an error saying %q", name, got, err, tt.want)
		}
	}
}
