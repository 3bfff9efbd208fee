package fn

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
)

// execute runs the function over a ResourceList and returns its output.
func execute(t *testing.T, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Execute(&kio.ByteReadWriter{Reader: strings.NewReader(in), Writer: &out})
	return out.String(), err
}

const userItem = `- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: app-settings # owned by the app team
    namespace: shop
  data: {color: blue}
`

func resourceList(items, spec string) string {
	return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items +
		"functionConfig:\n  apiVersion: meshrender.dev/v1alpha1\n  kind: Mesh\n  metadata:\n    name: test\n" +
		"    annotations:\n      config.kubernetes.io/path: meshes/test.yaml\n  spec:\n" + spec
}

func TestTransformerKeepsItemsAndAddsTheMesh(t *testing.T) {
	out, err := execute(t, resourceList(userItem, "    profile: minimal\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, userItem) {
		t.Errorf("the user's item did not come back unchanged, comment included:\n%.600s", out)
	}
	if strings.Index(out, "app-settings") > strings.Index(out, "CustomResourceDefinition") {
		t.Error("the user's item moved behind the rendered objects")
	}
	for _, want := range []string{"name: istiod\n", "kind: PeerAuthentication", "kind: CustomResourceDefinition"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Running over its own output changes nothing.
	again, err := execute(t, out)
	if err != nil {
		t.Fatal(err)
	}
	if again != out {
		t.Error("the function is not idempotent")
	}
}

func TestOwnedItemsAreReplacedInPlaceAndStaleOnesRemoved(t *testing.T) {
	owned := `- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio
    namespace: istio-system
    labels: {app.kubernetes.io/managed-by: meshrender, app.kubernetes.io/instance: test}
    annotations: {internal.config.kubernetes.io/index: '7'}
  data: {mesh: stale}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: istio-ingress--gone
    labels: {app.kubernetes.io/managed-by: meshrender, app.kubernetes.io/instance: test}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: istio-ingress--other-mesh
    labels: {app.kubernetes.io/managed-by: meshrender, app.kubernetes.io/instance: other}
`
	out, err := execute(t, resourceList(userItem+owned, "    profile: minimal\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "mesh: stale") {
		t.Error("the owned ConfigMap was not replaced")
	}
	if i := strings.Index(out, "    name: istio\n"); i < 0 || i > strings.Index(out, "CustomResourceDefinition") {
		t.Error("the owned ConfigMap was not replaced in place")
	}
	if !strings.Contains(out, "internal.config.kubernetes.io/index: '7'") {
		t.Error("the orchestrator's annotations on a replaced item were lost")
	}
	if strings.Contains(out, "istio-ingress--gone") {
		t.Error("a stale object of this mesh was kept")
	}
	if !strings.Contains(out, "istio-ingress--other-mesh") {
		t.Error("an object of another mesh was removed")
	}
}

func TestSomeoneElsesObjectIsNeverOverwritten(t *testing.T) {
	theirs := `- apiVersion: v1
  kind: Namespace
  metadata:
    name: istio-system # the platform team's
    labels: {team: platform, topology.istio.io/network: net1}
`
	in := resourceList(userItem+theirs, "    profile: minimal\n")
	out, err := execute(t, in)
	if err == nil || !strings.Contains(err.Error(), "Namespace istio-system is in the input but not meshrender's") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out, theirs) || strings.Contains(out, "CustomResourceDefinition") {
		t.Errorf("items changed on a conflict:\n%.800s", out)
	}
}

// TestOutputIsByteStable runs the function over items that carry the
// annotations orchestrators add: the output must not depend on map order.
func TestOutputIsByteStable(t *testing.T) {
	owned := `- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio
    namespace: istio-system
    labels: {app.kubernetes.io/managed-by: meshrender, app.kubernetes.io/instance: test}
    annotations:
      config.kubernetes.io/index: '1'
      config.kubernetes.io/path: a.yaml
      internal.config.kubernetes.io/index: '1'
      internal.config.kubernetes.io/path: a.yaml
      internal.config.kubernetes.io/id: '2'
      config.k8s.io/id: '2'
      kustomize.config.k8s.io/id: x
`
	in := resourceList(userItem+owned, "    profile: minimal\n")
	first, err := execute(t, in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if again, _ := execute(t, in); again != first {
			t.Fatalf("run %d differs from the first", i+2)
		}
	}
}

func TestInvalidConfigGivesResultsAndKeepsItems(t *testing.T) {
	out, err := execute(t, resourceList(userItem, "    zones: [a, a]\n    mtls: {mode: NONE}\n"))
	if err == nil {
		t.Fatal("want an error for an invalid config")
	}
	for _, want := range []string{
		userItem,
		"- message: must be STRICT or PERMISSIVE, got \"NONE\"\n  severity: error",
		"path: spec.zones[1]",
		"file:\n    path: meshes/test.yaml",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "CustomResourceDefinition") {
		t.Error("partial output for an invalid config")
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no function config", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + userItem, "no function config"},
		{"wrong kind", strings.Replace(resourceList(userItem, "    {}\n"), "kind: Mesh", "kind: ConfigMap", 1), `kind: must be "Mesh", got "ConfigMap"`},
		{"unknown field", resourceList(userItem, "    zone: [a]\n"), "spec.zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(t, tt.in)
			if err == nil || !strings.Contains(err.Error()+out, tt.want) {
				t.Errorf("err %v, want %q in the results:\n%s", err, tt.want, out)
			}
			if !strings.Contains(out, "app-settings # owned by the app team") {
				t.Errorf("items not returned untouched:\n%s", out)
			}
		})
	}
	if _, err := execute(t, "items:\n- a: ["); err == nil {
		t.Error("malformed YAML accepted")
	}
}

// Run the function over a ResourceList, as kustomize and kpt do.
func ExampleExecute() {
	in := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
  apiVersion: meshrender.dev/v1alpha1
  kind: Mesh
  metadata: {name: example}
  spec: {profile: minimal}
`
	var out bytes.Buffer
	if err := Execute(&kio.ByteReadWriter{Reader: strings.NewReader(in), Writer: &out}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(strings.Count(out.String(), "\n  kind: Deployment\n"), "Deployment")
	// Output: 1 Deployment
}

// FuzzExecute feeds arbitrary input to the function: it may fail, but it
// must not panic, and when it succeeds a second run over its output must
// give the same output.
func FuzzExecute(f *testing.F) {
	f.Add(resourceList(userItem, "    profile: minimal\n"))
	f.Add(resourceList(userItem, "    zones: [a, b]\n    exposureClasses: [{name: x}]\n"))
	f.Add("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n")
	f.Add("items:\n- a: [")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := execute(t, in)
		if err != nil || out == "" {
			return
		}
		again, err := execute(t, out)
		if err != nil {
			t.Fatalf("the function rejects its own output: %v", err)
		}
		if again != out {
			t.Fatalf("second run changed the output")
		}
	})
}
