package v1alpha1

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/profiles"
)

// Validate reports every problem of m, each with its field path. m need
// not be defaulted: Validate checks a defaulted copy, the mesh a renderer
// renders, and leaves m as it is. What only rendering finds is Render's
// to report: what the overlays do to the rendered objects (a target that
// selects nothing, a patched object that no longer fits its API or its
// namespace's Pod Security level) and an output too large.
func (m *Mesh) Validate() error {
	_, err := Check(*m)
	return err
}

// Check defaults a copy of m, derives its topology and validates both,
// with extra overlays after spec.overlays (as a tool that renders the
// mesh adds what it needs of the output). It returns the topology of the
// valid mesh, or every problem with its field path; m is left as it is.
func Check(m Mesh, extra ...Overlay) (*Topology, error) {
	// The sizes are the config's, checked before anything copies it;
	// what defaults and profiles add is meshrender's own and small.
	if err := m.checkSizes(); err != nil {
		return nil, err
	}
	mesh := m.DeepCopy()
	if err := mesh.Default(); err != nil {
		return nil, err
	}
	t := NewTopology(mesh)
	var p problems
	t.validateFields(&p)
	if len(p) == 0 {
		// The derived names and namespaces come from the fields; with
		// fields that failed, their messages would only repeat theirs.
		t.validateDerived(&p)
	}
	if patches := slices.Concat(mesh.Spec.Overlays, extra); len(patches) > 0 {
		set, errs := overlays.Compile(patches)
		for _, e := range errs {
			p.addText(e.Describe("spec.overlays"))
		}
		t.Overlays = set
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return t, nil
}

// validateFields checks every field on its own and against the others, in
// field order.
func (t *Topology) validateFields(p *problems) {
	m := t.Mesh
	if m.APIVersion != APIVersion {
		p.add("apiVersion", "must be %q, got %q", APIVersion, m.APIVersion)
	}
	if m.Kind != Kind {
		p.add("kind", "must be %q, got %q", Kind, m.Kind)
	}
	for _, msg := range validation.IsValidLabelValue(m.Metadata.Name) {
		p.add("metadata.name", "%q is not a valid name: %s", m.Metadata.Name, msg)
	}
	if m.Metadata.Name == "" {
		p.add("metadata.name", "must not be empty")
	}
	s := &m.Spec
	validateProfile(p, s.Profile)
	t.validateRevisions(p)
	s.Registry.validate(p)
	p.checkEnum("spec.mtls.mode", "MTLS.Mode", s.MTLS.Mode)
	validateZones(p, s.Zones)
	s.Istiod.validate(p)
	s.Injection.validate(p)
	s.validateCNI(p)
	s.validateAmbient(p)
	s.validateMultiCluster(p)
	s.validateTrust(p)
	t.validateIngress(p)
	t.validateExposureClasses(p)
	t.validateEgress(p)
	t.validateNamespaces(p)
	s.validateNetworkPolicy(p)
	t.validateCertificates(p)
	if s.MeshConfig.validate(p, s.Istiod.Namespace) {
		t.validateMeshConfigReleases(p)
	}
	for _, name := range sortedKeys(s.PodSecurity) {
		p.checkEnum("spec.podSecurity["+name+"]", "MeshSpec.PodSecurity", s.PodSecurity[name])
	}
}

// validateDerived checks what the fields derive once each is valid: the
// gateways' namespaces, each a valid name of one gateway's own, and the
// Pod Security level of every namespace meshrender owns.
func (t *Topology) validateDerived(p *problems) {
	s := t.spec
	ingress := t.Ingress()
	if len(ingress) > MaxGateways {
		p.add("spec.exposureClasses", "%d zones and %d exposure classes make %d ingress gateways, more than the %d meshrender renders", len(s.Zones), len(s.ExposureClasses), len(ingress), MaxGateways)
		return
	}
	owner := map[string]string{}
	for _, g := range ingress {
		for _, msg := range validation.IsDNS1123Label(g.Namespace) {
			p.add(g.Field, "gateway namespace %q is not valid even with the zone hashed: %s", g.Namespace, msg)
		}
		if other, ok := owner[g.Namespace]; ok {
			p.add(g.Field, "gateway namespace %q is already used by the gateway of %s", g.Namespace, other)
			continue
		}
		owner[g.Namespace] = g.Field
	}
	if e := t.Egress(); e != nil {
		if other, ok := owner[e.Namespace]; ok {
			p.add("spec.egress.namespace", "%q also holds the ingress gateway of %s; give the egress gateway a namespace of its own", e.Namespace, other)
		}
	}
	for _, ns := range t.Namespaces {
		if _, set := s.PodSecurity[ns.Name]; !set {
			*p = append(*p, ns.conflicts...)
		}
	}
	for _, name := range sortedKeys(s.PodSecurity) {
		f := "spec.podSecurity[" + name + "]"
		if !t.Owns(name) {
			var owned []string
			for _, ns := range t.Namespaces {
				owned = append(owned, ns.Name)
			}
			p.add(f, "%q is not a namespace meshrender renders; it renders %q", name, owned)
		}
	}
}

// Limits on the size of a mesh. The largest seed clusters span a handful
// of zones with a few exposure classes; the limits leave room for far more
// while keeping a render to seconds and its output to tens of MiB.
const (
	// MaxZones is the most entries spec.zones may have.
	MaxZones = 100
	// MaxExposureClasses is the most entries spec.exposureClasses may have.
	MaxExposureClasses = 100
	// MaxGateways is the most gateways a mesh may render, zonal copies
	// included.
	MaxGateways = 2000
)

func validateZones(p *problems, zones []string) {
	if len(zones) > MaxZones {
		p.add("spec.zones", "%d zones are more than the %d meshrender renders", len(zones), MaxZones)
		return
	}
	seen := map[string]int{}
	for i, z := range zones {
		f := fmt.Sprintf("spec.zones[%d]", i)
		if z == "" {
			p.add(f, "zone must not be empty")
			continue
		}
		// Nodes carry their zone as a label value; anything else never
		// matches a node.
		for _, msg := range validation.IsValidLabelValue(z) {
			p.add(f, "%q cannot be a topology.kubernetes.io/zone label value: %s", z, msg)
		}
		if j, ok := seen[z]; ok {
			p.add(f, "duplicate zone %q (also spec.zones[%d])", z, j)
			continue
		}
		seen[z] = i
	}
}

// systemNamespaces belong to the cluster: meshrender would label them Pod
// Security restricted, which stops the system pods there.
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// validateNamespaceName checks a namespace meshrender renders and owns.
func validateNamespaceName(p *problems, field, ns string) {
	if ns == "" {
		p.add(field, "must not be empty")
		return
	}
	if slices.Contains(systemNamespaces, ns) {
		p.add(field, "%q is a system namespace; meshrender owns its namespaces and labels them Pod Security restricted", ns)
		return
	}
	for _, msg := range validation.IsDNS1123Label(ns) {
		p.add(field, "%q is not a namespace name: %s", ns, msg)
	}
}

func validateAnnotations(p *problems, field string, annotations map[string]string) {
	for _, k := range sortedKeys(annotations) {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			p.add(field, "%q is not a valid annotation key: %s", k, msg)
		}
	}
}

func validateLabels(p *problems, field string, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		for _, msg := range validation.IsQualifiedName(k) {
			p.add(field, "%q is not a valid label key: %s", k, msg)
		}
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			p.add(field+"["+k+"]", "%q is not a valid label value: %s", labels[k], msg)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validateProfile reports a profile that is neither the default nor a
// built-in one.
func validateProfile(p *problems, name string) {
	if _, ok := profiles.Get(name); !ok && name != ProfileDefault {
		p.add("spec.profile", "unknown profile %q; built-in profiles are %q", name, profiles.Names())
	}
}

// isHTTPSURL says whether s is an absolute https URL with a host.
func isHTTPSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}
