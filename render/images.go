package render

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
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
	// Digests maps an image name (pilot, proxyv2, install-cni) to a
	// sha256 digest that pins it.
	Digests map[string]string `json:"digests,omitempty"`
}

// DefaultHub is where images come from unless spec.registry.hub says
// otherwise.
const DefaultHub = "docker.io/istio"

// ImageNames lists the images a mesh may use, by the names
// spec.registry.digests takes as keys.
var ImageNames = []string{"pilot", "proxyv2", "install-cni"}

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

// Images returns every image the rendered objects' pods run, the proxy
// image every sidecar injector injects, and the images its injection
// templates name as they are (Istio's grpc-simple template runs
// busybox:1.28), sorted and without repeats: the list to mirror into a
// private registry. Reading the objects rather than the registry settings
// keeps it right when an overlay changes an image.
func Images(objs []Object) ([]string, error) {
	var out []string
	for _, o := range objs {
		switch o.Kind {
		case "Deployment", "DaemonSet", "StatefulSet", "Job":
		case "ConfigMap":
			images, err := injectedImages(o)
			if err != nil {
				return nil, err
			}
			out = append(out, images...)
			continue
		default:
			continue
		}
		var w struct {
			Spec struct {
				Template struct {
					Spec struct {
						InitContainers []struct{ Image string } `json:"initContainers"`
						Containers     []struct{ Image string } `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(o.YAML, &w); err != nil {
			return nil, err
		}
		for _, c := range slices.Concat(w.Spec.Template.Spec.InitContainers, w.Spec.Template.Spec.Containers) {
			if c.Image != "" {
				out = append(out, c.Image)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// injectedImages are the images a sidecar injector's ConfigMap makes
// istiod inject: the proxy, built as istiod builds it from the values the
// templates read (global.proxy.image as it is when it is a full
// reference, else <global.hub>/<global.proxy.image>:<global.tag>[-<global.variant>]),
// and every image a template names literally. It is nothing for any
// other ConfigMap.
func injectedImages(o Object) ([]string, error) {
	if !strings.HasPrefix(o.Name, "istio-sidecar-injector") {
		return nil, nil
	}
	var cm struct {
		Data struct {
			Values string `json:"values"`
			Config string `json:"config"`
		} `json:"data"`
	}
	if err := yaml.Unmarshal(o.YAML, &cm); err != nil || cm.Data.Values == "" {
		return nil, err
	}
	var values struct {
		Global struct {
			Hub, Tag, Variant string
			Proxy             struct{ Image string } `json:"proxy"`
		} `json:"global"`
	}
	if err := json.Unmarshal([]byte(cm.Data.Values), &values); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: values: %w", o.Namespace, o.Name, err)
	}
	g := values.Global
	proxy := g.Proxy.Image
	if !strings.Contains(proxy, "/") {
		proxy = Registry{Hub: g.Hub, Tag: g.Tag, Variant: g.Variant}.Image(proxy)
	}
	var config struct {
		Templates map[string]string `json:"templates"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data.Config), &config); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: config: %w", o.Namespace, o.Name, err)
	}
	out := []string{proxy}
	for _, name := range sortedKeys(config.Templates) {
		for _, m := range literalImage.FindAllStringSubmatch(config.Templates[name], -1) {
			out = append(out, strings.Trim(m[1], `"'`))
		}
	}
	return out, nil
}

// literalImage matches an image a template names as it is, not through
// a template expression.
var literalImage = regexp.MustCompile(`(?m)^\s*-?\s*image:\s*("[^"{}]+"|'[^'{}]+'|[^\s"'{}]+)\s*$`)
