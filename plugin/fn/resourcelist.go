package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// MaxInputBytes is the largest ResourceList the function reads.
const MaxInputBytes = 512 << 20

// defaultAPIVersion is the ResourceList version the function answers in
// when the input gives none it knows.
const defaultAPIVersion = "config.kubernetes.io/v1"

// resourceList is a ResourceList as read: its items and function config
// as YAML nodes, and the results earlier functions reported.
type resourceList struct {
	apiVersion     string
	items          []*item
	functionConfig *yaml.RNode
	results        []*yaml.Node
}

// inputError is input that is not a ResourceList the function can work
// on; it is answered with an error result, never with a bare message.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &inputError{fmt.Sprintf(format, args...)}
}

// readResourceList reads exactly one ResourceList from in. When the input
// is not one, the error says why, and what could be read (say, the items
// of a list whose function config is missing) is returned with it.
func readResourceList(in io.Reader) (*resourceList, error) {
	rl := &resourceList{apiVersion: defaultAPIVersion}
	data, err := io.ReadAll(io.LimitReader(in, MaxInputBytes+1))
	if err != nil {
		return rl, badInput("reading the ResourceList: %v", err)
	}
	if len(data) > MaxInputBytes {
		return rl, badInput("the input is larger than %d MiB, the limit for a ResourceList", MaxInputBytes>>20)
	}
	// Items cut by lines keep their line breaks, CRLF too, and come back
	// byte for byte.
	if rest, texts, ok := splitItems(string(data)); ok {
		// What is not the items is the function config, parsed whole:
		// bound its values before the parser builds them.
		if err := v1alpha1.CheckSeparators([]byte(rest)); err != nil {
			rl.items, _ = textItems(texts)
			return rl, badInput("%v", err)
		}
		if err := rl.read(rest); err != nil {
			if !isInputError(err) {
				return rl, err
			}
		} else if items, ok := textItems(texts); ok {
			rl.items = items
			return rl, checkItems(items)
		}
	}
	// Not cut by lines: parse it whole.
	doc := strings.ReplaceAll(string(data), "\r\n", "\n")
	*rl = resourceList{apiVersion: defaultAPIVersion}
	if err := rl.read(doc); err != nil {
		return rl, err
	}
	return rl, checkItems(rl.items)
}

func isInputError(err error) bool {
	var ie *inputError
	return errors.As(err, &ie)
}

// textItems parses each item's lines on its own, a large item's head only
// (see item.head); false when one does not parse, as a list cut in the
// wrong place would not.
func textItems(texts []string) ([]*item, bool) {
	items := make([]*item, len(texts))
	for i, t := range texts {
		it := &item{text: t}
		n, err := it.head()
		if err != nil || n.YNode() == nil {
			return nil, false
		}
		it.kind = n.YNode()
		if it.kind.Kind == yaml.MappingNode {
			it.describe(n)
		}
		it.kind = &yaml.Node{Kind: it.kind.Kind, Tag: it.kind.Tag} // keep the kind, not the tree
		items[i] = it
	}
	return items, true
}

// checkItems reports items that are not objects.
func checkItems(items []*item) error {
	var problems []string
	for i, it := range items {
		if it.kind.Kind != yaml.MappingNode {
			problems = append(problems, fmt.Sprintf("items[%d] is a %s, not an object", i, nodeKind(it.kind)))
			continue
		}
		if it.id.apiVersion == "" || it.id.kind == "" {
			problems = append(problems, fmt.Sprintf("items[%d] has no apiVersion or kind", i))
		}
	}
	if len(problems) > 0 {
		return badInput("%s", strings.Join(problems, "; "))
	}
	return nil
}

// read parses doc, which must be one ResourceList, into rl; items that
// doc still holds are kept as parsed nodes.
func (rl *resourceList) read(doc string) error {
	dec := yaml.NewDecoder(strings.NewReader(doc))
	var docs []*yaml.Node
	for {
		var d yaml.Node
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return badInput("the input is not YAML: %v", err)
		}
		if !yaml.IsYNodeEmptyDoc(&d) && len(d.Content) > 0 && d.Content[0].Tag != "!!null" {
			docs = append(docs, d.Content[0])
		}
	}
	switch len(docs) {
	case 0:
		return badInput("the input is empty; a KRM function reads one ResourceList")
	case 1:
	default:
		return badInput("the input holds %d YAML documents; a KRM function reads exactly one ResourceList", len(docs))
	}
	root := yaml.NewRNode(docs[0])
	if root.YNode().Kind != yaml.MappingNode {
		return badInput("the input is a %s, not a ResourceList", nodeKind(root.YNode()))
	}
	// Items too large expanded are still read, to be written back as
	// they came, anchors and all, with the error.
	expanded := deAnchor(root)
	apiVersion, kind := scalar(root, "apiVersion"), scalar(root, "kind")
	if kind != "ResourceList" || !strings.HasPrefix(apiVersion, "config.kubernetes.io/") {
		return badInput("the input is apiVersion %q, kind %q, not a config.kubernetes.io ResourceList", apiVersion, kind)
	}
	rl.apiVersion = apiVersion
	if res := root.Field("results"); res != nil && res.Value.YNode().Kind == yaml.SequenceNode {
		rl.results = res.Value.YNode().Content
	}
	if fc := root.Field("functionConfig"); fc != nil && !yaml.IsMissingOrNull(fc.Value) {
		rl.functionConfig = fc.Value
	}
	if items := root.Field("items"); items != nil && !yaml.IsMissingOrNull(items.Value) {
		if items.Value.YNode().Kind != yaml.SequenceNode {
			return badInput("items is a %s, not a list of objects", nodeKind(items.Value.YNode()))
		}
		for _, n := range items.Value.YNode().Content {
			it := &item{node: yaml.NewRNode(n), kind: n}
			if n.Kind == yaml.MappingNode {
				it.describe(it.node)
			}
			rl.items = append(rl.items, it)
		}
	}
	return expanded
}

// scalar is the value of a top-level string field, or "".
func scalar(n *yaml.RNode, field string) string {
	f := n.Field(field)
	if f == nil || f.Value.YNode().Kind != yaml.ScalarNode {
		return ""
	}
	return f.Value.YNode().Value
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "scalar (" + strings.TrimPrefix(n.ShortTag(), "!!") + ")"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// writer writes a ResourceList one item at a time, so the output is never
// held as one tree: each item is encoded as it comes.
type writer struct {
	out   io.Writer
	err   error
	items int
}

func (w *writer) write(s string) {
	if w.err == nil {
		_, w.err = io.WriteString(w.out, s)
	}
}

func (w *writer) start(apiVersion string) {
	w.write("apiVersion: " + apiVersion + "\nkind: ResourceList\n")
}

// item writes an input item: as it came when its text was kept, else
// encoded like node.
func (w *writer) item(it *item) {
	if it.text == "" {
		w.node(it.node)
		return
	}
	w.startItems()
	w.write(it.text)
}

// node writes one item of the list, with its comments, in the two-space,
// compact style kustomize writes.
func (w *writer) node(n *yaml.RNode) {
	w.startItems()
	w.encode(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n.YNode()}})
}

func (w *writer) startItems() {
	if w.items == 0 {
		w.write("items:\n")
	}
	w.items++
}

// finish writes what follows the items: the function config and the
// results.
func (w *writer) finish(functionConfig *yaml.RNode, results []*yaml.Node) {
	if w.items == 0 {
		w.write("items: []\n")
	}
	if functionConfig != nil {
		w.field("functionConfig", functionConfig.YNode())
	}
	if len(results) > 0 {
		w.field("results", &yaml.Node{Kind: yaml.SequenceNode, Content: results})
	}
}

func (w *writer) field(key string, value *yaml.Node) {
	w.encode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: key}, value}})
}

func (w *writer) encode(n *yaml.Node) {
	if w.err != nil {
		return
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoderWithOptions(&buf, &yaml.EncoderOptions{SeqIndent: yaml.CompactSequenceStyle})
	if w.err = enc.Encode(n); w.err == nil {
		w.err = enc.Close()
	}
	w.write(buf.String())
}

// resultNodes encodes function results as YAML nodes.
func resultNodes(results framework.Results) ([]*yaml.Node, error) {
	if len(results) == 0 {
		return nil, nil
	}
	data, err := yaml.Marshal(results)
	if err != nil {
		return nil, err
	}
	n, err := yaml.Parse(string(data))
	if err != nil {
		return nil, err
	}
	return n.YNode().Content, nil
}
