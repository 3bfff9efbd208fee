package fn

import (
	"slices"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// item is one input item. Most lists come in the block layout kustomize,
// kpt and meshrender write, with each item starting at a "- " line; such
// an item keeps its text and goes back out byte for byte, and its parsed
// form is thrown away once its identity is known, so a large list costs
// about its own size in memory. An item of any other list is kept as its
// parsed node and written back re-encoded.
type item struct {
	// text is the item's lines as they came, in compact layout ("- " at
	// the start of the line), ending in a newline; empty when node is set.
	text string
	node *yaml.RNode

	// kind is the kind and tag of the item's node, for errors about items
	// that are not objects.
	kind *yaml.Node
	// What merging needs to know, read once.
	id          identity
	labels      map[string]string
	annotations map[string]string
}

// describe reads what merging needs from the item's parsed form.
func (it *item) describe(n *yaml.RNode) {
	it.id = nodeIdentity(n)
	it.labels = n.GetLabels()
	it.annotations = n.GetAnnotations()
}

// parse returns the item as a node: the one kept, or its text parsed anew.
func (it *item) parse() (*yaml.RNode, error) {
	if it.node != nil {
		return it.node, nil
	}
	return yaml.Parse(itemDocument(it.text))
}

// itemDocument turns an item's lines ("- a: b\n  c: d\n") into a YAML
// document of its own ("a: b\nc: d\n"), comments kept.
func itemDocument(text string) string {
	lines := strings.SplitAfter(text, "\n")
	started := false
	for i, l := range lines {
		switch {
		case !started && startsItem(l):
			lines[i] = strings.TrimPrefix(strings.TrimPrefix(l, "-"), " ")
			started = true
		case strings.HasPrefix(l, "  "):
			lines[i] = l[2:]
		}
	}
	return strings.Join(lines, "")
}

// splitItems cuts a ResourceList in block layout into its items' lines,
// in compact layout, and the rest of the document, with "items: []"
// standing in for them. It reports false for a layout it cannot cut by
// lines (flow style, several documents); the caller then parses the
// document whole, and also when an item it cut does not parse on its own.
func splitItems(doc string) (rest string, items []string, ok bool) {
	lines := strings.SplitAfter(doc, "\n")
	start := -1
	for i, l := range lines {
		if bare := strings.TrimRight(l, " \r\n"); i > 0 && (bare == "---" || bare == "...") || strings.HasPrefix(l, "--- ") {
			return "", nil, false // another document
		}
		if start < 0 && strings.HasPrefix(l, "items:") {
			v := strings.TrimSpace(strings.TrimPrefix(l, "items:"))
			switch {
			case v == "" || strings.HasPrefix(v, "#"):
				start = i
			case v == "[]":
				return doc, nil, true
			default:
				return "", nil, false // flow style
			}
		}
	}
	if start < 0 {
		return doc, nil, true
	}
	// The block runs to the next line that starts a top-level key.
	end := start + 1
	for end < len(lines) && !topLevel(lines[end]) {
		end++
	}
	block := lines[start+1 : end]
	// Wide layout ("  - ") becomes compact ("- ") by one shift of two.
	for _, l := range block {
		if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "#") {
			continue
		} else if strings.HasPrefix(l, "  -") && (len(l) == 3 || l[3] == ' ' || l[3] == '\r' || l[3] == '\n') {
			for i, l := range block {
				block[i] = strings.TrimPrefix(l, "  ")
			}
		}
		break
	}
	// current is the item being cut, empty until the first one starts;
	// pending are the lines that go with the next item.
	var current, pending []string
	for _, l := range block {
		blank := strings.TrimSpace(l) == ""
		switch {
		case startsItem(l):
			if len(current) > 0 {
				items = append(items, strings.Join(current, ""))
			}
			current = append(pending, l)
			pending = nil
		case strings.HasPrefix(l, "#"):
			pending = append(pending, l) // a comment above the next item
		case len(current) == 0:
			// Above the first item only blank lines and comments may
			// come; they go with it, as an item of their own would not
			// parse and would lose the list its layout.
			if !blank && !strings.HasPrefix(strings.TrimLeft(l, " "), "#") {
				return "", nil, false // lines that belong to no item
			}
			pending = append(pending, l)
		case blank || strings.HasPrefix(l, " "):
			current = append(current, pending...)
			pending = nil
			current = append(current, l)
		default:
			return "", nil, false
		}
	}
	current = append(current, pending...)
	if len(current) > 0 {
		if !slices.ContainsFunc(current, startsItem) {
			return "", nil, false // lines that belong to no item
		}
		items = append(items, strings.Join(current, ""))
	}
	for i := range items {
		if !strings.HasSuffix(items[i], "\n") {
			items[i] += "\n"
		}
	}
	rest = strings.Join(lines[:start], "") + "items: []\n" + strings.Join(lines[end:], "")
	return rest, items, true
}

// topLevel reports a line that starts a key of the document itself.
func topLevel(l string) bool {
	return l != "" && l[0] != '\n' && l[0] != '\r' && l[0] != ' ' && l[0] != '-' && l[0] != '#' && l[0] != '\t'
}

// startsItem reports the first line of a list item in compact layout.
func startsItem(l string) bool {
	return l == "-" || l == "-\n" || l == "-\r\n" || strings.HasPrefix(l, "- ")
}

// largeItem is how many line breaks, commas, dashes and opening brackets
// make an item large: one of some hundred KiB of YAML.
const largeItem = 1 << 16

// head returns the node the item's identity is read from: the item
// parsed, or for a large item only its apiVersion, kind and metadata.
// Parsing a whole item costs many times its size (a 4 MiB flow list of
// one-letter values took 490 MB), and only those fields are read. A large
// item is therefore not checked to parse on its own; it goes back as it
// came. When its head cannot be cut out by lines, it is parsed whole.
func (it *item) head() (*yaml.RNode, error) {
	if v1alpha1.Separators(it.text) > largeItem {
		n, err := yaml.Parse(itemDocument(headLines(it.text)))
		if err == nil && n.YNode() != nil && n.YNode().Kind == yaml.MappingNode && n.GetApiVersion() != "" && n.GetKind() != "" {
			return n, nil
		}
	}
	return it.parse()
}

// headLines is an item's lines ("- a: b\n  c: d\n") with only its
// apiVersion, kind and metadata fields; the comments above it are left
// out.
func headLines(text string) string {
	var b strings.Builder
	started, keep := false, false
	for l := range strings.SplitAfterSeq(text, "\n") {
		switch {
		case !started && startsItem(l):
			started = true
			keep = isHeadField(strings.TrimPrefix(l, "- "))
			if !keep {
				b.WriteString("-\n")
				continue
			}
		case !started:
			continue
		case len(l) > 2 && strings.HasPrefix(l, "  ") && !strings.ContainsRune(" #\r\n", rune(l[2])):
			keep = isHeadField(l[2:])
		}
		if keep {
			b.WriteString(l)
		}
	}
	return b.String()
}

// isHeadField reports a line that starts field apiVersion, kind or
// metadata of an object.
func isHeadField(l string) bool {
	for _, f := range []string{"apiVersion:", "kind:", "metadata:"} {
		if rest, ok := strings.CutPrefix(l, f); ok && (rest == "" || strings.ContainsRune(" \t\r\n", rune(rest[0]))) {
			return true
		}
	}
	return false
}
