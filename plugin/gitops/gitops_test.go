package gitops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/google/go-cmp/cmp"

	"github.com/meshrender/meshrender/internal/testfiles"
)

// testOptions are the options of each flavor's tree in these tests.
var testOptions = map[Flavor]Options{
	Flux:   {Flavor: Flux, RepoURL: "https://git.example.com/platform/clusters.git", SecretName: "clusters-repo"},
	ArgoCD: {Flavor: ArgoCD, RepoURL: "https://git.example.com/platform/clusters.git", ArgoCDPlugin: true},
}

// testMesh is a seed cluster over three zones with one exposure class.
func testMesh() v1alpha1.Mesh {
	return v1alpha1.Mesh{
		Metadata: v1alpha1.ObjectMeta{Name: "seed-eu1"},
		Spec: v1alpha1.MeshSpec{
			Profile:         v1alpha1.ProfileSeed,
			Zones:           []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
			Ingress:         v1alpha1.Ingress{ZoneOverrides: []v1alpha1.ZoneOverride{{Zone: "eu-west-1c", Service: v1alpha1.ZoneServiceOverride{ExternalTrafficPolicy: "Local"}}}},
			ExposureClasses: []v1alpha1.ExposureClass{{Name: "internet"}},
		},
	}
}

// writeTree writes a flavor's tree for m into a fresh repository checkout
// and returns the checkout.
func writeTree(t *testing.T, m v1alpha1.Mesh, flavor Flavor) string {
	t.Helper()
	repo := t.TempDir()
	if err := Write(repo, m, testOptions[flavor]); err != nil {
		t.Fatal(err)
	}
	return repo
}

// TestGitOpsRewriteChangesNothing writes the same mesh twice: no byte
// may change.
func TestRewriteChangesNothing(t *testing.T) {
	for flavor := range testOptions {
		repo := writeTree(t, testMesh(), flavor)
		first := testfiles.Read(t, repo)
		if err := Write(repo, testMesh(), testOptions[flavor]); err != nil {
			t.Fatal(err)
		}
		if second := testfiles.Read(t, repo); !cmp.Equal(first, second) {
			t.Errorf("%s: rewriting changed the tree:\n%s", flavor, cmp.Diff(first, second))
		}
	}
}

// TestGitOpsPrunesExactly removes one zone: exactly that zone's gateway
// files go, the kustomizations that listed them change, and files a
// person added stay, even inside a removed gateway's folder.
func TestPrunesExactly(t *testing.T) {
	for flavor := range testOptions {
		t.Run(string(flavor), func(t *testing.T) {
			m := testMesh()
			repo := writeTree(t, m, flavor)
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
			before := testfiles.Read(t, repo)
			m.Spec.Zones = m.Spec.Zones[:2]
			m.Spec.Ingress.ZoneOverrides = nil
			if err := Write(repo, m, testOptions[flavor]); err != nil {
				t.Fatal(err)
			}
			after := testfiles.Read(t, repo)
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
			fresh := testfiles.Read(t, writeTree(t, m, flavor))
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
func TestFailureLeavesTreeIntact(t *testing.T) {
	m := testMesh()
	m.Spec.Zones = m.Spec.Zones[:2]
	m.Spec.Ingress.ZoneOverrides = nil
	repo := writeTree(t, m, Flux)
	blocker := filepath.Join(repo, "clusters", m.Metadata.Name, "istio", "gateways", "istio-ingress--eu-west-1c", "deployment-istio-ingressgateway.yaml")
	if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := testfiles.Read(t, repo)
	if err := Write(repo, testMesh(), testOptions[Flux]); err == nil {
		t.Fatal("writing over a person's file succeeded")
	}
	if after := testfiles.Read(t, repo); !cmp.Equal(before, after) {
		t.Errorf("a failed write changed the tree:\n%s", cmp.Diff(before, after))
	}
	entries, _ := os.ReadDir(filepath.Join(repo, "clusters"))
	if len(entries) != 1 {
		t.Errorf("staging directories left in clusters/: %v", entries)
	}
}

func TestRejectsNamesThatCannotNameObjects(t *testing.T) {
	for _, name := range []string{"Seed_EU1", strings.Repeat("s", 44)} {
		m := testMesh()
		m.Metadata.Name = name
		repo := t.TempDir()
		err := Write(repo, m, testOptions[ArgoCD])
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
func TestRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"no repo":        {Flavor: Flux},
		"scp url":        {Flavor: Flux, RepoURL: "git@example.com:platform/clusters.git"},
		"bad flavor":     {Flavor: "jenkins", RepoURL: "https://x"},
		"escaping base":  {Flavor: Flux, RepoURL: "https://x", BasePath: "../up"},
		"root base":      {Flavor: Flux, RepoURL: "https://x", BasePath: "/"},
		"absolute base":  {Flavor: Flux, RepoURL: "https://x", BasePath: "/srv/clusters"},
		"plugin on flux": {Flavor: Flux, RepoURL: "https://x", ArgoCDPlugin: true},
	} {
		repo := t.TempDir()
		if err := Write(repo, testMesh(), opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if entries, _ := os.ReadDir(repo); len(entries) != 0 {
			t.Errorf("%s: wrote %v", name, entries)
		}
	}
}

// TestRefusesBasePathsInGitOrThatCorruptPaths checks base paths that
// would write into Git's own folder, or whose names a manifest line or
// Windows would read otherwise, are refused before anything is written.
func TestRefusesBasePathsInGitOrThatCorruptPaths(t *testing.T) {
	for base, want := range map[string]string{
		".git":          ".git",
		".git/clusters": ".git",
		"a/.git":        ".git",
		"a/.GIT/b":      ".git",
		"a\nb":          "control character",
		"a\\b":          "backslash",
	} {
		opts := testOptions[Flux]
		opts.BasePath = base
		repo := t.TempDir()
		if err := Write(repo, testMesh(), opts); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("base path %q: err = %v, want one saying %q", base, err, want)
		}
		if entries, _ := os.ReadDir(repo); len(entries) != 0 {
			t.Errorf("base path %q: wrote %v", base, entries)
		}
	}
}

// TestNeverWritesThroughALinkedBasePath makes a folder of the base path a
// symbolic link to a folder outside the checkout: nothing may be written
// there, and the error names the link.
func TestNeverWritesThroughALinkedBasePath(t *testing.T) {
	for _, c := range []struct{ base, link string }{
		{"clusters", "clusters"},
		{"lnk/sub", "lnk"},
		{"deep/lnk/sub", "deep/lnk"},
	} {
		t.Run(c.base, func(t *testing.T) {
			repo, outside := t.TempDir(), t.TempDir()
			link := filepath.Join(repo, filepath.FromSlash(c.link))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, link); err != nil {
				t.Fatal(err)
			}
			opts := testOptions[Flux]
			opts.BasePath = c.base
			err := Write(repo, testMesh(), opts)
			if err == nil || !strings.Contains(err.Error(), link+" is a symbolic link") {
				t.Errorf("err = %v, want one naming %s", err, link)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("written outside the checkout, through %s: %v", link, entries)
			}
		})
	}
}
