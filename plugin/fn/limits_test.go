package fn

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/internal/allocs"
)

const meshConfig = "functionConfig:\n  apiVersion: meshrender.dev/v1alpha1\n  kind: Mesh\n  metadata:\n    name: test\n  spec:\n    profile: minimal\n"

// hostileLists are ResourceLists of a few KiB to 4 MiB that ask for far
// more work than they are long, each with the start of the error result
// it must be answered with.
func hostileLists() []struct{ name, in, want string } {
	big := strings.Repeat("x", 100_000)
	aliases := strings.Repeat("    - *big\n", 9000)
	return []struct{ name, in, want string }{
		{"alias bomb across items", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" +
			"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data: {k: &big " + big + "}\n" +
			"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n  data:\n    l:\n" + aliases + meshConfig,
			"- message: the input's YAML aliases expand it by more than 16 MiB"},
		{"alias bomb in a flow list", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: &big " + big + ", l: [" +
			strings.Repeat("*big, ", 9000) + "*big]}}]\n" + meshConfig,
			"- message: the input's YAML aliases expand it by more than 16 MiB"},
		{"alias bomb in the function config", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n" +
			"functionConfig:\n  apiVersion: meshrender.dev/v1alpha1\n  kind: Mesh\n  metadata:\n    name: test\n    labels: {l: &big " + big + "}\n" +
			"  spec:\n    meshConfig:\n      trustDomainAliases:\n" + strings.Repeat("      - *big\n", 1000),
			"- message: 'anchor &big (line 5, column 15): a mesh config takes no YAML anchors or aliases"},
		{"2 million values in the function config", "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n" +
			"functionConfig:\n  apiVersion: meshrender.dev/v1alpha1\n  kind: Mesh\n  metadata: {name: test}\n  spec:\n    zones: [" + strings.Repeat("a,", 2_000_000) + "a]\n",
			"- message: mesh config has 2000012 line breaks, commas, dashes and opening brackets"},
	}
}

// TestHostileInputIsAnsweredCheaply: each hostile list gets a
// ResourceList back with its error result, the items unexpanded, without
// the work its aliases or values ask for.
func TestHostileInputIsAnsweredCheaply(t *testing.T) {
	for _, tt := range hostileLists() {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			var err error
			alloc := allocs.Bytes(func() { err = Run(strings.NewReader(tt.in), &out) })
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(out.String(), "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n") || !strings.Contains(out.String(), "\nresults:\n"+tt.want) {
				t.Errorf("output:\n%.300s\n…%.600s\nwant a ResourceList with the result %q", out.String(), out.String()[max(0, out.Len()-600):], tt.want)
			}
			// Written back as they came, the items take about as much as
			// they did in the input.
			if out.Len() > len(tt.in)+4096 {
				t.Errorf("the output is %d bytes, the input %d", out.Len(), len(tt.in))
			}
			// Allocation is the machine-independent measure of the work.
			if alloc > 128<<20 {
				t.Errorf("answering allocates %d MiB", alloc>>20)
			}
		})
	}
}

// TestAnchorsSharedBetweenItemsAreExpanded: anchors that expand a list by
// little are expanded, so each item stands on its own.
func TestAnchorsSharedBetweenItemsAreExpanded(t *testing.T) {
	in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" +
		"- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, labels: &l {team: shop}}}\n" +
		"- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, labels: *l}}\n" + meshConfig
	out, err := execute(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "team: shop") != 2 || strings.Contains(out, "*l") {
		t.Errorf("the alias was not expanded:\n%.400s", out)
	}
}

// BenchmarkHostileInput runs the function over the hostile lists.
func BenchmarkHostileInput(b *testing.B) {
	for _, tt := range hostileLists() {
		b.Run(strings.ReplaceAll(tt.name, " ", "-"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out bytes.Buffer
				if Run(strings.NewReader(tt.in), &out) == nil {
					b.Fatal("no error")
				}
			}
		})
	}
}

// TestLargeItemsAreReadByTheirHead: an item of 4 MiB, 2 million values of
// a flow list, comes back byte for byte without the function parsing the
// values: only its apiVersion, kind and metadata are read.
func TestLargeItemsAreReadByTheirHead(t *testing.T) {
	large := "# a large item\n- apiVersion: v1\n  data:\n    k: [" + strings.Repeat("a,", 2_000_000) + "a]\n  kind: ConfigMap # its kind\n" +
		"  metadata:\n    name: large\n    namespace: shop\n    labels: {team: shop}\n  immutable: true\n"
	in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + userItem + large + meshConfig
	var out bytes.Buffer
	var err error
	alloc := allocs.Bytes(func() { err = Run(strings.NewReader(in), &out) })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "items:\n"+userItem+large) {
		t.Errorf("the large item did not come back byte for byte")
	}
	if !strings.Contains(out.String(), "kind: CustomResourceDefinition") {
		t.Error("the mesh was not rendered")
	}
	if alloc > 128<<20 {
		t.Errorf("the function allocates %d MiB", alloc>>20)
	}
	items, ok := textItems([]string{large})
	if !ok || items[0].id != (identity{"v1", "ConfigMap", "shop", "large"}) || items[0].labels["team"] != "shop" {
		t.Errorf("the large item reads as %+v", items)
	}
}
