package v1alpha1

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Registry says where images come from: hub/name:tag[-variant], or
// hub/name@digest when Digests has an entry for the image name.
//
// +k8s:deepcopy-gen=true
type Registry struct {
	// Hub is the registry and path prefix, such as docker.io/istio.
	Hub string `json:"hub,omitempty"`
	// Tag defaults to the release of the revision the image is for, the
	// same for all in a mesh of one release.
	Tag string `json:"tag,omitempty"`
	// Variant selects an image flavour such as "distroless"; it is
	// appended to the tag.
	Variant string `json:"variant,omitempty"`
	// PullSecrets are Secret names added to every pod and service account.
	PullSecrets []string `json:"pullSecrets,omitempty"`
	// Digests maps an image name (pilot, proxyv2, install-cni, ztunnel) to a
	// sha256 digest that pins it.
	Digests map[string]string `json:"digests,omitempty"`
}

// DefaultHub is where images come from unless spec.registry.hub says
// otherwise.
const DefaultHub = "docker.io/istio"

// ImageNames lists the images a mesh may use, by the names
// spec.registry.digests takes as keys.
var ImageNames = []string{"pilot", "proxyv2", "install-cni", "ztunnel"}

// Image returns the reference of the named image under the registry
// settings: hub/name@digest when a digest pins it, else
// hub/name:tag[-variant].
func (r Registry) Image(name string) string {
	if d, ok := r.Digests[name]; ok {
		return r.Hub + "/" + name + "@" + d
	}
	tag := r.Tag
	if r.Variant != "" {
		tag += "-" + r.Variant
	}
	return r.Hub + "/" + name + ":" + tag
}

// setDefaults fills in the hub, and the tag when every revision runs
// version; "" leaves the tag to each revision's release.
func (r *Registry) setDefaults(version string) {
	if r.Hub == "" {
		r.Hub = DefaultHub
	}
	if r.Tag == "" {
		r.Tag = version
	}
}

var (
	// hubPattern follows the image reference grammar: a registry host with
	// an optional port, then lower-case path components.
	hubPattern = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$`)
	// tagPattern leaves the 128-character limit to validTag: a counted
	// repetition would compile into a program hundreds of states long.
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

func validTag(tag string) bool { return len(tag) <= 128 && tagPattern.MatchString(tag) }

func (r *Registry) validate(p *problems) {
	if !hubPattern.MatchString(r.Hub) {
		p.add("spec.registry.hub", "%q is not a registry and repository path such as docker.io/istio", r.Hub)
	}
	if r.Tag != "" && !validTag(r.Tag) {
		p.add("spec.registry.tag", "%q is not a valid image tag", r.Tag)
	}
	// Without a tag, each revision's release is the tag; every release
	// is as long as IstioVersion.
	if r.Variant != "" && !validTag(cmp.Or(r.Tag, IstioVersion)+"-"+r.Variant) {
		p.add("spec.registry.variant", "%q does not make a valid image tag", r.Variant)
	}
	seen := map[string]bool{}
	for i, s := range r.PullSecrets {
		f := fmt.Sprintf("spec.registry.pullSecrets[%d]", i)
		for _, msg := range validation.IsDNS1123Subdomain(s) {
			p.add(f, "%q is not a Secret name: %s", s, msg)
		}
		if seen[s] {
			p.add(f, "duplicate pull secret %q", s)
		}
		seen[s] = true
	}
	validateDigests(p, "spec.registry.digests", r.Digests)
}

// validateDigests checks image digests keyed by image name.
func validateDigests(p *problems, field string, digests map[string]string) {
	for _, name := range sortedKeys(digests) {
		f := fmt.Sprintf("%s[%s]", field, name)
		if !slices.Contains(ImageNames, name) {
			p.add(f, "unknown image %q; images are %q", name, ImageNames)
		}
		if d := digests[name]; !digestPattern.MatchString(d) {
			p.add(f, "%q is not a digest of the form sha256:<64 hex digits>", d)
		}
	}
}
