package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/profiles"
	"github.com/meshrender/meshrender/render/schema/internal/gen"
)

// TestSchemaIsCurrent regenerates the schema from the Go types and fails
// when the committed file differs: run go generate ./render/schema.
func TestSchemaIsCurrent(t *testing.T) {
	want, err := gen.Schema("../..")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(JSON, want) {
		t.Error("mesh.schema.json is stale; run go generate ./render/schema")
	}
	want, err = gen.ApplicationSchema("../..")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ApplicationJSON, want) {
		t.Error("application.schema.json is stale; run go generate ./render/schema")
	}
	want, err = gen.FleetSchema("../..")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(FleetJSON, want) {
		t.Error("fleet.schema.json is stale; run go generate ./render/schema")
	}
}

func validator(t *testing.T) *validate.SchemaValidator {
	t.Helper()
	return validatorOf(t, JSON)
}

// validatorOf validates documents against the schema in data.
func validatorOf(t *testing.T, data []byte) *validate.SchemaValidator {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	defs, _ := doc["definitions"].(map[string]any)
	inlined, err := json.Marshal(inline(doc, defs, 0))
	if err != nil {
		t.Fatal(err)
	}
	var s spec.Schema
	if err := json.Unmarshal(inlined, &s); err != nil {
		t.Fatal(err)
	}
	return validate.NewSchemaValidator(&s, nil, "", strfmt.Default)
}

// inline replaces every local $ref with the definition it names; the
// validator used here does not follow references itself.
func inline(v any, defs map[string]any, depth int) any {
	if depth > 50 {
		panic("schema references nest too deep")
	}
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			return inline(defs[strings.TrimPrefix(ref, "#/definitions/")], defs, depth+1)
		}
		out := map[string]any{}
		for k, e := range x {
			if k != "definitions" {
				out[k] = inline(e, defs, depth+1)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = inline(e, defs, depth+1)
		}
		return out
	}
	return v
}

func validateYAML(t *testing.T, v *validate.SchemaValidator, doc []byte) []string {
	t.Helper()
	var data any
	if err := yaml.Unmarshal(doc, &data); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range v.Validate(data).Errors {
		msgs = append(msgs, e.Error())
	}
	return msgs
}

// TestExamplesAndProfilesMatchSchema validates every example's Mesh and
// every profile against the schema an editor would use.
func TestExamplesAndProfilesMatchSchema(t *testing.T) {
	v := validator(t)
	var docs = map[string][]byte{}
	err := filepath.WalkDir("../../examples", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil && bytes.Contains(data, []byte("kind: Mesh\n")) {
			docs[p] = data
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles.List() {
		docs["profile "+p.Name] = p.Document
	}
	if len(docs) < 5 {
		t.Fatalf("found only %d Mesh documents", len(docs))
	}
	for name, doc := range docs {
		if errs := validateYAML(t, v, doc); len(errs) > 0 {
			t.Errorf("%s does not match the schema: %v", name, errs)
		}
	}
}

// TestSchemaAcceptsPromotedFields: fields promoted from an embedded
// struct, as name is from LocalObjectReference into SecretKeySelector, are
// properties of their own, as decoding reads them.
func TestSchemaAcceptsPromotedFields(t *testing.T) {
	v := validator(t)
	doc := "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: a}\nspec:\n  ingress:\n    env:\n    - name: TOKEN\n      valueFrom: {secretKeyRef: {name: s, key: k}}\n"
	if errs := validateYAML(t, v, []byte(doc)); len(errs) > 0 {
		t.Errorf("the schema rejects\n%s%v", doc, errs)
	}
	if _, err := v1alpha1.Decode([]byte(doc)); err != nil {
		t.Errorf("Decode rejects\n%s%v", doc, err)
	}
	embedded := strings.Replace(doc, "{name: s, key: k}", "{LocalObjectReference: {name: s}, key: k}", 1)
	if errs := validateYAML(t, v, []byte(embedded)); len(errs) == 0 {
		t.Errorf("the schema accepts\n%s", embedded)
	}
}

// TestSchemaRejects checks the schema catches what editors should flag.
func TestSchemaRejects(t *testing.T) {
	v := validator(t)
	for name, doc := range map[string]string{
		"unknown field":  "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zone: [a]}\n",
		"wrong kind":     "apiVersion: meshrender.dev/v1alpha1\nkind: Mash\n",
		"bad enum":       "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {mtls: {mode: OFF}}\n",
		"wrong type":     "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zones: a}\n",
		"missing name":   "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {exposureClasses: [{labels: {}}]}\n",
		"no apiVersion":  "kind: Mesh\n",
		"bad quantity":   "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {istiod: {resources: {limits: {cpu: [1]}}}}\n",
		"overlay fields": "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {overlays: [{patch: x, target: {kinds: [a]}}]}\n",
	} {
		if errs := validateYAML(t, v, []byte(doc)); len(errs) == 0 {
			t.Errorf("%s: the schema accepts\n%s", name, doc)
		}
	}
}

// TestApplicationsMatchSchema validates every example's Applications
// against the Application schema, and checks that it catches what
// editors should flag.
func TestApplicationsMatchSchema(t *testing.T) {
	v := validatorOf(t, ApplicationJSON)
	n := 0
	err := filepath.WalkDir("../../examples", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(data, []byte("kind: Application\n")) || !bytes.Contains(data, []byte("apiVersion: meshrender.dev/")) {
			return err
		}
		apps, err := v1alpha1.DecodeApplications(data)
		if err != nil {
			return err
		}
		for _, doc := range bytes.Split(data, []byte("\n---\n")) {
			n++
			if errs := validateYAML(t, v, doc); len(errs) > 0 {
				t.Errorf("%s does not match the schema: %v", p, errs)
			}
		}
		if len(apps) == 0 {
			t.Errorf("%s holds no Application", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Fatalf("found only %d Application documents", n)
	}
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: meshrender.dev/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: b}\nspec: {ingres: {}}\n",
		"wrong kind":    "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: a, namespace: b}\n",
		"no hosts":      "apiVersion: meshrender.dev/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: b}\nspec: {ingress: {routes: []}}\n",
		"wrong type":    "apiVersion: meshrender.dev/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: b}\nspec: {ingress: {hosts: [a.example.com], port: https}}\n",
		"no service":    "apiVersion: meshrender.dev/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: b}\nspec: {ingress: {hosts: [a.example.com], routes: [{destination: {port: 80}}]}}\n",
	} {
		if errs := validateYAML(t, v, []byte(doc)); len(errs) == 0 {
			t.Errorf("%s: the schema accepts\n%s", name, doc)
		}
	}
}
