package render_test

import (
	"bytes"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/meshrender/meshrender/plugin/fn"
	"github.com/meshrender/meshrender/plugin/gitops"
	"github.com/meshrender/meshrender/plugin/layout"
	"github.com/meshrender/meshrender/plugin/tree"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// addRecipeComponent follows the recipe in the package doc with a
// component that is not shipped: a build function and one planner. Its
// objects must then appear everywhere meshrender puts objects.
func addRecipeComponent(t *testing.T) {
	render.AddPlanner(t, func(m *render.Mesh) []render.Component {
		meta := func(name string) metav1.ObjectMeta {
			return metav1.ObjectMeta{Name: name, Namespace: "recipe", Labels: render.OwnerLabels(m.Metadata.Name)}
		}
		return []render.Component{{
			Name:       "policies/recipe",
			Layer:      render.LayerPolicies,
			Namespaces: []render.Namespace{{Name: "recipe", PodSecurity: render.PodSecurityRestricted, Labels: map[string]string{"team": "recipe"}}},
			Build: func() ([]render.TypedObject, error) {
				return []render.TypedObject{
					&networkingv1.NetworkPolicy{
						TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
						ObjectMeta: meta("deny-all"),
						Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
					},
					&corev1.ConfigMap{
						TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
						ObjectMeta: meta("recipe-settings"),
						Data:       map[string]string{"mesh": m.Metadata.Name},
					},
				}, nil
			},
		}}
	})
}

func TestAddingAComponentTakesOneBuildFunctionAndOnePlanner(t *testing.T) {
	addRecipeComponent(t)
	mesh := render.Mesh{Metadata: render.ObjectMeta{Name: "recipe"}}
	objs, err := render.Render(mesh)
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]render.Object{}
	for i, o := range objs {
		if i > 0 && objects.Compare(key(objs[i-1]), key(o)) > 0 {
			t.Errorf("%s %s/%s is out of install order", o.Kind, o.Namespace, o.Name)
		}
		if o.Component == "policies/recipe" {
			mine[o.Kind+"/"+o.Name] = o
			if o.Layer != render.LayerPolicies {
				t.Errorf("%s/%s is in layer %q", o.Kind, o.Name, o.Layer)
			}
		}
	}
	for _, want := range []string{"Namespace/recipe", "NetworkPolicy/deny-all", "ConfigMap/recipe-settings"} {
		if _, ok := mine[want]; !ok {
			t.Errorf("Render lacks %s of the new component (has %v)", want, slices.Sorted(maps.Keys(mine)))
		}
	}
	if ns := mine["Namespace/recipe"].YAML; !bytes.Contains(ns, []byte("pod-security.kubernetes.io/enforce: restricted")) || !bytes.Contains(ns, []byte("team: recipe")) {
		t.Errorf("the component's namespace lacks its Pod Security level or labels:\n%s", ns)
	}

	// render -o --split object and --split component.
	flat := layout.Flat(objs)
	if !slices.ContainsFunc(flat, func(f tree.File) bool { return strings.HasSuffix(f.Path, "-networkpolicy-recipe-deny-all.yaml") }) {
		t.Error("split by object has no file for the NetworkPolicy")
	}
	byComponent := layout.ByComponent(objs)
	if last := byComponent[len(byComponent)-1].Path; !strings.HasSuffix(last, "-policies-recipe.yaml") {
		t.Errorf("split by component ends with %s, want the policies layer last", last)
	}

	// GitOps: a layer folder after the gateways, with its own Flux
	// Kustomization depending on the gateways'.
	files, err := gitops.Files("recipe", objs, gitops.Options{Flavor: gitops.Flux, RepoURL: "https://git.example.com/r.git"})
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]string{}
	for _, f := range files {
		written[f.Path] = string(f.Data)
	}
	if _, ok := written["istio/policies/recipe/networkpolicy-deny-all.yaml"]; !ok {
		t.Error("the GitOps tree lacks istio/policies/recipe/networkpolicy-deny-all.yaml")
	}
	if k := written["istio/policies/kustomization.yaml"]; !strings.Contains(k, "- recipe\n") {
		t.Errorf("istio/policies/kustomization.yaml does not list the component:\n%s", k)
	}
	if k := written["istio/kustomization.yaml"]; !strings.HasSuffix(k, "- gateways\n- policies\n") {
		t.Errorf("istio/kustomization.yaml does not end with the policies layer:\n%s", k)
	}
	if k := written["flux/kustomization-recipe-istio-policies.yaml"]; !strings.Contains(k, "name: recipe-istio-gateways") {
		t.Errorf("the policies layer's Flux Kustomization does not depend on the gateways':\n%s", k)
	}

	// The KRM function: the new objects come with the rest, each with the
	// file kpt would write it to.
	var out bytes.Buffer
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: meshrender.dev/v1alpha1\n  kind: Mesh\n  metadata: {name: recipe}\n"
	if err := fn.Run(strings.NewReader(rl), &out); err != nil {
		t.Fatal(err)
	}
	items, err := (&kio.ByteReader{Reader: &out, PreserveSeqIndent: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, it := range items {
		if it.GetKind() == "NetworkPolicy" && it.GetName() == "deny-all" {
			found = true
			if p := it.GetAnnotations()["internal.config.kubernetes.io/path"]; p != path.Join("istio", "policies/recipe", "networkpolicy-deny-all.yaml") {
				t.Errorf("kpt path of the NetworkPolicy is %q", p)
			}
		}
	}
	if !found {
		t.Error("the KRM function's output lacks the NetworkPolicy")
	}
}

func key(o render.Object) objects.Key {
	return objects.Key{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}
