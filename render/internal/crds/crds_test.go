package crds

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/internal/crds/upstream"
)

// TestGeneratedFilesAreCurrent regenerates the CRDs from the pinned
// istio.io/api module and compares them with the embedded files, so a hand
// edit or a forgotten `go generate` after a version bump fails here.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	src, err := upstream.Read()
	if err != nil {
		t.Fatal(err)
	}
	want, err := upstream.Transform(src, upstream.Labels())
	if err != nil {
		t.Fatal(err)
	}
	got := All()
	if len(got) != len(want) {
		t.Fatalf("embedded %d CRDs, upstream has %d; run go generate ./render/...", len(got), len(want))
	}
	for _, c := range got {
		if !bytes.Equal(c.YAML, want[c.Name]) {
			t.Errorf("%s differs from what istio.io/api generates; run go generate ./render/...", c.Name)
		}
	}
}

func TestFifteenCRDs(t *testing.T) {
	if n := len(All()); n != 15 {
		t.Errorf("Istio 1.30.3 has 15 CRDs, embedded %d", n)
	}
}

func TestSourceMatchesGoMod(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "istio.io/api").Output()
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(out))
	if !strings.Contains(upstream.Source, "@"+v+"/") {
		t.Errorf("upstream.Source = %q, but go.mod pins istio.io/api %s", upstream.Source, v)
	}
}
