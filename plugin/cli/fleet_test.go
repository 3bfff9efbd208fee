package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// exampleFleet is the fleet example, three clusters.
const exampleFleet = "../../examples/fleet/fleet.yaml"

// TestRenderFleetCluster checks that render --cluster prints exactly what
// the cluster's Mesh renders, and the usage errors around it.
func TestRenderFleetCluster(t *testing.T) {
	data, err := os.ReadFile(exampleFleet)
	if err != nil {
		t.Fatal(err)
	}
	f, err := v1alpha1.DecodeFleet(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Mesh("app-eu2")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	if err := render.Write(&want, m); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "render", "-f", exampleFleet, "--cluster", "app-eu2")
	if code != ExitOK || out != want.String() {
		t.Fatalf("render --cluster app-eu2: exit %d, stderr %q; output is the cluster's Mesh's: %v", code, errOut, out == want.String())
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"render", "-f", exampleFleet}, ExitUsage, `is a Fleet: say which cluster to render with --cluster, one of ["seed-eu1" "app-eu1" "app-eu2"]`},
		{[]string{"render", "-f", exampleFleet, "--cluster", "us1"}, ExitInvalid, `the fleet has no cluster "us1"; it has "seed-eu1", "app-eu1", "app-eu2"`},
		{[]string{"render", "-f", exampleMesh, "--cluster", "us1"}, ExitUsage, `--cluster picks a cluster of a Fleet, and ../../examples/default/mesh.yaml is a Mesh`},
		{[]string{"images", "-f", exampleFleet}, ExitInvalid, `is a Fleet; this command takes a Mesh`},
	} {
		code, _, errOut := run(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}

// TestGitOpsFleet checks that a fleet's tree has a folder per cluster,
// and that a cluster removed from the fleet loses exactly its folder.
func TestGitOpsFleet(t *testing.T) {
	repo := t.TempDir()
	gitops := func(fleet string) {
		t.Helper()
		code, _, errOut := run(t, "", "gitops", "-f", fleet, "-o", repo, "--flavor", "flux", "--repo-url", "https://git.example.com/fleet.git")
		if code != ExitOK {
			t.Fatalf("gitops: exit %d: %s", code, errOut)
		}
	}
	gitops(exampleFleet)
	mine := filepath.Join(repo, "clusters", "app-eu1", "notes.md")
	if err := os.WriteFile(mine, []byte("ours\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"seed-eu1", "app-eu1", "app-eu2"} {
		for _, f := range []string{"flux/kustomization.yaml", "istio/crds/kustomization.yaml"} {
			if _, err := os.Stat(filepath.Join(repo, "clusters", c, f)); err != nil {
				t.Errorf("cluster %s: %v", c, err)
			}
		}
	}
	data, err := os.ReadFile(exampleFleet)
	if err != nil {
		t.Fatal(err)
	}
	// Remove the last cluster, app-eu2, and its comment.
	fewer := string(data[:strings.Index(string(data), "  # The second app cluster")])
	smaller := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(smaller, []byte(fewer), 0o644); err != nil {
		t.Fatal(err)
	}
	gitops(smaller)
	if _, err := os.Stat(filepath.Join(repo, "clusters", "app-eu2")); !os.IsNotExist(err) {
		t.Errorf("the removed cluster's folder is still there: %v", err)
	}
	for _, p := range []string{filepath.Join("clusters", "seed-eu1", "flux", "kustomization.yaml"), filepath.Join("clusters", "app-eu1", "notes.md")} {
		if _, err := os.Stat(filepath.Join(repo, p)); err != nil {
			t.Errorf("%s went with the removed cluster: %v", p, err)
		}
	}
}
