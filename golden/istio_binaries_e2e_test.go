//go:build e2e

package golden

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// The runtime tests run every control plane and every proxy with the
// Istio binaries of its own release's minor: make tools builds each minor
// into bin/istio-<minor>/ from its tools module, golden/tools/istio-<minor>.

// istioBins are the Istio programs of one minor.
type istioBins struct {
	// minor is the Istio minor, such as "1.31".
	minor string
	// discovery is istiod (pilot-discovery), agent the proxy agent
	// (pilot-agent) and bootstrapTemplate the proxyv2 image's Envoy
	// bootstrap template, which the agent fills in.
	discovery, agent, bootstrapTemplate string
}

// istioBinaries are the Istio binaries of the minor of release (1.31.4
// runs those in bin/istio-1.31/). It fails the test when release is not
// an Istio release, when a binary of its minor is missing, or when one was
// built from another minor's Istio.
func istioBinaries(t *testing.T, release string) istioBins {
	t.Helper()
	bins, err := istioBinariesOf(release)
	if err != nil {
		t.Fatal(err)
	}
	return bins
}

// istioBinariesOf is istioBinaries without a test.
func istioBinariesOf(release string) (istioBins, error) {
	minor, err := minorOf(release)
	if err != nil {
		return istioBins{}, err
	}
	dir, err := filepath.Abs(filepath.Join(binDir, "istio-"+minor))
	if err != nil {
		return istioBins{}, err
	}
	bins := istioBins{minor: minor,
		discovery:         filepath.Join(dir, "pilot-discovery"),
		agent:             filepath.Join(dir, "pilot-agent"),
		bootstrapTemplate: filepath.Join(dir, "envoy_bootstrap.json"),
	}
	for _, p := range []string{bins.discovery, bins.agent, bins.bootstrapTemplate} {
		if _, err := os.Stat(p); err != nil {
			return istioBins{}, fmt.Errorf("Istio %s runs the binaries of Istio %s, but %s is missing (make tools builds every minor of ISTIO_MINORS; is %s among them?): %w", release, minor, p, minor, err)
		}
	}
	for _, p := range []string{bins.discovery, bins.agent} {
		if err := checkBuiltFor(p, release); err != nil {
			return istioBins{}, err
		}
	}
	return bins, nil
}

// releasePattern is an Istio release: 1.31.4, or a pre-release such as
// 1.31.0-rc.1.
var releasePattern = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// minorOf is the minor of an Istio release: 1.31 of 1.31.4.
func minorOf(release string) (string, error) {
	m := releasePattern.FindStringSubmatch(release)
	if m == nil {
		return "", fmt.Errorf("%q is not an Istio release such as 1.31.4", release)
	}
	return m[1] + "." + m[2], nil
}

// builtMinors caches builtMinor by path: the parallel tests ask about the
// same few binaries.
var builtMinors sync.Map // path -> builtMinorResult

type builtMinorResult struct {
	minor string
	err   error
}

// builtMinor is the Istio minor a Go binary of Istio was built for: the
// minor of the istio.io/api it was built against, as its build info
// records it (the tools module of each minor replaces istio.io/api with
// that minor's release).
func builtMinor(path string) (string, error) {
	if r, ok := builtMinors.Load(path); ok {
		return r.(builtMinorResult).minor, r.(builtMinorResult).err
	}
	minor, err := readBuiltMinor(path)
	builtMinors.Store(path, builtMinorResult{minor, err})
	return minor, err
}

func readBuiltMinor(path string) (string, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: no Go build info: %w", path, err)
	}
	for _, d := range info.Deps {
		if d.Path != "istio.io/api" {
			continue
		}
		v := d.Version
		if d.Replace != nil {
			v = d.Replace.Version
		}
		minor, err := minorOf(strings.TrimPrefix(v, "v"))
		if err != nil {
			return "", fmt.Errorf("%s was built against istio.io/api %s: %w", path, v, err)
		}
		return minor, nil
	}
	return "", fmt.Errorf("%s was not built against istio.io/api", path)
}

// checkBuiltFor fails when the Istio binary at path was built for
// another minor than that of release.
func checkBuiltFor(path, release string) error {
	want, err := minorOf(release)
	if err != nil {
		return err
	}
	got, err := builtMinor(path)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s is Istio %s's, but Istio %s runs Istio %s's", path, got, release, want)
	}
	return nil
}

// versionLabel is the label meshrender sets on everything of a revision
// to the revision's Istio release.
const versionLabel = "app.kubernetes.io/version"

// podRelease is the Istio release a rendered pod template's container
// runs: the template's app.kubernetes.io/version label, which meshrender
// sets to the revision's release whatever the image's tag or digest, or
// else the tag of the container's image when that is a release. It is ""
// when neither says.
func podRelease(tmpl corev1.PodTemplateSpec, container string) string {
	if v := tmpl.Labels[versionLabel]; v != "" {
		return v
	}
	for _, c := range append(tmpl.Spec.InitContainers, tmpl.Spec.Containers...) {
		if c.Name == container {
			if tag := imageTag(c.Image); releasePattern.MatchString(tag) {
				return tag
			}
		}
	}
	return ""
}

// imageTag is the tag of an image reference, "" for one pinned by digest
// or without a tag.
func imageTag(image string) string {
	if strings.Contains(image, "@") {
		return ""
	}
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(name, ":"); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// TestIstioBinariesOfEveryRelease: every Istio release meshrender renders
// has the binaries of its minor, built for that minor; and the binaries of
// every minor make tools built are refused for a release of any other, so
// a control plane or proxy run with the wrong minor's Istio fails its test
// instead of passing by chance.
func TestIstioBinariesOfEveryRelease(t *testing.T) {
	for _, release := range v1alpha1.IstioReleases {
		bins, err := istioBinariesOf(release)
		if err != nil {
			t.Error(err)
			continue
		}
		if want := "istio-" + bins.minor; filepath.Base(filepath.Dir(bins.discovery)) != want {
			t.Errorf("Istio %s runs %s, want those in bin/%s", release, bins.discovery, want)
		}
	}
	dirs, err := filepath.Glob(filepath.Join(binDir, "istio-*"))
	if err != nil {
		t.Fatal(err)
	}
	var built []istioBins
	for _, dir := range dirs {
		bins, err := istioBinariesOf(strings.TrimPrefix(filepath.Base(dir), "istio-") + ".0")
		if err != nil {
			t.Error(err)
			continue
		}
		built = append(built, bins)
		if err := checkBuiltFor(bins.bootstrapTemplate, bins.minor+".0"); err == nil {
			t.Errorf("%s, which has no Go build info, passes for an Istio binary", bins.bootstrapTemplate)
		}
	}
	if len(built) < 2 {
		t.Logf("binaries of %d Istio minor built; the refusal of another minor's is checked with two or more", len(built))
	}
	for _, bins := range built {
		for _, other := range built {
			if other.minor == bins.minor {
				continue
			}
			release := other.minor + ".0"
			for _, p := range []string{bins.discovery, bins.agent} {
				if err := checkBuiltFor(p, release); err == nil || !strings.Contains(err.Error(), "is Istio "+bins.minor+"'s") {
					t.Errorf("%s, built for Istio %s, for Istio %s: %v, want it refused", p, bins.minor, release, err)
				}
			}
		}
	}
	if _, err := istioBinariesOf("1.999.0"); err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Errorf("binaries of a minor make tools does not build: %v, want them missing", err)
	}
	for _, notRelease := range []string{"1.31", "v1.31.4", "latest", ""} {
		if _, err := minorOf(notRelease); err == nil {
			t.Errorf("%q passes for an Istio release", notRelease)
		}
	}
	for image, want := range map[string]string{
		"docker.io/istio/pilot:1.31.4":             "1.31.4",
		"registry.example.com:5000/istio/pilot":    "",
		"registry.example.com:5000/istio/pilot:v2": "v2",
		"registry.example/istio/pilot@sha256:0123": "",
	} {
		if got := imageTag(image); got != want {
			t.Errorf("imageTag(%q) = %q, want %q", image, got, want)
		}
	}
}
