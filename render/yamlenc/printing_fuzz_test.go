package yamlenc_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	istionetworking "istio.io/client-go/pkg/apis/networking/v1"
	istiosecurity "istio.io/client-go/pkg/apis/security/v1"
	istiotelemetry "istio.io/client-go/pkg/apis/telemetry/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/randfill"

	"github.com/meshrender/meshrender/render/yamlenc"
)

// printedTypes are the Go types the fuzz target fills and prints: the
// Kubernetes and Istio kinds meshrender builds, some of their neighbours,
// kustomize's Kustomization, and customResource, shaped like the custom
// resources meshrender writes from Go types of its own (cert-manager's,
// Flux's and Argo CD's). render's TestReflectivePrintingMatchesJSON
// prints the objects meshrender really builds; this target prints
// arbitrary values of their types.
var printedTypes = []reflect.Type{
	reflect.TypeFor[admissionregistrationv1.MutatingWebhookConfiguration](),
	reflect.TypeFor[admissionregistrationv1.ValidatingWebhookConfiguration](),
	reflect.TypeFor[appsv1.DaemonSet](),
	reflect.TypeFor[appsv1.Deployment](),
	reflect.TypeFor[appsv1.StatefulSet](),
	reflect.TypeFor[autoscalingv2.HorizontalPodAutoscaler](),
	reflect.TypeFor[batchv1.Job](),
	reflect.TypeFor[corev1.ConfigMap](),
	reflect.TypeFor[corev1.Namespace](),
	reflect.TypeFor[corev1.Secret](),
	reflect.TypeFor[corev1.Service](),
	reflect.TypeFor[corev1.ServiceAccount](),
	reflect.TypeFor[networkingv1.NetworkPolicy](),
	reflect.TypeFor[policyv1.PodDisruptionBudget](),
	reflect.TypeFor[rbacv1.ClusterRole](),
	reflect.TypeFor[rbacv1.ClusterRoleBinding](),
	reflect.TypeFor[rbacv1.Role](),
	reflect.TypeFor[rbacv1.RoleBinding](),
	reflect.TypeFor[istiosecurity.AuthorizationPolicy](),
	reflect.TypeFor[istiosecurity.PeerAuthentication](),
	reflect.TypeFor[istiosecurity.RequestAuthentication](),
	reflect.TypeFor[istionetworking.Gateway](),
	reflect.TypeFor[istiotelemetry.Telemetry](),
	reflect.TypeFor[types.Kustomization](),
	reflect.TypeFor[customResource](),
}

// customResource has what the custom resources' Go types have: an inlined
// TypeMeta, ObjectMeta embedded under a name, a spec of strings, integers,
// pointers and lists, and a status.
type customResource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              customSpec    `json:"spec"`
	Status            *customStatus `json:"status,omitempty"`
}

type customSpec struct {
	URL        string                        `json:"url"`
	Interval   string                        `json:"interval,omitempty"`
	Prune      bool                          `json:"prune"`
	Limit      int64                         `json:"limit"`
	Factor     *int64                        `json:"factor,omitempty"`
	SecretRef  *corev1.LocalObjectReference  `json:"secretRef,omitempty"`
	DependsOn  []corev1.LocalObjectReference `json:"dependsOn,omitempty"`
	Duration   metav1.Duration               `json:"duration,omitzero"`
	Usages     []string                      `json:"usages,omitempty"`
	Attributes map[string]string             `json:"attributes,omitempty"`
}

type customStatus struct {
	Ready bool `json:"ready"`
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
	for _, seed := range []string{"", "a", "meshrender", "\x00\xff\x10\x80 seed with more bytes to fill more fields", strings.Repeat("z", 200)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		filler := newFiller(data)
		for _, typ := range printedTypes {
			v := reflect.New(typ)
			fill(filler, v.Elem())
			printsLikeJSON(t, v.Interface())
		}
	})
}

// printsLikeJSON requires AppendManifest to print v as Manifest prints
// v's encoding/json output, and to fail where either fails.
func printsLikeJSON(t *testing.T, v any) {
	t.Helper()
	typ := reflect.TypeOf(v)
	raw, jerr := json.Marshal(v)
	got, gerr := yamlenc.AppendManifest(nil, v)
	if jerr != nil {
		if gerr == nil {
			t.Errorf("%s: encoding/json fails (%v) but the fast printer prints:\n%s", typ, jerr, got)
		}
		return
	}
	want, werr := yamlenc.Manifest(nil, raw)
	if (werr == nil) != (gerr == nil) {
		t.Errorf("%s: printing the JSON errs with %v, the fast printer with %v", typ, werr, gerr)
		return
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s: the fast printer differs from printing the JSON (-json +fast):\n%s", typ, diff)
	}
}

// TestKeysThatAreNotUTF8 is the case the fuzz target found first:
// encoding/json writes bytes that are not UTF-8 as U+FFFD, so such map
// keys sort by that text and keys that become one collapse into the last
// one whose value is not null.
func TestKeysThatAreNotUTF8(t *testing.T) {
	printsLikeJSON(t, &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"a\xff": "1", "a\xfe": "2", "a\u00ff": "3", "b": "4"}},
		Data:       map[string]string{"\xff": "x", "\xef\xbf\xbd": "y"},
	})
	printsLikeJSON(t, &types.Kustomization{
		TypeMeta:          types.TypeMeta{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization"},
		Labels:            []types.Label{{Pairs: map[string]string{"z\x80": "1", "z\x81": "2"}}},
		CommonAnnotations: map[string]string{"\xff": "", "\xfe": "b"},
	})
	// Of keys that become one, the last whose value is not null wins.
	x, y := "x", "y"
	printsLikeJSON(t, &struct {
		metav1.TypeMeta `json:",inline"`
		Values          map[string]*string `json:"values"`
	}{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Values"},
		Values:   map[string]*string{"\xfe": &x, "\xff": &y, "u\xfe": &x, "u\xff": nil, "v\xfe": nil, "v\xff": nil},
	})
}

// The embedded-struct rules jsonfields resolves, printed.
type embeddedRules struct {
	metav1.TypeMeta `json:",inline"`
	Meta            `json:"metadata"`
	*Extra
	Hidden
	Shadow
	Name string `json:"name"`
}

type Meta struct {
	Name string `json:"name"`
}

type Extra struct {
	Note  string `json:"note,omitempty"`
	Count int    `json:"count,string"`
}

type Hidden struct {
	Dup string
}

type Shadow struct {
	Dup  string
	Name string `json:"name"`
}

func TestEmbeddedStructs(t *testing.T) {
	base := embeddedRules{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "X"}, Meta: Meta{Name: "m"}, Hidden: Hidden{Dup: "h"}, Shadow: Shadow{Dup: "s", Name: "shadowed"}, Name: "n"}
	printsLikeJSON(t, &base)
	withExtra := base
	withExtra.Extra = &Extra{Note: "x", Count: 3}
	printsLikeJSON(t, &withExtra)
}
