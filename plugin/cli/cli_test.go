package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/meshrender/meshrender/render"
)

// run calls Main and returns the exit code and both streams.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// exampleMesh is a valid mesh in a file.
const exampleMesh = "../../examples/default/mesh.yaml"

const validMesh = "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: cli}\nspec: {profile: minimal}\n"

func TestRenderDefaultMatchesLibrary(t *testing.T) {
	code, out, errOut := run(t, "", "render")
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var want strings.Builder
	if err := render.Write(&want, v1alpha1.Mesh{}); err != nil {
		t.Fatal(err)
	}
	if out != want.String() {
		t.Error("meshrender render differs from render.Write of the default mesh")
	}
}

func TestRenderFromStdinAndFile(t *testing.T) {
	code, fromStdin, _ := run(t, validMesh, "render", "-f", "-")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(path, []byte(validMesh), 0o644); err != nil {
		t.Fatal(err)
	}
	code, fromFile, _ := run(t, "", "render", "-f", path)
	if code != ExitOK || fromFile != fromStdin {
		t.Errorf("exit %d; file and stdin renderings differ", code)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name      string
		stdin     string
		args      []string
		code      int
		stderrHas string
	}{
		{"invalid config", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zones: [a, a], mtls: {mode: X}}\n", []string{"render", "-f", "-"}, ExitInvalid,
			"<stdin>: spec.mtls.mode: must be STRICT or PERMISSIVE, got \"X\"\n<stdin>: spec.zones[1]: duplicate zone \"a\""},
		{"unknown field", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zone: a}\n", []string{"render", "-f", "-"}, ExitInvalid, "<stdin>: spec.zone: unknown field"},
		{"missing file", "", []string{"render", "-f", "/nonexistent/mesh.yaml"}, ExitInvalid, "/nonexistent/mesh.yaml"},
		{"unknown command", "", []string{"frobnicate"}, ExitUsage, "unknown command"},
		{"unknown flag", "", []string{"render", "--frob"}, ExitUsage, "unknown flag: --frob"},
		{"extra argument", "", []string{"render", "mesh.yaml"}, ExitUsage, "takes no arguments"},
		{"bad split", "", []string{"render", "-o", "x", "--split", "pods"}, ExitUsage, "--split must be object or component"},
		{"invalid images", "apiVersion: v1\nkind: Mesh\n", []string{"images", "-f", "-"}, ExitInvalid, `apiVersion: must be "meshrender.dev/v1alpha1"`},
		// meshrender diff: 2 for any trouble, as diff(1).
		{"diff: invalid mesh", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zones: [a, a], mtls: {mode: X}}\n", []string{"diff", exampleMesh, "-"}, ExitTrouble,
			"<stdin>: spec.mtls.mode: must be STRICT or PERMISSIVE, got \"X\"\n<stdin>: spec.zones[1]: duplicate zone \"a\""},
		{"diff: unknown field", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zone: a}\n", []string{"diff", "-", exampleMesh}, ExitTrouble, "<stdin>: spec.zone: unknown field"},
		{"diff: unknown version", "apiVersion: meshrender.dev/v1\nkind: Mesh\n", []string{"diff", "-", exampleMesh}, ExitTrouble, `<stdin>: apiVersion: must be "meshrender.dev/v1alpha1"`},
		{"diff: missing file", "", []string{"diff", exampleMesh, "/nonexistent/mesh.yaml"}, ExitTrouble, "/nonexistent/mesh.yaml"},
		{"diff: object without a name", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Namespace\n", []string{"diff", exampleMesh, "-"}, ExitTrouble,
			"<stdin>: document 1: an object needs a kind and a metadata.name"},
		{"diff: not an object", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n- a list\n", []string{"diff", exampleMesh, "-"}, ExitTrouble, "<stdin>: document 2: not a Kubernetes object"},
		{"diff: object twice", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", []string{"diff", "-", exampleMesh}, ExitTrouble,
			"<stdin>: Namespace a is there twice"},
		{"diff: not YAML", "a: [\n", []string{"diff", "-", exampleMesh}, ExitTrouble, "<stdin>: document 1:"},
		{"diff: too large", strings.Repeat("a", 5<<20), []string{"diff", "-", exampleMesh}, ExitTrouble, "larger than 4 MiB"},
		{"diff: both stdin", validMesh, []string{"diff", "-", "-"}, ExitUsage, "only one of OLD and NEW can be -"},
		{"diff: one argument", "", []string{"diff", exampleMesh}, ExitUsage, "takes two arguments"},
		{"diff: three arguments", "", []string{"diff", exampleMesh, exampleMesh, exampleMesh}, ExitUsage, "takes two arguments"},
		{"diff: unknown flag", "", []string{"diff", "--stats", exampleMesh, exampleMesh}, ExitUsage, "unknown flag: --stats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if out != "" {
				t.Errorf("stdout is not empty on failure: %.200q", out)
			}
			if !strings.Contains(errOut, tt.stderrHas) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderrHas)
			}
		})
	}
}

// TestEndlessInputIsCutShort: render -f /dev/zero stops at the size limit
// instead of reading forever.
func TestEndlessInputIsCutShort(t *testing.T) {
	for _, args := range [][]string{{"render", "-f", "/dev/zero"}, {"images", "-f", "/dev/zero"}} {
		code, out, errOut := run(t, "", args...)
		if code != ExitInvalid || out != "" || !strings.Contains(errOut, "larger than 4 MiB") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	code, _, errOut := run(t, strings.Repeat("a", 5<<20), "render", "-f", "-")
	if code != ExitInvalid || !strings.Contains(errOut, "larger than 4 MiB") {
		t.Errorf("stdin: exit %d, stderr %q", code, errOut)
	}
}

func TestImages(t *testing.T) {
	mesh := "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {registry: {hub: r.example/istio, variant: distroless}}\n"
	code, out, _ := run(t, mesh, "images", "-f", "-")
	if code != ExitOK || out != "busybox:1.28\nr.example/istio/pilot:1.31.4-distroless\nr.example/istio/proxyv2:1.31.4-distroless\n" {
		t.Errorf("exit %d, images %q", code, out)
	}
	code, out, _ = run(t, validMesh, "images", "-f", "-")
	if code != ExitOK || out != "docker.io/istio/pilot:1.31.4\n" {
		t.Errorf("minimal mesh: exit %d, images %q (no gateway, no proxyv2)", code, out)
	}
	// A canary across minor releases pulls each revision's images.
	canary := "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {profile: minimal, revisions: [{name: old, version: 1.30.8}, {name: new, version: 1.31.4}]}\n"
	code, out, _ = run(t, canary, "images", "-f", "-")
	if code != ExitOK || out != "docker.io/istio/pilot:1.30.8\ndocker.io/istio/pilot:1.31.4\n" {
		t.Errorf("canary: exit %d, images %q", code, out)
	}
}

func TestSchemaIsJSON(t *testing.T) {
	code, out, _ := run(t, "", "schema")
	var v map[string]any
	if code != ExitOK || json.Unmarshal([]byte(out), &v) != nil || v["title"] != "meshrender Mesh" {
		t.Errorf("exit %d, schema not a JSON object with the Mesh title", code)
	}
}

func TestProfilesAndVersion(t *testing.T) {
	_, out, _ := run(t, "", "profiles")
	if !strings.Contains(out, "seed ") || !strings.Contains(out, "minimal ") {
		t.Errorf("profiles: %q", out)
	}
	_, out, _ = run(t, "", "version")
	if !strings.Contains(out, "Istio 1.31.4 (renders 1.30.0–1.30.8 and 1.31.0–1.31.4)") {
		t.Errorf("version: %q", out)
	}
}

func TestRenderToDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if code, _, errOut := run(t, validMesh, "render", "-f", "-", "-o", dir); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := render.Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Profile: v1alpha1.ProfileMinimal}, Metadata: v1alpha1.ObjectMeta{Name: "cli"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(objs)+1 { // plus the manifest
		t.Errorf("%d files for %d objects", len(entries), len(objs))
	}
	if !strings.HasPrefix(entries[1].Name(), "0001-customresourcedefinition-") {
		t.Errorf("first file %s is not the first CRD", entries[1].Name())
	}
	// An invalid config leaves the directory as it was, byte for byte.
	before := readFiles(t, dir)
	if code, _, _ := run(t, "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zones: [a, a]}\n", "render", "-f", "-", "-o", dir); code != ExitInvalid {
		t.Errorf("exit %d", code)
	}
	after := readFiles(t, dir)
	if len(after) != len(before) {
		t.Error("an invalid config changed the output directory")
	}
	for name, data := range before {
		if after[name] != data {
			t.Errorf("an invalid config changed %s", name)
		}
	}
}

func TestBareInvocationRunsTheFunction(t *testing.T) {
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  " +
		strings.ReplaceAll(strings.TrimSpace(validMesh), "\n", "\n  ") + "\n"
	code, out, errOut := run(t, rl)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n") || !strings.Contains(out, "kind: CustomResourceDefinition") {
		t.Errorf("output is not a ResourceList with the mesh:\n%.300s", out)
	}
	// Blank lines before the list are the function's to read, not a
	// reason to show the help.
	if code, again, errOut := run(t, "\n \n"+rl); code != ExitOK || again != out {
		t.Errorf("after blank lines: exit %d, stderr %q, same output %t", code, errOut, again == out)
	}
	code, _, errOut = run(t, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n", "fn")
	if code != ExitInvalid || !strings.Contains(errOut, "no function config") {
		t.Errorf("without a function config: exit %d, stderr %q", code, errOut)
	}
}

func TestBareInvocationWithEmptyStdinShowsHelp(t *testing.T) {
	code, out, _ := run(t, "  \n")
	if code != ExitOK || !strings.Contains(out, "Available Commands:") {
		t.Errorf("exit %d, stdout %.200q", code, out)
	}
}

func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	root := newRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if c.Example == "" || c.Short == "" {
			t.Errorf("%s has no short help or no examples", c.Name())
		}
		code, out, _ := run(t, "", c.Name(), "--help")
		if code != ExitOK || !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help: exit %d\n%s", c.Name(), code, out)
		}
	}
}

func TestGitOpsCommand(t *testing.T) {
	repo := t.TempDir()
	code, _, errOut := run(t, validMesh, "gitops", "-f", "-", "-o", repo, "--flavor", "flux", "--repo-url", "https://git.example.com/r.git")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(repo, "clusters", "cli", "flux", "kustomization.yaml")); err != nil {
		t.Error(err)
	}
	if code, _, errOut := run(t, validMesh, "gitops", "-f", "-", "-o", repo, "--flavor", "jenkins", "--repo-url", "https://x"); code != ExitUsage || !strings.Contains(errOut, "--flavor must be flux or argocd") {
		t.Errorf("bad flavor: exit %d, %q", code, errOut)
	}
	if code, _, _ := run(t, validMesh, "gitops", "-f", "-"); code != ExitUsage {
		t.Errorf("missing flags: exit %d", code)
	}
	if code, _, errOut := run(t, validMesh, "gitops", "-f", "-", "-o", repo, "--flavor", "flux", "--repo-url", "git@example.com:r.git"); code != ExitUsage || !strings.Contains(errOut, "ssh://") {
		t.Errorf("scp URL: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(t, validMesh, "gitops", "-f", "-", "-o", repo, "--flavor", "flux", "--repo-url", "https://x", "--base-path", "a/.git/hooks"); code != ExitUsage || !strings.Contains(errOut, "inside .git") {
		t.Errorf("base path in .git: exit %d, %q", code, errOut)
	}
}

func TestGitOpsCommandRefusesALinkedBasePath(t *testing.T) {
	repo, outside := t.TempDir(), t.TempDir()
	link := filepath.Join(repo, "clusters")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, validMesh, "gitops", "-f", "-", "-o", repo, "--flavor", "flux", "--repo-url", "https://git.example.com/r.git")
	if code != ExitInvalid || !strings.Contains(errOut, link+" is a symbolic link") {
		t.Errorf("exit %d, %q; want %d and the link named", code, errOut, ExitInvalid)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("written outside the checkout: %v", entries)
	}
}

func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}
