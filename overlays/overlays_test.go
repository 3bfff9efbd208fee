package overlays

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const objectsYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod
  namespace: istio-system
  labels: {app: istiod}
spec:
  template:
    spec:
      containers:
      - name: discovery
        image: pilot
        env:
        - {name: A, value: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istio-ingressgateway
  namespace: istio-ingress
  labels: {app: istio-ingressgateway}
spec:
  template:
    spec:
      containers:
      - name: istio-proxy
        image: proxyv2
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-ingress
  labels: {app: istio-ingressgateway}
spec:
  type: LoadBalancer
---
apiVersion: v1
kind: Namespace
metadata:
  name: istio-ingress
`

func items(t *testing.T) []Item {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(objectsYAML))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Item, len(nodes))
	for i, n := range nodes {
		out[i] = Item{Node: n, Ref: i}
	}
	return out
}

func apply(t *testing.T, patches ...Patch) []Item {
	t.Helper()
	set, errs := Compile(patches)
	if len(errs) > 0 {
		t.Fatalf("Compile: %v", errs)
	}
	out, _, err := set.Apply(items(t))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return out
}

func field(t *testing.T, it Item, path ...string) string {
	t.Helper()
	n, err := it.Node.Pipe(yaml.Lookup(path...))
	if err != nil || n == nil {
		return ""
	}
	return strings.TrimSpace(n.MustString())
}

func TestStrategicMergeByName(t *testing.T) {
	out := apply(t, Patch{Patch: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  template:
    spec:
      containers:
      - name: discovery
        env:
        - {name: B, value: "2"}
`})
	if len(out) != 4 {
		t.Fatalf("got %d items", len(out))
	}
	env := field(t, out[0], "spec", "template", "spec", "containers", "[name=discovery]", "env")
	if !strings.Contains(env, "name: A") || !strings.Contains(env, "name: B") {
		t.Errorf("env not merged by name:\n%s", env)
	}
	if got := field(t, out[0], "spec", "template", "spec", "containers", "[name=discovery]", "image"); got != "pilot" {
		t.Errorf("image = %q, want it kept", got)
	}
	if got := field(t, out[1], "spec", "template", "spec", "containers", "[name=istio-proxy]", "env"); got != "" {
		t.Errorf("the other Deployment was patched: %s", got)
	}
}

func TestStrategicMergeKeepsIdentity(t *testing.T) {
	out := apply(t, Patch{
		Target: &Target{Kind: "Service"},
		Patch:  "metadata:\n  name: renamed\n  annotations: {a: b}\n",
	})
	if got := field(t, out[2], "metadata", "name"); got != "istio-ingressgateway" {
		t.Errorf("name = %q, a strategic merge patch must not rename", got)
	}
	if got := field(t, out[2], "metadata", "annotations", "a"); got != "b" {
		t.Errorf("annotation not set: %q", got)
	}
}

func TestJSON6902WithTarget(t *testing.T) {
	out := apply(t, Patch{
		Target: &Target{Group: "apps", Kind: "Deploy.*", LabelSelector: "app=istio-ingressgateway"},
		Patch:  "- op: add\n  path: /spec/template/spec/priorityClassName\n  value: high\n",
	})
	if got := field(t, out[1], "spec", "template", "spec", "priorityClassName"); got != "high" {
		t.Errorf("priorityClassName = %q", got)
	}
	if got := field(t, out[0], "spec", "template", "spec", "priorityClassName"); got != "" {
		t.Errorf("label selector ignored: istiod got %q", got)
	}
}

func TestJSON6902AsJSON(t *testing.T) {
	out := apply(t, Patch{
		Target: &Target{Kind: "Service", Namespace: "istio-.*"},
		Patch:  `[{"op": "replace", "path": "/spec/type", "value": "ClusterIP"}]`,
	})
	if got := field(t, out[2], "spec", "type"); got != "ClusterIP" {
		t.Errorf("type = %q", got)
	}
}

func TestDeletePatch(t *testing.T) {
	out := apply(t, Patch{Patch: "apiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-ingress}\n$patch: delete\n"})
	if len(out) != 3 {
		t.Fatalf("got %d items, want the Service deleted", len(out))
	}
	for _, it := range out {
		if it.Ref == 2 {
			t.Error("deleted Service is still there")
		}
	}
}

func TestPatchesApplyInOrder(t *testing.T) {
	out := apply(t,
		Patch{Target: &Target{Kind: "Namespace"}, Patch: "metadata:\n  labels: {stage: one}\n"},
		Patch{Target: &Target{Kind: "Namespace", LabelSelector: "stage=one"}, Patch: "- {op: replace, path: /metadata/labels/stage, value: two}"},
	)
	if got := field(t, out[3], "metadata", "labels", "stage"); got != "two" {
		t.Errorf("stage = %q, want the second patch to see the first's label", got)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		patch Patch
		want  string
	}{
		{"empty", Patch{}, "overlay 0 patch: must not be empty"},
		{"bad yaml", Patch{Patch: "a: ["}, "patch: is not valid YAML"},
		{"scalar", Patch{Patch: "just text"}, "must be an object (strategic merge) or a list of operations (JSON 6902)"},
		{"6902 without target", Patch{Name: "six", Patch: "- {op: add, path: /a, value: 1}"}, `overlay 0 (six) target: a JSON 6902 patch needs a target`},
		{"6902 bad op", Patch{Patch: "- {op: frob, path: /a}", Target: &Target{Kind: "x"}}, `patch[0]: op "frob" is not one of`},
		{"6902 no path", Patch{Patch: "- {op: add, value: 1}", Target: &Target{Kind: "x"}}, `patch[0]: has no path`},
		{"smp without identity", Patch{Patch: "metadata: {labels: {a: b}}"}, "a strategic merge patch without a target must have kind and metadata.name"},
		{"bad regexp", Patch{Patch: "metadata: {}", Target: &Target{Name: "a(b"}}, "target: is not a valid selector"},
		{"bad label selector", Patch{Patch: "metadata: {}", Target: &Target{LabelSelector: "a in (b"}}, "target.labelSelector:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Compile([]Patch{tt.patch})
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Errorf("Compile errors = %v, want one containing %q", errs, tt.want)
			}
		})
	}
}

func TestPatchThatSelectsNothing(t *testing.T) {
	set, _ := Compile([]Patch{{Name: "ghost", Target: &Target{Kind: "ConfigMap"}, Patch: "metadata: {labels: {a: b}}"}})
	in := items(t)
	out, _, err := set.Apply(in)
	if err == nil || !strings.Contains(err.Error(), "overlay 0 (ghost) target: selects no rendered object") {
		t.Fatalf("err = %v", err)
	}
	if len(out) != len(in) {
		t.Errorf("items changed on error")
	}
}

func TestMayMatch(t *testing.T) {
	set, _ := Compile([]Patch{{Target: &Target{Kind: "Service", Namespace: "istio-ingress.*"}, Patch: "metadata: {}"}})
	if !set.MayMatch(Identity{Version: "v1", Kind: "Service", Name: "x", Namespace: "istio-ingress--a"}) {
		t.Error("zonal Service not matched")
	}
	if set.MayMatch(Identity{Version: "v1", Kind: "Service", Name: "istiod", Namespace: "istio-system"}) {
		t.Error("istiod Service matched")
	}
}

// Patch every ingress gateway Deployment with a JSON 6902 patch.
func ExampleCompile() {
	set, errs := Compile([]Patch{{
		Name:   "gateway-priority",
		Target: &Target{Group: "apps", Kind: "Deployment", LabelSelector: "app=istio-ingressgateway"},
		Patch:  "- op: add\n  path: /spec/template/spec/priorityClassName\n  value: system-cluster-critical\n",
	}})
	if len(errs) > 0 {
		fmt.Println(errs)
		return
	}
	node := yaml.MustParse("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: istio-ingressgateway\n  labels: {app: istio-ingressgateway}\nspec: {template: {spec: {}}}\n")
	out, _, err := set.Apply([]Item{{Node: node}})
	if err != nil {
		fmt.Println(err)
		return
	}
	class, _ := out[0].Node.Pipe(yaml.Lookup("spec", "template", "spec", "priorityClassName"))
	fmt.Print(class.MustString())
	// Output: system-cluster-critical
}
