package v1alpha1

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// IstioMinor is one minor release of Istio that meshrender renders: every
// patch release of it renders with the minor's charts, CRDs and injection
// templates, and differs from the others only in the tag of its images and
// its app.kubernetes.io/version label.
type IstioMinor struct {
	// Name is the minor release, such as "1.31".
	Name string
	// Patches is the number of patch releases: Name.0 to Name.(Patches-1).
	Patches int
}

// IstioMinors are the minor releases meshrender renders, oldest first.
//
// The charts of 1.30 are those of its tag 1.30.3; the release-1.30 branch
// changed nothing under manifests/ up to 2026-08-21, and the CRDs of
// istio.io/api v1.30.8 are those of v1.30.3. The charts of 1.31 are the
// release-1.31 branch's of 2026-08-20, the 1.31.0 release's, whose CRDs
// are those of istio.io/api v1.31.4. Istio 1.32 is not rendered: the
// charts of its 1.32.0 release were not available to compare.
var IstioMinors = []IstioMinor{{"1.30", 9}, {"1.31", 5}}

// IstioReleases are the Istio releases meshrender renders, oldest first;
// spec.version and every revision's version is one of them.
var IstioReleases = func() []string {
	var out []string
	for _, m := range IstioMinors {
		for p := range m.Patches {
			out = append(out, fmt.Sprintf("%s.%d", m.Name, p))
		}
	}
	return out
}()

// MaxMinorSkew is how many minor releases apart two control planes of one
// mesh may be: Istio supports canary upgrades across at most two.
const MaxMinorSkew = 2

// MinorOf is the minor release of an Istio release: "1.31" for "1.31.4".
// It is "" for a string that is not major.minor.patch.
func MinorOf(release string) string {
	major, rest, ok := strings.Cut(release, ".")
	if !ok {
		return ""
	}
	minor, _, ok := strings.Cut(rest, ".")
	if !ok || !isNumber(major) || !isNumber(minor) {
		return ""
	}
	return major + "." + minor
}

// minorNumber is the number after the dot of a minor release ("1.31" is
// 31), and whether major is 1 and the release parses.
func minorNumber(minor string) (int, bool) {
	major, n, ok := strings.Cut(minor, ".")
	if !ok || major != "1" || !isNumber(n) {
		return 0, false
	}
	v, err := strconv.Atoi(n)
	return v, err == nil
}

func isNumber(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// renderedMinor is the IstioMinors entry named minor, or nil.
func renderedMinor(minor string) *IstioMinor {
	for i := range IstioMinors {
		if IstioMinors[i].Name == minor {
			return &IstioMinors[i]
		}
	}
	return nil
}

// ReleaseRanges names the releases meshrender renders, for people:
// "1.30.0–1.30.8 and 1.31.0–1.31.4".
func ReleaseRanges() string {
	parts := make([]string, len(IstioMinors))
	for i, m := range IstioMinors {
		parts[i] = fmt.Sprintf("%s.0–%s.%d", m.Name, m.Name, m.Patches-1)
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// validateRelease checks that version is a release meshrender renders,
// and says why not.
func validateRelease(p *problems, field, version string) {
	if slices.Contains(IstioReleases, version) {
		return
	}
	minor := MinorOf(version)
	switch m := renderedMinor(minor); {
	case m != nil:
		p.add(field, "Istio %q is not a release of %s meshrender renders; it renders %s", version, minor, ReleaseRanges())
	case minor == "1.32":
		p.add(field, "Istio %q is not rendered: the charts of Istio 1.32 were not available to meshrender, so it cannot render them faithfully; it renders %s", version, ReleaseRanges())
	case minor != "":
		p.add(field, "Istio %q is not a release meshrender renders; it renders %s", version, ReleaseRanges())
	default:
		p.add(field, "%q is not an Istio release (major.minor.patch); meshrender renders %s", version, ReleaseRanges())
	}
}

// validateMinorSkew refuses control planes whose releases are more than
// MaxMinorSkew minor releases apart.
func (t *Topology) validateMinorSkew(p *problems) {
	var oldest, newest *ControlPlane
	var lo, hi int
	for _, cp := range t.Planes {
		n, ok := minorNumber(cp.Minor())
		if !ok {
			continue // its release is refused already
		}
		if oldest == nil || n < lo {
			oldest, lo = cp, n
		}
		if newest == nil || n > hi {
			newest, hi = cp, n
		}
	}
	if oldest != nil && hi-lo > MaxMinorSkew {
		p.add(newest.Field+".version", "Istio %s is %d minor releases after %s (%s); Istio upgrades across at most %d, so upgrade in steps", newest.Version, hi-lo, oldest.Version, oldest.Field, MaxMinorSkew)
	}
}

// validateCompatibility checks a control plane's compatibility version
// against its release: one of the two minor releases before it, or its
// own (which changes nothing).
func validateCompatibility(p *problems, field, compat, release string) {
	if compat == "" {
		return
	}
	minor := MinorOf(release)
	rel, ok := minorNumber(minor)
	if !ok {
		return // the release is refused already
	}
	c, ok := minorNumber(compat)
	if !ok || MinorOf(compat+".0") != compat {
		p.add(field, "%q is not a minor release such as %q", compat, minor)
		return
	}
	switch {
	case c == rel:
		p.add(field, "%s is the control plane's own minor release; a compatibility version names an older one, so leave it out to get %s's behaviour", compat, minor)
	case c > rel:
		p.add(field, "%s is newer than the control plane's release %s; a compatibility version keeps the behaviour of an older release", compat, release)
	case rel-c > MaxMinorSkew:
		p.add(field, "%s is more than %d minor releases before %s; Istio %s keeps the behaviour of %s", compat, MaxMinorSkew, release, minor, oneOf(compatibleMinors(rel)))
	}
}

// compatibleMinors are the minor releases a control plane of minor rel
// may keep the behaviour of, oldest first.
func compatibleMinors(rel int) []string {
	var out []string
	for c := rel - MaxMinorSkew; c < rel; c++ {
		out = append(out, fmt.Sprintf("1.%d", c))
	}
	return out
}

// compatibilityVersions are the compatibility versions of every rendered
// minor release, oldest first, after "" for none.
func compatibilityVersions() []string {
	out := []string{""}
	for _, m := range IstioMinors {
		n, _ := minorNumber(m.Name)
		for _, c := range compatibleMinors(n) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
