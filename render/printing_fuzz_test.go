package render_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/randfill"

	"github.com/meshrender/meshrender/plugin/gitops"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// printedTypes are every Go type meshrender prints with
// yamlenc.AppendManifest: what the components build for a zonal mesh with
// an exposure class and for every example (among them istio-cni, egress,
// network isolation, JWT and certificates), and the GitOps writer's
// objects.
func printedTypes(t testing.TB) []reflect.Type {
	zonal := v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
		Zones:           []string{"a", "b"},
		ExposureClasses: []v1alpha1.ExposureClass{{Name: "internet"}},
	}}
	all := render.BuiltTypes(t, zonal)
	examples, err := filepath.Glob(filepath.Join("..", "examples", "*", "mesh.yaml"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := v1alpha1.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		all = append(all, render.BuiltTypes(t, m)...)
	}
	all = append(all,
		reflect.TypeFor[gitops.GitRepository](), reflect.TypeFor[gitops.FluxKustomization](),
		reflect.TypeFor[gitops.Application](), reflect.TypeFor[gitops.ConfigManagementPlugin](),
		reflect.TypeFor[types.Kustomization](), reflect.TypeFor[corev1.ConfigMap]())
	var out []reflect.Type
	for _, typ := range all {
		if !slices.Contains(out, typ) {
			out = append(out, typ)
		}
	}
	slices.SortFunc(out, func(a, b reflect.Type) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// istioAPIs are the packages of Istio's protobuf specs. They print through
// their own MarshalJSON on both paths, and their oneof fields are
// interfaces that random filling cannot reach, so only the Kubernetes
// envelope around them is filled.
func isIstioSpec(t reflect.Type) bool {
	return strings.HasPrefix(t.PkgPath(), "istio.io/api/")
}

var trickyStrings = []string{
	"", "null", "~", "true", "False", "yes", "on", "0", "-1", "0x1F", "0o17", "1e3", ".inf", "-.NaN", "1_000",
	"2026-12-01", "12:30", "- a", "a: b", "# c", "&a", "*a", "!tag", "%x", "@x", "`x", "'", "\"", "{}", "[]",
	" lead", "trail ", "a\nb", "a\n", "\t", "<&>", "\u2028", "\x7f", "\ufeff", "=",
}

func newFiller(data []byte) *randfill.Filler {
	return randfill.NewFromGoFuzz(data).NilChance(0.3).NumElements(0, 3).MaxDepth(12).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewMilliQuantity(c.Int63n(1<<40), []resource.Format{resource.DecimalSI, resource.BinarySI, resource.DecimalExponent}[c.Intn(3)])
		},
		// Strings that YAML treats specially, bytes that are not UTF-8,
		// and ordinary text.
		func(s *string, c randfill.Continue) {
			switch c.Intn(4) {
			case 0:
				*s = trickyStrings[c.Intn(len(trickyStrings))]
			case 1:
				b := make([]byte, c.Intn(12))
				for i := range b {
					b[i] = byte(c.Uint64())
				}
				*s = string(b)
			default:
				*s = c.String(0)
			}
		},
		// Free-form values, as kustomize's types hold: what YAML decodes
		// into.
		func(v *any, c randfill.Continue) {
			switch c.Intn(6) {
			case 0:
				*v = c.String(0)
			case 1:
				*v = c.Bool()
			case 2:
				*v = float64(c.Int63n(1<<53)) / float64(1+c.Intn(1000))
			case 3:
				*v = int64(c.Uint64())
			case 4:
				*v = []any{c.String(0), int64(c.Intn(10))}
			default:
				*v = map[string]any{c.String(0): c.String(0)}
			}
		},
		func(s *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*s = intstr.FromInt32(c.Int31())
			} else {
				*s = intstr.FromString(c.String(0))
			}
		},
	)
}

// fill fills v, leaving Istio specs and statuses at their zero value.
func fill(f *randfill.Filler, v reflect.Value) {
	for i := range v.NumField() {
		field := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if ft := field.Type(); ft.Kind() == reflect.Struct && isIstioSpec(ft) || ft.Kind() == reflect.Pointer && isIstioSpec(ft.Elem()) {
			continue
		}
		f.Fill(field.Addr().Interface())
	}
}

// FuzzReflectivePrintingMatchesJSON fills every printed type with random
// values and requires the fast printer, which walks Go values itself, to
// print exactly what printing the value's encoding/json output prints.
func FuzzReflectivePrintingMatchesJSON(f *testing.F) {
	typs := printedTypes(f)
	for _, seed := range []string{"", "a", "meshrender", "\x00\xff\x10\x80 seed with more bytes to fill more fields", strings.Repeat("z", 200)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		filler := newFiller(data)
		for _, typ := range typs {
			v := reflect.New(typ)
			fill(filler, v.Elem())
			raw, jerr := json.Marshal(v.Interface())
			got, gerr := yamlenc.AppendManifest(nil, v.Interface())
			if jerr != nil {
				if gerr == nil {
					t.Errorf("%s: encoding/json fails (%v) but the fast printer prints:\n%s", typ, jerr, got)
				}
				continue
			}
			want, werr := yamlenc.Manifest(nil, raw)
			if (werr == nil) != (gerr == nil) {
				t.Errorf("%s: printing the JSON errs with %v, the fast printer with %v", typ, werr, gerr)
				continue
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s: the fast printer differs from printing the JSON (-json +fast):\n%s", typ, diff)
			}
		}
	})
}
