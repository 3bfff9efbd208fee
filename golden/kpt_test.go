//go:build e2e

package golden

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshrender/meshrender/internal/testfiles"
)

// kpt runs the kpt CLI from bin with meshrender as an exec function.
func kpt(t *testing.T, args ...string) []byte {
	t.Helper()
	if err := buildOnce(); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "kpt")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing; make e2e builds it: %v", bin, err)
	}
	fn, err := filepath.Abs(filepath.Join(binDir, "meshrender"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"fn", "eval"}, append(args, "--exec", fn)...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kpt fn eval: %v\n%s", err, stderr.String())
	}
	return stdout.Bytes()
}

// copyPackage copies the example package to a temporary directory.
func copyPackage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "examples", "kpt", "package")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestKptFnEval runs meshrender under the real kpt CLI with the example's
// function config and compares the unwrapped output with
// golden/kpt/package.yaml.
func TestKptFnEval(t *testing.T) {
	config := filepath.Join("..", "examples", "kpt", "fn-config.yaml")
	got := kpt(t, copyPackage(t), "--fn-config", config, "-o", "unwrap")
	compareGolden(t, filepath.Join("kpt", "package.yaml"), got)
	if !bytes.Contains(got, []byte("# An application exposed through the seed profile's ingress gateway")) {
		t.Error("kpt output lost the package's comments")
	}
}

// TestKptFnEvalInPlaceIsIdempotent runs the function twice over a package
// in place, as kpt users do: the second run changes no file.
func TestKptFnEvalInPlaceIsIdempotent(t *testing.T) {
	dir := copyPackage(t)
	config := filepath.Join("..", "examples", "kpt", "fn-config.yaml")
	kpt(t, dir, "--fn-config", config)
	first := testfiles.Read(t, dir)
	kpt(t, dir, "--fn-config", config)
	if second := testfiles.Read(t, dir); !cmp.Equal(first, second) {
		t.Errorf("second run changed the package:\n%s", cmp.Diff(first, second))
	}
	if len(first) < 10 {
		t.Errorf("only %d files after rendering into the package", len(first))
	}
}
