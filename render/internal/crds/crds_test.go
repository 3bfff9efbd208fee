package crds

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
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
			version := istioapi.ModuleVersion(r.minor)
			if r.source != upstream.Source(version) {
				t.Fatalf("generated from %s, but istioapi names istio.io/api %s; run go generate ./render/...", r.source, version)
			}
			src, err := upstream.Read(version)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%x", sha256.Sum256(src)); got != r.sha256 {
				t.Errorf("%s has sha256 %s, generated from one with %s", r.source, got, r.sha256)
			}
			want, err := upstream.Transform(src, version)
			if err != nil {
				t.Fatal(err)
			}
			got := All(r.minor)
			if len(got) != len(want) {
				t.Fatalf("embedded %d CRDs, upstream has %d; run go generate ./render/...", len(got), len(want))
			}
			for _, c := range got {
				if !bytes.Equal(c.YAML, want[c.Name]) {
					t.Errorf("%s differs from what istio.io/api generates; run go generate ./render/...", c.Name)
				}
			}
		})
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
		version := istioapi.ModuleVersion(m)
		label := fmt.Sprintf("\n    app.kubernetes.io/version: '%s'\n", upstream.Labels(version)["app.kubernetes.io/version"])
		annotation := fmt.Sprintf("\n    %s: %s\n", upstream.SourceAnnotation, upstream.Source(version))
		for _, c := range All(m) {
			if !bytes.Contains(c.YAML, []byte(label)) || !bytes.Contains(c.YAML, []byte(annotation)) {
				t.Errorf("Istio %s's %s does not name istio.io/api %s", m, c.Name, version)
			}
		}
	}
}
