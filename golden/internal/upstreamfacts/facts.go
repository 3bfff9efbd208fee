// Package upstreamfacts extracts, from what `istioctl manifest generate`
// prints for an IstioOperator, the facts that golden's tests compare
// meshrender's profile for the same install with: the objects, istiod's
// env names, the istio-cni DaemonSet's container, volumes and config, the
// webhooks, the injector's config checksum and values, the mesh config;
// and, so that meshrender's CustomResourceDefinitions can be shown to be
// upstream's, the checksum of every CRD's spec; and the rules of every
// ClusterRole and Role. The reference architecture's manifest
// (TestReferenceMatchesUpstream) adds the gateways' facts, istioctl's
// ambient profile (TestAmbientMatchesUpstream) those of the ambient data
// plane: istiod's env values and ztunnel's DaemonSet.
//
// The facts are extracted once per Istio release by the command in
// cmd/upstreamfacts and committed under golden/testdata, so the tests
// never read istioctl's output itself. Every fact is a copy of a part of
// that output, in the order istioctl prints it, or a checksum of one.
package upstreamfacts

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Facts are the facts of one istioctl manifest. Numbers decoded from the
// manifest are json.Number, so they print back as istioctl wrote them.
type Facts struct {
	// Source describes the manifest: which istioctl, which input.
	Source string `json:"source"`
	// InputSHA256 is the hex sha256 of the manifest, byte for byte.
	InputSHA256 string `json:"inputSHA256"`
	// Revision is the control plane's revision, "" for the default one.
	Revision string `json:"revision"`
	// Objects are every object of the manifest, in its order.
	Objects []Object `json:"objects"`
	// IstiodEnv names istiod's environment variables, in their order.
	IstiodEnv []string `json:"istiodEnv"`
	// CNI is the istio-cni-node DaemonSet's first container's command,
	// args, env, envFrom, securityContext and volumeMounts, its pods'
	// tolerations and volumes, and, as config, the data of the
	// istio-cni-config ConfigMap.
	CNI map[string]any `json:"cni"`
	// MutatingWebhooks and ValidatingWebhooks are the webhooks of every
	// MutatingWebhookConfiguration and ValidatingWebhookConfiguration.
	MutatingWebhooks   []map[string]any `json:"mutatingWebhooks"`
	ValidatingWebhooks []map[string]any `json:"validatingWebhooks"`
	// InjectorConfigSHA256 is the hex sha256 of the config of the
	// istio-sidecar-injector-<revision> ConfigMap (without -<revision>
	// for the default control plane), byte for byte.
	InjectorConfigSHA256 string `json:"injectorConfigSHA256"`
	// InjectorValues are that ConfigMap's values, decoded.
	InjectorValues map[string]any `json:"injectorValues"`
	// Mesh is the mesh config of the istio-<revision> ConfigMap (istio
	// for the default control plane), decoded.
	Mesh map[string]any `json:"mesh"`
	// Ingress and Egress are the gateways' facts, of ProfileReference
	// only: istioctl's ambient profile renders no gateway.
	Ingress Gateway `json:"istio-ingressgateway,omitzero"`
	Egress  Gateway `json:"istio-egressgateway,omitzero"`
	// Ambient are the facts of the ambient data plane, of
	// ProfileAmbient only.
	Ambient *Ambient `json:"ambient,omitempty"`
	// CRDSpecSHA256 are, by name, the CanonicalSHA256 of every
	// CustomResourceDefinition's spec.
	CRDSpecSHA256 map[string]string `json:"crdSpecSHA256"`
	// RBACRules are the rules of every ClusterRole, by name, and of every
	// Role, by namespace/name.
	RBACRules map[string]any `json:"rbacRules"`
}

// Object names one object of the manifest.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Gateway are the facts of one gateway: its Deployment's first
// container's env names, args and resources, its rollout strategy, its
// Service's ports and type and its HorizontalPodAutoscaler's spec.
type Gateway struct {
	Env          []string         `json:"env"`
	Args         []string         `json:"args"`
	ServicePorts []map[string]any `json:"servicePorts"`
	ServiceType  string           `json:"serviceType"`
	HPA          map[string]any   `json:"hpa"`
	Resources    map[string]any   `json:"resources"`
	Strategy     map[string]any   `json:"strategy"`
}

// Ambient are the facts of istioctl's ambient data plane.
type Ambient struct {
	// IstiodEnv are the values of istiod's environment variables that
	// are not set from a field or resource (valueFrom), by name; "" for
	// one without a value. Ambient is switched on and ztunnel's identity
	// named by values (PILOT_ENABLE_AMBIENT, CA_TRUSTED_NODE_ACCOUNTS),
	// which IstiodEnv's names alone do not show.
	IstiodEnv map[string]string `json:"istiodEnv"`
	// Ztunnel is the ztunnel DaemonSet: its first container's image,
	// args, env, ports, readinessProbe, resources, securityContext and
	// volumeMounts, its pods' labels (podLabels), annotations
	// (podAnnotations), nodeSelector, priorityClassName,
	// serviceAccountName, terminationGracePeriodSeconds, tolerations and
	// volumes, and its updateStrategy.
	Ztunnel map[string]any `json:"ztunnel"`
}

// Profile says what install a manifest is of, and so which facts it has
// beside those every manifest has.
type Profile string

const (
	// ProfileReference is the reference architecture's IstioOperator: the
	// ingress and egress gateways' facts.
	ProfileReference Profile = "reference"
	// ProfileAmbient is istioctl's ambient profile: the ambient data
	// plane's facts, and no gateways.
	ProfileAmbient Profile = "ambient"
)

// Profiles are the profiles Extract reads.
var Profiles = []Profile{ProfileReference, ProfileAmbient}

// Gateways are the gateways Facts describe, by name.
var Gateways = []string{"istio-ingressgateway", "istio-egressgateway"}

// Extract reads the facts of an istioctl manifest of profile p whose
// control plane is revision revision: its istiod Deployment is
// istiod-<revision>, or istiod for the default control plane, revision
// "". source describes the manifest.
func Extract(manifest []byte, p Profile, source, revision string) (*Facts, error) {
	if p != ProfileReference && p != ProfileAmbient {
		return nil, fmt.Errorf("unknown profile %q; the profiles are %q", p, Profiles)
	}
	objs, err := decodeManifest(manifest)
	if err != nil {
		return nil, err
	}
	m := manifestObjects(objs)
	sum := sha256.Sum256(manifest)
	f := &Facts{Source: source, InputSHA256: hex.EncodeToString(sum[:]), Revision: revision, CNI: map[string]any{}, RBACRules: map[string]any{}}
	if f.CRDSpecSHA256, err = crdSpecChecksums(objs); err != nil {
		return nil, err
	}
	for _, o := range objs {
		f.Objects = append(f.Objects, Object{Kind: str(o, "kind"), Namespace: str(o, "metadata", "namespace"), Name: str(o, "metadata", "name")})
		switch str(o, "kind") {
		case "ClusterRole":
			f.RBACRules[str(o, "metadata", "name")] = get(o, "rules")
		case "Role":
			f.RBACRules[str(o, "metadata", "namespace")+"/"+str(o, "metadata", "name")] = get(o, "rules")
		case "MutatingWebhookConfiguration":
			f.MutatingWebhooks = append(f.MutatingWebhooks, maps(get(o, "webhooks"))...)
		case "ValidatingWebhookConfiguration":
			f.ValidatingWebhooks = append(f.ValidatingWebhooks, maps(get(o, "webhooks"))...)
		}
	}

	istiod, err := m.container("Deployment", revisioned("istiod", revision))
	if err != nil {
		return nil, err
	}
	for _, e := range maps(istiod["env"]) {
		f.IstiodEnv = append(f.IstiodEnv, str(e, "name"))
	}

	cni, err := m.one("DaemonSet", "istio-cni-node")
	if err != nil {
		return nil, err
	}
	c, err := m.container("DaemonSet", "istio-cni-node")
	if err != nil {
		return nil, err
	}
	for _, key := range []string{"command", "args", "env", "envFrom", "securityContext", "volumeMounts"} {
		f.CNI[key] = c[key]
	}
	for _, key := range []string{"tolerations", "volumes"} {
		f.CNI[key] = get(cni, "spec", "template", "spec", key)
	}
	cniConfig, err := m.one("ConfigMap", "istio-cni-config")
	if err != nil {
		return nil, err
	}
	f.CNI["config"] = get(cniConfig, "data")

	injector, err := m.one("ConfigMap", revisioned("istio-sidecar-injector", revision))
	if err != nil {
		return nil, err
	}
	sum = sha256.Sum256([]byte(str(injector, "data", "config")))
	f.InjectorConfigSHA256 = hex.EncodeToString(sum[:])
	if err := decodeJSON([]byte(str(injector, "data", "values")), &f.InjectorValues); err != nil {
		return nil, fmt.Errorf("the injector's values: %w", err)
	}

	mesh, err := m.one("ConfigMap", revisioned("istio", revision))
	if err != nil {
		return nil, err
	}
	if err := decodeYAML([]byte(str(mesh, "data", "mesh")), &f.Mesh); err != nil {
		return nil, fmt.Errorf("the mesh config: %w", err)
	}

	if p == ProfileAmbient {
		if f.Ambient, err = m.ambient(istiod); err != nil {
			return nil, err
		}
		return f, nil
	}
	for _, name := range Gateways {
		g, err := m.gateway(name)
		if err != nil {
			return nil, err
		}
		if name == "istio-ingressgateway" {
			f.Ingress = g
		} else {
			f.Egress = g
		}
	}
	return f, nil
}

// revisioned is the name of an object of the control plane of revision:
// base-<revision>, or base for the default control plane.
func revisioned(base, revision string) string {
	if revision == "" {
		return base
	}
	return base + "-" + revision
}

// ambient reads the facts of the ambient data plane, with istiod's
// container.
func (m manifestObjects) ambient(istiod map[string]any) (*Ambient, error) {
	a := &Ambient{IstiodEnv: map[string]string{}, Ztunnel: map[string]any{}}
	for _, e := range maps(istiod["env"]) {
		if _, from := e["valueFrom"]; !from {
			a.IstiodEnv[str(e, "name")] = str(e, "value")
		}
	}
	ds, err := m.one("DaemonSet", "ztunnel")
	if err != nil {
		return nil, err
	}
	c, err := m.container("DaemonSet", "ztunnel")
	if err != nil {
		return nil, err
	}
	for _, key := range []string{"image", "args", "env", "ports", "readinessProbe", "resources", "securityContext", "volumeMounts"} {
		a.Ztunnel[key] = c[key]
	}
	for _, key := range []string{"nodeSelector", "priorityClassName", "serviceAccountName", "terminationGracePeriodSeconds", "tolerations", "volumes"} {
		a.Ztunnel[key] = get(ds, "spec", "template", "spec", key)
	}
	a.Ztunnel["podLabels"] = get(ds, "spec", "template", "metadata", "labels")
	a.Ztunnel["podAnnotations"] = get(ds, "spec", "template", "metadata", "annotations")
	a.Ztunnel["updateStrategy"] = get(ds, "spec", "updateStrategy")
	return a, nil
}

// CRDSpecChecksums are, by name, the CanonicalSHA256 of the spec of
// every CustomResourceDefinition of a YAML stream, decoded as Extract
// decodes a manifest: a stream whose CRDs have the same specs as a
// manifest's has the same checksums as its facts.
func CRDSpecChecksums(stream []byte) (map[string]string, error) {
	objs, err := decodeManifest(stream)
	if err != nil {
		return nil, err
	}
	return crdSpecChecksums(objs)
}

func crdSpecChecksums(objs []map[string]any) (map[string]string, error) {
	sums := map[string]string{}
	for _, o := range objs {
		if str(o, "kind") != "CustomResourceDefinition" {
			continue
		}
		name := str(o, "metadata", "name")
		if _, dup := sums[name]; dup {
			return nil, fmt.Errorf("two CustomResourceDefinitions %s", name)
		}
		spec, ok := o["spec"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("CustomResourceDefinition %s has no spec", name)
		}
		sum, err := CanonicalSHA256(spec)
		if err != nil {
			return nil, fmt.Errorf("CustomResourceDefinition %s: %w", name, err)
		}
		sums[name] = sum
	}
	return sums, nil
}

// gateway reads the facts of the gateway name.
func (m manifestObjects) gateway(name string) (Gateway, error) {
	var g Gateway
	dep, err := m.one("Deployment", name)
	if err != nil {
		return g, err
	}
	c, err := m.container("Deployment", name)
	if err != nil {
		return g, err
	}
	for _, e := range maps(c["env"]) {
		g.Env = append(g.Env, str(e, "name"))
	}
	for _, a := range list(c["args"]) {
		s, _ := a.(string)
		g.Args = append(g.Args, s)
	}
	g.Resources, _ = c["resources"].(map[string]any)
	g.Strategy, _ = get(dep, "spec", "strategy").(map[string]any)
	svc, err := m.one("Service", name)
	if err != nil {
		return g, err
	}
	g.ServicePorts = maps(get(svc, "spec", "ports"))
	g.ServiceType = str(svc, "spec", "type")
	hpa, err := m.one("HorizontalPodAutoscaler", name)
	if err != nil {
		return g, err
	}
	g.HPA, _ = get(hpa, "spec").(map[string]any)
	return g, nil
}

// Encode prints facts as JSON: object keys sorted, indented by two
// spaces, no HTML escaping and no final newline.
func (f *Facts) Encode() ([]byte, error) {
	return encode(f, "  ")
}

// CanonicalJSON prints v as canonical JSON: object keys sorted, no
// insignificant white space, no HTML escaping, numbers as written (a
// float64 as encoding/json prints it). A value and its JSON decoding
// print the same.
func CanonicalJSON(v any) ([]byte, error) {
	return encode(v, "")
}

// CanonicalSHA256 is the hex sha256 of CanonicalJSON(v).
func CanonicalSHA256(v any) (string, error) {
	data, err := CanonicalJSON(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// encode prints v through a generic decoding, so that struct fields
// print in key order like map keys do.
func encode(v any, indent string) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := decodeJSON(data, &generic); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(generic); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeManifest decodes every non-empty document of a YAML stream.
func decodeManifest(manifest []byte) ([]map[string]any, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifest)))
	var objs []map[string]any
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		var o map[string]any
		if err := decodeYAML(doc, &o); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if o != nil {
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		return nil, errors.New("no objects in the manifest")
	}
	return objs, nil
}

// decodeYAML decodes YAML as JSON with numbers kept as written.
func decodeYAML(data []byte, v any) error {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return err
	}
	return decodeJSON(j, v)
}

func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

type manifestObjects []map[string]any

// one is the only object of a kind and name.
func (m manifestObjects) one(kind, name string) (map[string]any, error) {
	var found []map[string]any
	for _, o := range m {
		if str(o, "kind") == kind && str(o, "metadata", "name") == name {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("the manifest has %d %s %s, want one", len(found), kind, name)
	}
	return found[0], nil
}

// container is the first container of a workload's pods.
func (m manifestObjects) container(kind, name string) (map[string]any, error) {
	o, err := m.one(kind, name)
	if err != nil {
		return nil, err
	}
	cs := maps(get(o, "spec", "template", "spec", "containers"))
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s %s has no container", kind, name)
	}
	return cs[0], nil
}

func get(o map[string]any, path ...string) any {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(o map[string]any, path ...string) string {
	s, _ := get(o, path...).(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func maps(v any) []map[string]any {
	var out []map[string]any
	for _, e := range list(v) {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
