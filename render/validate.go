package render

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/profiles"
)

// Validate reports every problem that keeps m from rendering, each with
// its field path. Call it after Default; Render does both.
func (m *Mesh) Validate() error {
	_, err := m.check()
	return err
}

// check validates a defaulted mesh and, when its fields are valid, plans
// its components and compiles its overlays, each once, for the pipeline.
func (m *Mesh) check() (*checked, error) {
	if err := m.checkSizes(); err != nil {
		return nil, err
	}
	var p problems
	m.validateFields(&p)
	var components []Component
	if len(p) == 0 {
		// Planning derives names from the fields; with fields that
		// failed, its messages would only repeat theirs.
		components = plan(m, &p)
	}
	set := compileOverlays(&p, m.Spec.Overlays)
	if err := p.err(); err != nil {
		return nil, err
	}
	return &checked{mesh: m, components: components, overlays: set}, nil
}

// validateFields checks every field on its own and against the others, in
// field order.
func (m *Mesh) validateFields(p *problems) {
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
	s.validateRevisions(p)
	s.Registry.validate(p)
	p.checkEnum("spec.mtls.mode", "MTLS.Mode", s.MTLS.Mode)
	validateZones(p, s.Zones)
	s.Istiod.validate(p)
	s.Injection.validate(p)
	s.validateCNI(p)
	s.validateIngress(p)
	s.validateExposureClasses(p)
	s.validateEgress(p)
	s.validateNamespaces(p)
	s.validateNetworkPolicy(p)
	s.validateCertificates(p)
	s.MeshConfig.validate(p, s.Istiod.Namespace)
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
