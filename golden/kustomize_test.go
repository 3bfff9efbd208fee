//go:build e2e

package golden

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kustomizeExamples are the directories under examples/kustomize.
var kustomizeExamples = []string{"generator", "transformer"}

var buildOnce = sync.OnceValue(func() error {
	// The examples' exec path points at ../bin/meshrender; build it from
	// this tree so the test never runs a stale binary.
	out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "meshrender"), "../plugin/cmd/meshrender").CombinedOutput()
	if err != nil {
		return &buildError{out}
	}
	return nil
})

type buildError struct{ out []byte }

func (e *buildError) Error() string { return "go build: " + string(e.out) }

// kustomizeBuild runs the real kustomize CLI with exec functions enabled.
func kustomizeBuild(t *testing.T, dir string) []byte {
	t.Helper()
	if err := buildOnce(); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "kustomize")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing; make e2e installs it: %v", bin, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "build", "--enable-alpha-plugins", "--enable-exec", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestKustomizeGolden builds every kustomize example with the real
// kustomize v5.8.1 and compares the output with golden/kustomize/<name>.yaml.
func TestKustomizeGolden(t *testing.T) {
	for _, name := range kustomizeExamples {
		t.Run(name, func(t *testing.T) {
			got := kustomizeBuild(t, filepath.Join("..", "examples", "kustomize", name))
			compareGolden(t, filepath.Join("kustomize", name+".yaml"), got)
		})
	}
}

// TestKustomizeTransformerIsIdempotent feeds the transformer example's
// output, with its Application, back through the same transformer:
// nothing may change.
func TestKustomizeTransformerIsIdempotent(t *testing.T) {
	src := filepath.Join("..", "examples", "kustomize", "transformer")
	first := kustomizeBuild(t, src)
	dir := t.TempDir()
	mesh, err := os.ReadFile(filepath.Join(src, "mesh.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join(binDir, "meshrender"))
	if err != nil {
		t.Fatal(err)
	}
	mesh = bytes.Replace(mesh, []byte("../../../bin/meshrender"), []byte(abs), 1)
	// kustomize leaves the Application, local config, out of what it
	// builds; it is read again from its file, as on every build.
	app, err := os.ReadFile(filepath.Join(src, "application.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"all.yaml":           first,
		"application.yaml":   app,
		"mesh.yaml":          mesh,
		"kustomization.yaml": []byte("resources: [all.yaml, application.yaml]\ntransformers: [mesh.yaml]\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if second := kustomizeBuild(t, dir); !bytes.Equal(first, second) {
		t.Errorf("running the transformer over its own output changed it:\n%s", cmp.Diff(string(first), string(second)))
	}
}

// TestKustomizeReportsInvalidMesh checks that an invalid Mesh fails the
// build with the problem on stderr, never with partial output.
func TestKustomizeReportsInvalidMesh(t *testing.T) {
	if err := buildOnce(); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join(binDir, "meshrender"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mesh := "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata:\n  name: bad\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: " + abs + "\nspec:\n  zones: [a, a]\n"
	for name, data := range map[string]string{"mesh.yaml": mesh, "kustomization.yaml": "generators: [mesh.yaml]\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "kustomize"), "build", "--enable-alpha-plugins", "--enable-exec", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("kustomize build of an invalid mesh succeeded")
	}
	if stdout.Len() > 0 {
		t.Errorf("kustomize wrote output for an invalid mesh:\n%s", head(stdout.Bytes()))
	}
	if want := `spec.zones[1]: duplicate zone "a"`; !bytes.Contains(stderr.Bytes(), []byte(want)) {
		t.Errorf("stderr does not name the problem %q:\n%s", want, stderr.String())
	}
}
