// Package gen builds the JSON Schemas of the Mesh and the Application
// by reflection over the render package's types, taking descriptions
// from the doc comments in their source files.
package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshrender/meshrender/render/internal/jsonfields"
)

// sources are the packages, relative to the module root, whose comments
// describe the schema's types.
var sources = []string{"render/api/v1alpha1", "overlays"}

// Schema returns the Mesh's schema as indented JSON; root is the module
// root.
func Schema(root string) ([]byte, error) {
	return document(root, reflect.TypeFor[v1alpha1.Mesh](), v1alpha1.Kind, "mesh.schema.json", "meshrender Mesh",
		"The whole configuration of one Istio "+v1alpha1.IstioVersion+" installation rendered by meshrender.")
}

// ApplicationSchema returns the Application's schema as indented JSON;
// root is the module root.
func ApplicationSchema(root string) ([]byte, error) {
	return document(root, reflect.TypeFor[v1alpha1.Application](), v1alpha1.ApplicationKind, "application.schema.json", "meshrender Application",
		"One application's place in a mesh rendered by meshrender, written by the team that owns it.")
}

// FleetSchema returns the JSON Schema of a Fleet document.
func FleetSchema(root string) ([]byte, error) {
	return document(root, reflect.TypeFor[v1alpha1.Fleet](), v1alpha1.FleetKind, "fleet.schema.json", "meshrender Fleet",
		"Many clusters in one mesh, rendered by meshrender: what they share, and each cluster's own.")
}

// document is the schema of a top-level document of type t and kind.
func document(root string, t reflect.Type, kind, file, title, description string) ([]byte, error) {
	docs, err := fieldDocs(root)
	if err != nil {
		return nil, err
	}
	istio, err := ModuleDir(root, "istio.io/api")
	if err != nil {
		return nil, err
	}
	protoDocs, err := ProtoDocs(istio)
	if err != nil {
		return nil, err
	}
	g := &generator{docs: docs, defs: map[string]any{}, enums: v1alpha1.Enums()}
	g.proto = &ProtoSchemas{Defs: g.defs, Docs: protoDocs}
	top := g.object(t)
	top["$schema"] = "http://json-schema.org/draft-07/schema#"
	top["$id"] = "https://meshrender.dev/schemas/" + file
	top["title"] = title
	top["description"] = description
	props := top["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"type": "string", "enum": []string{v1alpha1.APIVersion}, "description": "Always " + v1alpha1.APIVersion + "."}
	props["kind"] = map[string]any{"type": "string", "enum": []string{kind}, "description": "Always " + kind + "."}
	top["required"] = []string{"apiVersion", "kind"}
	top["definitions"] = g.defs
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(top); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fieldDocs maps "Type.Field" and "Type" to their doc comments.
func fieldDocs(root string) (map[string]string, error) {
	docs := map[string]string{}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, dir := range sources {
		paths, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil {
			return nil, err
		}
		for _, path := range paths {
			if strings.HasSuffix(path, "_test.go") || strings.HasPrefix(filepath.Base(path), "zz_generated") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := gd.Doc
				if ts.Doc != nil {
					doc = ts.Doc
				}
				docs[ts.Name.Name] = clean(doc.Text())
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					text := fld.Doc.Text()
					if text == "" {
						text = fld.Comment.Text()
					}
					for _, name := range fld.Names {
						docs[ts.Name.Name+"."+name.Name] = clean(text)
					}
				}
			}
		}
	}
	return docs, nil
}

// clean joins a comment's lines into one paragraph, leaving out code
// generator tags (+k8s:...).
func clean(s string) string {
	var words []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "+") {
			continue
		}
		words = append(words, strings.Fields(line)...)
	}
	return strings.Join(words, " ")
}

type generator struct {
	docs  map[string]string
	defs  map[string]any
	enums map[string][]string
	// proto gives the schemas of the types that hold protobuf messages.
	proto *ProtoSchemas
}

// schemaFor returns the schema of a Go type.
func (g *generator) schemaFor(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s := g.proto.GoType(t); s != nil {
		return s
	}
	switch t {
	case reflect.TypeFor[corev1.ResourceRequirements]():
		return g.ref("ResourceRequirements", func() map[string]any {
			quantity := map[string]any{"type": []string{"string", "integer"}, "description": "A Kubernetes quantity such as 500m or 2Gi."}
			list := map[string]any{"type": "object", "additionalProperties": quantity}
			return map[string]any{
				"type":                 "object",
				"description":          "Compute resources of a container, as in a Kubernetes pod spec.",
				"additionalProperties": false,
				"properties":           map[string]any{"requests": list, "limits": list},
			}
		})
	case reflect.TypeFor[metav1.Duration]():
		return map[string]any{"type": "string", "description": "A duration such as 720h or 90m."}
	case reflect.TypeFor[intstr.IntOrString]():
		return map[string]any{"type": []string{"string", "integer"}, "x-kubernetes-int-or-string": true, "description": "A number, or a percentage such as 25%."}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schemaFor(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schemaFor(t.Elem())}
	case reflect.Struct:
		return g.ref(t.Name(), func() map[string]any { return g.object(t) })
	}
	panic(fmt.Sprintf("schema: no mapping for %s", t))
}

// ref returns a reference to a shared definition, building it once. The
// Go types' definitions and the messages' share one map, g.proto's.
func (g *generator) ref(name string, build func() map[string]any) map[string]any {
	return g.proto.ref(name, build)
}

// object is the schema of a struct: its JSON fields, as jsonfields lists
// them, no others. A field is required when it has neither omitempty nor
// omitzero and is no pointer or struct.
func (g *generator) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range jsonfields.Of(t) {
		s := g.schemaFor(f.Type)
		if f.Quoted {
			// ,string: the value written as a JSON string.
			s = map[string]any{"type": "string"}
		}
		key := declaringType(t, f.Index).Name() + "." + f.GoName
		if values, ok := g.enums[key]; ok {
			if f.Type.Kind() == reflect.Map {
				// The values of a mapping are what the field enumerates.
				s["additionalProperties"] = map[string]any{"type": "string", "enum": values}
			} else {
				s["enum"] = values
			}
		}
		if d := g.docs[key]; d != "" {
			s = describe(s, d)
		}
		props[f.Name] = s
		if !f.OmitEmpty && !f.OmitZero && f.Type.Kind() != reflect.Pointer && f.Type.Kind() != reflect.Struct {
			required = append(required, f.Name)
		}
	}
	out := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if d := g.docs[t.Name()]; d != "" {
		out["description"] = d
	}
	if len(required) > 0 && t.Name() != "Mesh" {
		out["required"] = required
	}
	return out
}

// declaringType is the struct that declares the field at index in t,
// which is t itself unless the field is promoted from an embedded struct.
func declaringType(t reflect.Type, index []int) reflect.Type {
	for _, i := range index[:len(index)-1] {
		t = t.Field(i).Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	return t
}
