package fn

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// execute runs the function over a ResourceList and returns its output.
func execute(t *testing.T, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Run(strings.NewReader(in), &out)
	return out.String(), err
}

// assertIdempotent checks that running the function over out, its own
// output, changes nothing.
func assertIdempotent(t *testing.T, out string) {
	t.Helper()
	again, err := execute(t, out)
	if err != nil {
		t.Fatalf("the function rejects its own output: %v", err)
	}
	if again != out {
		i := 0
		for i < len(out) && i < len(again) && out[i] == again[i] {
			i++
		}
		t.Errorf("a second run changed the output from byte %d:\n  was %.200q\n  now %.200q", i, out[i:], again[i:])
	}
}

const userItem = `- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: app-settings # owned by the app team
    namespace: shop
  data: {color: blue}
`

func inputList(items, spec string) string {
	return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items +
		"functionConfig:\n  apiVersion: meshrender.dev/v1alpha1\n  kind: Mesh\n  metadata:\n    name: test\n" +
		"    annotations:\n      config.kubernetes.io/path: meshes/test.yaml\n  spec:\n" + spec
}

func TestTransformerKeepsItemsAndAddsTheMesh(t *testing.T) {
	out, err := execute(t, inputList(userItem, "    profile: minimal\n"))
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
	assertIdempotent(t, out)
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
	out, err := execute(t, inputList(userItem+owned, "    profile: minimal\n"))
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
	in := inputList(userItem+theirs, "    profile: minimal\n")
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
	in := inputList(userItem+owned, "    profile: minimal\n")
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
	out, err := execute(t, inputList(userItem, "    zones: [a, a]\n    mtls: {mode: NONE}\n"))
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
		{"wrong kind", strings.Replace(inputList(userItem, "    {}\n"), "kind: Mesh", "kind: ConfigMap", 1), `kind: must be "Mesh", got "ConfigMap"`},
		{"unknown field", inputList(userItem, "    zone: [a]\n"), "spec.zone"},
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

// TestEveryInputGetsAResourceList: input that is not one ResourceList of
// objects is answered in KRM, with an error result, never with a bare
// message or the input echoed back. Each of these got no ResourceList, or
// no error, before.
func TestEveryInputGetsAResourceList(t *testing.T) {
	mesh := "functionConfig: {apiVersion: meshrender.dev/v1alpha1, kind: Mesh, metadata: {name: test}, spec: {profile: minimal}}\n"
	tests := []struct{ name, in, want, keeps string }{
		{"items that are not objects", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [42, \"a string\"]\n" + mesh,
			"items[0] is a scalar (int), not an object; items[1] is a scalar (str), not an object", "- 42\n- \"a string\"\n"},
		{"an item without kind", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{metadata: {name: x}}]\n" + mesh,
			"items[0] has no apiVersion or kind", "name: x"},
		{"not a ResourceList", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", `the input is apiVersion "v1", kind "ConfigMap", not a config.kubernetes.io ResourceList`, ""},
		{"two ResourceLists", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n---\napiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n",
			"the input holds 2 YAML documents; a KRM function reads exactly one ResourceList", ""},
		{"a list", "- a\n- b\n", "the input is a list, not a ResourceList", ""},
		{"items not a list", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: b}\n" + mesh, "items is a mapping, not a list of objects", ""},
		{"malformed", "items:\n- a: [", "the input is not YAML", ""},
		{"a line above the first item that belongs to none", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n  kind: ConfigMap\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n" + mesh,
			"the input is not YAML", ""},
		{"empty", "  \n", "the input is empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(t, tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(out, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n") {
				t.Fatalf("no ResourceList on stdout:\n%s", out)
			}
			_, results, _ := strings.Cut(out, "\nresults:\n- message: ")
			if !strings.Contains(results, tt.want) || !strings.Contains(results, "severity: error") {
				t.Errorf("no error result %q:\n%s", tt.want, out)
			}
			if strings.Contains(out, "CustomResourceDefinition") {
				t.Error("rendered output for bad input")
			}
			if tt.keeps != "" && !strings.Contains(out, tt.keeps) {
				t.Errorf("the items did not come back:\n%s", out)
			}
		})
	}
}

// TestItemsComeBackByteForByte: an item of a list in block layout, as
// kustomize, kpt and meshrender write lists, comes back exactly as it
// came, odd spacing, comments and quoting included; a run over the output
// changes nothing.
func TestItemsComeBackByteForByte(t *testing.T) {
	item := `# the shop's settings
- apiVersion: v1
  kind: ConfigMap   # the kind
  metadata:
      name: settings
      namespace: shop

  # colours of the shop
  data:
      colour: 'blue'
      size: "10"
      note: |
        two
        lines
`
	for name, c := range map[string]struct{ in, want string }{
		"compact": {inputList(item, "    profile: minimal\n"), item},
		"wide":    {inputList(indentLines(item), "    profile: minimal\n"), item},
		// Lines above the first item go with it.
		"a blank line first":        {inputList("\n"+item, "    profile: minimal\n"), "\n" + item},
		"a line of spaces first":    {inputList("   \n"+item, "    profile: minimal\n"), "   \n" + item},
		"an indented comment first": {inputList("  # the list\n"+item, "    profile: minimal\n"), "  # the list\n" + item},
		"wide, a blank line first":  {inputList("\n"+indentLines(item), "    profile: minimal\n"), "\n" + item},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := execute(t, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "items:\n"+c.want+"- apiVersion: apiextensions.k8s.io/v1\n") {
				t.Errorf("the item did not come back byte for byte:\n%.700s", out)
			}
			assertIdempotent(t, out)
		})
	}
}

// TestFlowListsAreReencoded: a list this function cannot cut by lines
// comes back re-encoded, values, quoting and comments kept.
func TestFlowListsAreReencoded(t *testing.T) {
	in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: b}, data: {k: 'v'}}] # one\n" +
		"functionConfig: {apiVersion: meshrender.dev/v1alpha1, kind: Mesh, metadata: {name: test}, spec: {profile: minimal}}\n"
	out, err := execute(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "items:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: b}, data: {k: 'v'}}\n") {
		t.Errorf("the flow item came back as:\n%.400s", out)
	}
	assertIdempotent(t, out)
}

func indentLines(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString("  ")
		}
		b.WriteString(l)
	}
	return b.String()
}

// Run the function over a ResourceList, as kustomize and kpt do.
func ExampleRun() {
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
	if err := Run(strings.NewReader(in), &out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(strings.Count(out.String(), "\n  kind: Deployment\n"), "Deployment")
	// Output: 1 Deployment
}

// FuzzExecute feeds arbitrary input to the function: it may fail, but it
// must not panic, it must always answer with a ResourceList (with an
// error result when it fails), and when it succeeds a second run over its
// output must give the same output.
func FuzzExecute(f *testing.F) {
	f.Add(inputList(userItem, "    profile: minimal\n"))
	f.Add(inputList(userItem, "    zones: [a, b]\n    exposureClasses: [{name: x}]\n"))
	f.Add(inputList(appItem, appSpec))
	f.Add("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n")
	f.Add("items:\n- a: [")
	f.Add("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [42, {a: &x b}, *x]\n")
	f.Add(strings.ReplaceAll(inputList(userItem+"\n# next\n"+userItem, "    profile: minimal\n"), "\n", "\r\n"))
	f.Add("apiVersion: config.kubernetes.io/v1\r\nkind: ResourceList\r\nitems:\r\n  - {apiVersion: v1, kind: A, metadata: {name: a}}\r\n\r\n  -\r\n    apiVersion: v1\r\n    kind: B\r\n    metadata: {name: b}\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := execute(t, in)
		if !strings.HasPrefix(out, "apiVersion: config.kubernetes.io/") || !strings.Contains(out, "\nkind: ResourceList\n") {
			t.Fatalf("no ResourceList for the input (err %v):\n%.300s", err, out)
		}
		if err != nil {
			if !strings.Contains(out, "\nresults:\n") {
				t.Fatalf("failed without an error result: %v", err)
			}
			return
		}
		assertIdempotent(t, out)
	})
}

// TestApplicationNamespacesGetOnlyTheirLabel: a namespace of
// spec.namespaces that the input holds is the team's: it keeps everything
// but the injection label meshrender sets (and the other one it removes);
// one the input lacks is added, and dropped again when it leaves the
// mesh, while the team's own stays.
func TestApplicationNamespacesGetOnlyTheirLabel(t *testing.T) {
	team := `- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop # the shop team's
    labels:
      team: shop
      istio-injection: enabled
`
	spec := "    profile: minimal\n    revision: blue\n    injection: {enabled: true}\n    namespaces:\n    - {name: shop, revision: blue}\n    - {name: payments, revision: blue}\n"
	out, err := execute(t, inputList(team, spec))
	if err != nil {
		t.Fatal(err)
	}
	shop := `- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop # the shop team's
    labels:
      team: shop
      istio.io/rev: 'blue'
`
	if !strings.Contains(out, shop) {
		t.Errorf("the team's namespace did not come back with only its injection label changed:\n%.900s", out)
	}
	if strings.Count(out, "name: shop") != 2 { // the item and the function config
		t.Error("namespace shop is in the output twice")
	}
	if !strings.Contains(out, "meshrender.dev/labels-for-mesh: test\n    labels:\n      istio.io/rev: blue\n    name: payments\n") {
		t.Errorf("namespace payments, which the input lacks, was not added:\n%s", out)
	}
	assertIdempotent(t, out)
	// shop and payments leave the mesh: payments, meshrender's, goes; the
	// team's shop stays, with the label it last got.
	left, err := execute(t, strings.Replace(out, "    namespaces:\n    - {name: shop, revision: blue}\n    - {name: payments, revision: blue}\n", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(left, "name: payments") {
		t.Error("namespace payments stayed after it left the mesh")
	}
	if !strings.Contains(left, shop) {
		t.Error("the team's namespace shop did not stay as it was")
	}
}
