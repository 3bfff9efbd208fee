package render_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/meshrender/meshrender/render"
)

// exercise calls every exported entry point of the library on a decoded
// mesh as it is, without defaulting it first, and checks that they agree:
// Validate refuses what Render refuses but for what only rendering finds (renderOnly), Render and Write give the
// same objects, and neither changes the mesh.
func exercise(t *testing.T, m v1alpha1.Mesh) {
	t.Helper()
	before := m.DeepCopy()
	verr := m.Validate()
	var defaulted v1alpha1.Mesh
	objs, rerr := render.Render(m, render.Defaulted(&defaulted))
	if verr != nil && rerr == nil || verr == nil && rerr != nil && !renderOnly(rerr) {
		t.Fatalf("Validate says %v, Render says %v", verr, rerr)
	}
	var buf bytes.Buffer
	werr := render.Write(&buf, m)
	if (werr == nil) != (rerr == nil) {
		t.Fatalf("Write says %v, Render says %v", werr, rerr)
	}
	if err := render.Write(io.Discard, m, render.WithOverlays(v1alpha1.Overlay{Target: &v1alpha1.OverlayTarget{Kind: "ConfigMap"}, Patch: "metadata: {labels: {a: b}}"})); (err == nil) != (rerr == nil) {
		t.Fatalf("Write with an overlay says %v, Render says %v", err, rerr)
	}
	if !reflect.DeepEqual(before, &m) {
		t.Fatal("rendering changed the mesh it was given")
	}
	if _, err := render.Images(objs); err != nil {
		t.Fatalf("Images: %v", err)
	}
	if _, err := m.Spec.MeshConfig.Proto(); err != nil && verr == nil {
		t.Fatalf("a valid mesh's mesh config is no MeshConfig: %v", err)
	}
	m.Spec.Registry.Image("proxyv2")
	m.Spec.Certificates.IsZero()
	if rerr != nil {
		return
	}
	var joined []byte
	for _, o := range objs {
		joined = append(append(joined, "---\n"...), o.YAML...)
		o.Layer.Rank()
	}
	if !bytes.Equal(joined, buf.Bytes()) {
		t.Fatal("Render and Write differ")
	}
	// The defaulted mesh defaults to itself (compared as JSON: a
	// profile's quantities are parsed again, so their cached forms
	// differ) and is valid.
	again := defaulted.DeepCopy()
	if err := again.Default(); err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, again), mustJSON(t, &defaulted); !bytes.Equal(a, b) {
		t.Fatalf("defaulting the defaulted mesh changed it:\n%s\n%s", a, b)
	}
	if err := defaulted.Validate(); err != nil {
		t.Fatalf("the defaulted mesh is invalid: %v", err)
	}
}

// renderOnly reports a problem only rendering can find: what the overlays
// do to the rendered objects, the Pod Security of the output, its size.
func renderOnly(err error) bool {
	var ve *v1alpha1.ValidationError
	if !errors.As(err, &ve) {
		return strings.Contains(err.Error(), "MiB of YAML")
	}
	for _, fe := range ve.Errors {
		if !strings.HasPrefix(fe.Field, "spec.overlays") && !strings.HasPrefix(fe.Field, "spec.podSecurity") {
			return false
		}
	}
	return true
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestEntryPointsNeedNoDefaults: a decoded mesh whose optional fields are
// unset, such as a disabled ingress with exposure classes, goes through
// every entry point without defaulting first.
func TestEntryPointsNeedNoDefaults(t *testing.T) {
	for _, doc := range []string{
		"spec: {ingress: {enabled: false}, exposureClasses: [{name: x}]}",
		"spec: {ingress: {enabled: false, zoneOverrides: [{zone: a}]}}",
		"spec: {egress: {enabled: true}, cni: {enabled: true}, networkPolicy: {enabled: true, namespaces: [{name: a}]}, namespaces: [{name: a, istioInjection: true}]}",
		"spec: {revisions: [{name: a}, {name: b}], ingress: {revision: c}}",
		"spec: {certificates: {gateways: [{name: c, gateway: ingress, dnsNames: [a.example]}]}}",
		"spec: {}",
	} {
		m, err := v1alpha1.Decode([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\n" + doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		t.Run(doc, func(t *testing.T) { exercise(t, m) })
	}
}

// FuzzEntryPoints decodes arbitrary input and calls every exported entry
// point on it as decoded: none may panic, and they must agree.
func FuzzEntryPoints(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "examples", "*", "mesh.yaml"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {ingress: {enabled: false}, exposureClasses: [{name: x}]}\n"))
	f.Add([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: a}\nspec: {zones: [a, b], exposureClasses: [{name: x}]}\n"))
	f.Add([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {profile: seed, registry: {digests: {pilot: x}}}\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {ingress: {namespace: istio-system}, networkPolicy: {enabled: true}, egress: {enabled: true}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := v1alpha1.Decode(data)
		if err != nil {
			return
		}
		exercise(t, m)
	})
}
