package crds

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/internal/crds/upstream"
	"github.com/meshrender/meshrender/render/internal/istioapi"
)

// TestGeneratedFilesAreCurrent regenerates each minor's CRDs from the
// istio.io/api version istioapi names for it (the go command downloads
// it) and compares them with the embedded files, so a hand edit or a
// forgotten `go generate` after a version bump fails here.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	for _, r := range generated {
		t.Run(r.minor, func(t *testing.T) {
			checkCurrent(t, r, upstream.Istio(istioapi.ModuleVersion(r.minor)), All(r.minor))
		})
	}
	for _, r := range generatedGatewayAPI {
		t.Run("gateway-api/"+r.minor, func(t *testing.T) {
			i := slices.IndexFunc(upstream.GatewayAPIVersions, func(g struct{ Minor, Version string }) bool { return g.Minor == r.minor })
			if i < 0 {
				t.Fatalf("Gateway API CRDs of Istio %s, which upstream.GatewayAPIVersions does not name; run go generate ./render/...", r.minor)
			}
			checkCurrent(t, r, upstream.GatewayAPI(upstream.GatewayAPIVersions[i].Version), GatewayAPI(r.minor))
		})
	}
}

// checkCurrent checks one minor's embedded CRDs against what the set
// they should come from generates now.
func checkCurrent(t *testing.T, r release, set upstream.Set, got []CRD) {
	t.Helper()
	if r.source != set.Source() {
		t.Fatalf("generated from %s, but should come from %s; run go generate ./render/...", r.source, set.Source())
	}
	src, err := set.Read()
	if err != nil {
		t.Fatal(err)
	}
	if sum := fmt.Sprintf("%x", sha256.Sum256(src)); sum != r.sha256 {
		t.Errorf("%s has sha256 %s, generated from one with %s", r.source, sum, r.sha256)
	}
	want, err := set.Transform(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("embedded %d CRDs, upstream has %d; run go generate ./render/...", len(got), len(want))
	}
	for _, c := range got {
		if !bytes.Equal(c.YAML, want[c.Name]) {
			t.Errorf("%s differs from what %s generates; run go generate ./render/...", c.Name, set.Source())
		}
	}
}

// TestGatewayAPIIsIstios checks that the Gateway API CRDs of each Istio
// minor are those of the sigs.k8s.io/gateway-api release that minor's
// istiod is built with: the module the tests' istiod of that minor
// selects (golden/tools/istio-MINOR), which Istio's go.mod requires.
func TestGatewayAPIIsIstios(t *testing.T) {
	for _, m := range Minors() {
		cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "sigs.k8s.io/gateway-api")
		cmd.Dir = filepath.Join("..", "..", "..", "golden", "tools", "istio-"+m)
		cmd.Env = append(os.Environ(), "GONOSUMDB=istio.io,github.com/envoyproxy,github.com/agentgateway", "GOWORK=off")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("Istio %s: go list in %s: %v", m, cmd.Dir, err)
		}
		if got, want := GatewayAPIVersion(m), strings.TrimSpace(string(out)); got != want {
			t.Errorf("Istio %s is built with sigs.k8s.io/gateway-api %s, but its Gateway API CRDs are of %s; change upstream.GatewayAPIVersions and run go generate ./render/...", m, want, got)
		}
	}
}

func TestMinors(t *testing.T) {
	if got, want := Minors(), istioapi.Minors(); !slices.Equal(got, want) {
		t.Errorf("CRDs of Istio %q, but istioapi has %q; run go generate ./render/...", got, want)
	}
}

func TestFifteenCRDs(t *testing.T) {
	for _, m := range Minors() {
		if n := len(All(m)); n != 15 {
			t.Errorf("Istio %s has 15 CRDs, embedded %d", m, n)
		}
	}
}

func TestUnknownMinor(t *testing.T) {
	for _, m := range []string{"", "1.29", "1.32", "1.30.3"} {
		if got := All(m); got != nil {
			t.Errorf("All(%q) has %d CRDs", m, len(got))
		}
	}
}

// TestProvenanceOnEveryCRD checks, offline, that each CRD names the
// istio.io/api version it comes from in its label and annotation.
func TestProvenanceOnEveryCRD(t *testing.T) {
	for _, m := range Minors() {
		set := upstream.Istio(istioapi.ModuleVersion(m))
		version := set.Version
		label := fmt.Sprintf("\n    app.kubernetes.io/version: '%s'\n", set.Labels()["app.kubernetes.io/version"])
		annotation := fmt.Sprintf("\n    %s: %s\n", upstream.SourceAnnotation, set.Source())
		for _, c := range All(m) {
			if !bytes.Contains(c.YAML, []byte(label)) || !bytes.Contains(c.YAML, []byte(annotation)) {
				t.Errorf("Istio %s's %s does not name istio.io/api %s", m, c.Name, version)
			}
		}
		gateway := upstream.GatewayAPI(GatewayAPIVersion(m))
		annotation = fmt.Sprintf("\n    %s: %s\n", upstream.SourceAnnotation, gateway.Source())
		bundle := fmt.Sprintf("\n    gateway.networking.k8s.io/bundle-version: %s\n", gateway.Version)
		all := GatewayAPI(m)
		if len(all) == 0 {
			t.Errorf("Istio %s has no Gateway API CRDs", m)
		}
		for _, c := range all {
			if !bytes.Contains(c.YAML, []byte(annotation)) || !bytes.Contains(c.YAML, []byte(bundle)) {
				t.Errorf("Istio %s's %s does not name sigs.k8s.io/gateway-api %s", m, c.Name, gateway.Version)
			}
		}
	}
}
