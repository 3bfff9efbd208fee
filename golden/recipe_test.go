package golden

import (
	"bytes"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/meshrender/meshrender/plugin/fn"
	"github.com/meshrender/meshrender/plugin/gitops"
	"github.com/meshrender/meshrender/plugin/layout"
	"github.com/meshrender/meshrender/plugin/tree"
	"github.com/meshrender/meshrender/render"
)

// TestAComponentReachesEveryOutput follows the recipe of render's package
// doc on a component with an API field of its own, the egress gateway
// (spec.egress): turned on in the mesh, its objects come out of Render,
// both split layouts, the GitOps tree and the KRM function, in its
// component and layer, with no code for it outside render.
func TestAComponentReachesEveryOutput(t *testing.T) {
	const meshDoc = "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: recipe}\nspec: {profile: minimal, egress: {enabled: true, namespace: istio-egress}}\n"
	m, err := v1alpha1.Decode([]byte(meshDoc))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := render.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	const component = "gateways/istio-egress"
	mine := map[string]render.Object{}
	for _, o := range objs {
		if o.Component == component {
			mine[o.Kind+"/"+o.Name] = o
			if o.Layer != render.LayerGateways {
				t.Errorf("%s/%s is in layer %q", o.Kind, o.Name, o.Layer)
			}
		}
	}
	for _, want := range []string{"Namespace/istio-egress", "Deployment/istio-egressgateway", "Service/istio-egressgateway", "HorizontalPodAutoscaler/istio-egressgateway"} {
		if _, ok := mine[want]; !ok {
			t.Errorf("Render lacks %s of component %s", want, component)
		}
	}
	if ns := mine["Namespace/istio-egress"].YAML; !bytes.Contains(ns, []byte("pod-security.kubernetes.io/enforce: restricted")) {
		t.Errorf("the component's namespace lacks its Pod Security level:\n%s", ns)
	}

	// render -o --split object and --split component.
	flat := layout.Flat(objs)
	if !slices.ContainsFunc(flat, func(f tree.File) bool {
		return strings.HasSuffix(f.Path, "-deployment-istio-egress-istio-egressgateway.yaml")
	}) {
		t.Error("split by object has no file for the egress gateway's Deployment")
	}
	if !slices.ContainsFunc(layout.ByComponent(objs), func(f tree.File) bool { return strings.HasSuffix(f.Path, "-gateways-istio-egress.yaml") }) {
		t.Error("split by component has no file for the egress gateway")
	}

	// GitOps: a folder of the gateways layer, listed by the layer.
	files, err := gitops.Files("recipe", objs, gitops.Options{Flavor: gitops.Flux, RepoURL: "https://git.example.com/r.git"})
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]string{}
	for _, f := range files {
		written[f.Path] = string(f.Data)
	}
	if _, ok := written["istio/gateways/istio-egress/deployment-istio-egressgateway.yaml"]; !ok {
		t.Error("the GitOps tree lacks istio/gateways/istio-egress/deployment-istio-egressgateway.yaml")
	}
	if k := written["istio/gateways/kustomization.yaml"]; !strings.Contains(k, "- istio-egress\n") {
		t.Errorf("istio/gateways/kustomization.yaml does not list the component:\n%s", k)
	}

	// The KRM function: the objects come with the rest, each with the file
	// kpt would write it to.
	var out bytes.Buffer
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n" + indentLines(meshDoc, "  ")
	if err := fn.Run(strings.NewReader(rl), &out); err != nil {
		t.Fatal(err)
	}
	items, err := (&kio.ByteReader{Reader: &out, PreserveSeqIndent: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, it := range items {
		if it.GetKind() == "Deployment" && it.GetName() == "istio-egressgateway" {
			found = true
			if p := it.GetAnnotations()["internal.config.kubernetes.io/path"]; p != path.Join("istio", component, "deployment-istio-egressgateway.yaml") {
				t.Errorf("kpt path of the Deployment is %q", p)
			}
		}
	}
	if !found {
		t.Error("the KRM function's output lacks the egress gateway's Deployment")
	}
}

// indentLines puts prefix before every line of s.
func indentLines(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}
