package v1alpha1

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Revision is one control plane of the mesh: istiod-<name> with its own
// injector, webhooks and mesh config, running one Istio release. Several
// revisions side by side are a canary upgrade.
//
// +k8s:deepcopy-gen=true
type Revision struct {
	// Name is a DNS label, istio.io/rev of everything the revision
	// serves; "default" is the name of a tag.
	Name string `json:"name"`
	// Version is the revision's Istio release (default spec.version).
	Version string `json:"version,omitempty"`
	// CompatibilityVersion is the minor release whose behaviour the
	// revision's istiod keeps (default spec.compatibilityVersion); see
	// MeshSpec.CompatibilityVersion.
	CompatibilityVersion string `json:"compatibilityVersion,omitempty"`
	// Digests pin the revision's images by digest, keyed by image name as
	// spec.registry.digests; they take precedence over those.
	Digests map[string]string `json:"digests,omitempty"`
}

// MeshNamespace is an application namespace in the mesh: meshrender sets the
// label that has its pods injected, and nothing else of it.
//
// +k8s:deepcopy-gen=true
type MeshNamespace struct {
	// Name of the namespace, which meshrender does not create, own or
	// delete: it only labels it.
	Name string `json:"name"`
	// Revision is the revision or tag whose istiod injects the pods:
	// the label istio.io/rev=<revision>.
	Revision string `json:"revision,omitempty"`
	// IstioInjection labels the namespace istio-injection=enabled
	// instead, for the default control plane: the one without a
	// revision, or the one the tag "default" names.
	IstioInjection bool `json:"istioInjection,omitempty"`
	// DataPlaneMode "ambient" puts the namespace's pods in the ambient
	// data plane (the label istio.io/dataplane-mode=ambient) instead of
	// injecting them: ztunnel carries their traffic. It needs
	// spec.ambient.enabled and takes neither revision nor
	// istioInjection. Left empty, the pods get sidecars.
	DataPlaneMode string `json:"dataPlaneMode,omitempty"`
	// Waypoints are the waypoint proxies of an ambient namespace: Envoy
	// deployments istiod creates and runs, which route its L7 traffic
	// and enforce L7 policy (JWT, paths) for what uses them.
	Waypoints []Waypoint `json:"waypoints,omitempty"`
}

// DefaultTag is the revision tag that takes over from the control plane
// without a revision: it injects namespaces labelled
// istio-injection=enabled and validates Istio resources without an
// istio.io/rev label.
const DefaultTag = "default"

// MultiRevision reports whether the mesh lists its control planes in
// spec.revisions, each in a component of its own.
func (s *MeshSpec) MultiRevision() bool { return len(s.Revisions) > 0 }

// injectsByDefault reports whether some control plane injects namespaces
// labelled istio-injection=enabled: the one without a revision, or the
// default tag's.
func (s *MeshSpec) injectsByDefault() bool {
	if _, ok := s.Tags[DefaultTag]; ok {
		return true
	}
	return !s.MultiRevision() && s.Revision == ""
}

// sharedVersion is the release every control plane runs, or "" when
// they run different ones.
func (s *MeshSpec) sharedVersion() string {
	if !s.MultiRevision() {
		return s.Version
	}
	for _, r := range s.Revisions[1:] {
		if r.Version != s.Revisions[0].Version {
			return ""
		}
	}
	return s.Revisions[0].Version
}

func (s *MeshSpec) setRevisionDefaults() {
	for i := range s.Revisions {
		if s.Revisions[i].Version == "" {
			s.Revisions[i].Version = s.Version
		}
		if s.Revisions[i].CompatibilityVersion == "" {
			s.Revisions[i].CompatibilityVersion = s.CompatibilityVersion
		}
	}
}

// validateRevisions checks the releases, the revisions and the tags.
func (t *Topology) validateRevisions(p *problems) {
	s := t.spec
	validateRelease(p, "spec.version", s.Version)
	if !s.MultiRevision() {
		validateCompatibility(p, "spec.compatibilityVersion", s.CompatibilityVersion, s.Version)
	}
	if !s.MultiRevision() {
		validateRevisionName(p, "spec.revision", s.Revision)
	} else if s.Revision != "" {
		p.add("spec.revision", "names the one control plane of a mesh without spec.revisions; with them, name each revision there")
	}
	seen := map[string]int{}
	for i, r := range s.Revisions {
		f := fmt.Sprintf("spec.revisions[%d]", i)
		if r.Name == "" {
			p.add(f+".name", "must not be empty")
		}
		validateRevisionName(p, f+".name", r.Name)
		if j, ok := seen[r.Name]; ok && r.Name != "" {
			p.add(f+".name", "duplicate revision %q (also spec.revisions[%d])", r.Name, j)
		}
		seen[r.Name] = i
		validateRelease(p, f+".version", r.Version)
		validateCompatibility(p, f+".compatibilityVersion", r.CompatibilityVersion, r.Version)
		validateDigests(p, f+".digests", r.Digests)
	}
	for _, tag := range sortedKeys(s.Tags) {
		f := fmt.Sprintf("spec.tags[%s]", tag)
		for _, msg := range validation.IsDNS1123Label(tag) {
			p.add(f, "%q is not a DNS label: %s", tag, msg)
		}
		if _, isRevision := seen[tag]; isRevision || (!s.MultiRevision() && tag == s.Revision) {
			p.add(f, "%q is the name of a revision; a tag needs a name of its own", tag)
		}
		rev := s.Tags[tag]
		if s.resolveRevisionName(rev) {
			continue
		}
		if _, isTag := s.Tags[rev]; isTag {
			p.add(f, "names the tag %q; a tag names a revision", rev)
			continue
		}
		p.add(f, "%q is not a revision; revisions are %q", rev, s.revisionNames())
	}
	t.validateMinorSkew(p)
	t.validateImagesAcrossReleases(p)
}

// resolveRevisionName reports whether name is a revision of the mesh.
func (s *MeshSpec) resolveRevisionName(name string) bool {
	return name != "" && slices.Contains(s.revisionNames(), name)
}

func (s *MeshSpec) revisionNames() []string {
	if !s.MultiRevision() {
		if s.Revision == "" {
			return []string{}
		}
		return []string{s.Revision}
	}
	out := make([]string, 0, len(s.Revisions))
	for _, r := range s.Revisions {
		out = append(out, r.Name)
	}
	return out
}

// validateImagesAcrossReleases refuses image settings that would give
// revisions of different releases the same image.
func (t *Topology) validateImagesAcrossReleases(p *problems) {
	s := t.spec
	versions := map[string]bool{}
	for _, cp := range t.Planes {
		versions[cp.Version] = true
	}
	if len(versions) < 2 {
		return
	}
	if s.Registry.Tag != "" {
		p.add("spec.registry.tag", "gives every revision the image tag %q, but the revisions run different releases; leave it out, and each revision's images are tagged with its release", s.Registry.Tag)
	}
	for _, name := range sortedKeys(s.Registry.Digests) {
		for i, r := range s.Revisions {
			if _, own := r.Digests[name]; !own {
				p.add(fmt.Sprintf("spec.registry.digests[%s]", name), "pins one %s image for revisions of different releases; pin it per revision in spec.revisions[%d].digests", name, i)
				break
			}
		}
	}
}

func validateRevisionName(p *problems, field, rev string) {
	if rev == "" {
		return
	}
	if rev == DefaultTag {
		p.add(field, `"default" names the unrevisioned control plane and the default tag, not a revision`)
		return
	}
	for _, msg := range validation.IsDNS1123Label(rev) {
		p.add(field, "%q is not a DNS label: %s", rev, msg)
	}
	// istiod-<revision> is a Service name, a DNS label of at most 63.
	if len(rev) > 56 {
		p.add(field, "%q is longer than 56 characters; istiod-%s would not be a valid Service name", rev, rev)
	}
}

// validateFollowedRevision checks a gateway's revision or tag; "" follows
// the default control plane, which must then exist.
func (t *Topology) validateFollowedRevision(p *problems, field, ref string) {
	s := t.spec
	if t.Resolve(ref) != nil {
		return
	}
	if ref == "" {
		p.add(field, "the mesh has several revisions and no %q tag; say which revision or tag this follows", DefaultTag)
		return
	}
	p.add(field, "%q is neither a revision nor a tag; revisions are %q, tags %q", ref, s.revisionNames(), sortedKeys(s.Tags))
}
