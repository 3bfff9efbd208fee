package v1alpha1

import (
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/internal/compatibility"
)

func TestReleasesListEveryPatchOfEveryMinor(t *testing.T) {
	if IstioReleases[0] != "1.30.0" || IstioReleases[len(IstioReleases)-1] != IstioVersion || len(IstioReleases) != 14 {
		t.Fatalf("IstioReleases = %q, want 1.30.0 to 1.30.8 and 1.31.0 to %s", IstioReleases, IstioVersion)
	}
	for _, r := range IstioReleases {
		if renderedMinor(MinorOf(r)) == nil {
			t.Errorf("%s: its minor %q is not rendered", r, MinorOf(r))
		}
	}
	for in, want := range map[string]string{"1.31.4": "1.31", "1.30.10": "1.30", "1.31": "", "x.y.z": "", "": "", "1.31.4-rc.0": "1.31"} {
		if got := MinorOf(in); got != want {
			t.Errorf("MinorOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// Istio upgrades across at most two minor releases. With the minors
// rendered today no mesh can be further apart, so the check is shown on
// control planes of made-up releases.
func TestControlPlanesAtMostTwoMinorsApart(t *testing.T) {
	for _, tc := range []struct {
		versions []string
		want     string
	}{
		{[]string{"1.30.8", "1.31.4"}, ""},
		{[]string{"1.30.8", "1.32.0"}, ""},
		{[]string{"1.33.1", "1.30.8", "1.31.0"}, `spec.revisions[0].version: Istio 1.33.1 is 3 minor releases after 1.30.8 (spec.revisions[1]); Istio upgrades across at most 2, so upgrade in steps`},
		{[]string{"1.30.0", "bad"}, ""},
	} {
		var top Topology
		for i, v := range tc.versions {
			top.Planes = append(top.Planes, &ControlPlane{Version: v, Field: "spec.revisions[" + string(rune('0'+i)) + "]"})
		}
		var p problems
		top.validateMinorSkew(&p)
		var got []string
		for _, e := range p {
			got = append(got, e.Field+": "+e.Message)
		}
		if want := slices.DeleteFunc([]string{tc.want}, func(s string) bool { return s == "" }); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%q: got %q, want %q", tc.versions, got, want)
		}
	}
}

// Validation accepts the compatibility versions Istio's charts of each
// minor have profiles for, no more and no fewer.
func TestCompatibilityVersionsHaveProfiles(t *testing.T) {
	for _, m := range IstioMinors {
		n, _ := minorNumber(m.Name)
		if got, want := compatibility.Supported(m.Name), compatibleMinors(n); !slices.Equal(got, want) {
			t.Errorf("Istio %s: profiles for %q, validation accepts %q", m.Name, got, want)
		}
	}
}
