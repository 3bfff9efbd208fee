// Package overlays applies user patches to rendered objects, for what the
// typed Mesh API leaves out. A patch is either a strategic merge patch (a
// partial object) or a JSON 6902 patch (a list of operations), applied
// with kustomize's own patch filters and selected the way a kustomize
// patches: entry selects, so a patch written for kustomize works here.
//
// Patches apply in order, each to the result of the ones before it. A
// patch that selects nothing is an error, never a silent no-op.
package overlays

import (
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/api/filters/patchjson6902"
	"sigs.k8s.io/kustomize/api/filters/patchstrategicmerge"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/labels"
	sigsyaml "sigs.k8s.io/yaml"
)

// Patch is one overlay.
//
// +k8s:deepcopy-gen=true
type Patch struct {
	// Name identifies the patch in errors; without it the patch is known
	// by its position.
	Name string `json:"name,omitempty"`
	// Patch is a strategic merge patch (a YAML or JSON object) or a JSON
	// 6902 patch (a YAML or JSON list of operations).
	Patch string `json:"patch"`
	// Target selects the objects to patch. A JSON 6902 patch needs one; a
	// strategic merge patch without one patches the objects with its own
	// apiVersion, kind, name and (when given) namespace.
	Target *Target `json:"target,omitempty"`
}

// Target selects objects. Group, version, kind, name and namespace are
// regular expressions matched against the whole value, as in kustomize;
// empty fields match everything.
//
// +k8s:deepcopy-gen=true
type Target struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	// LabelSelector is a Kubernetes label selector such as
	// "app=istio-ingressgateway,istio!=pilot".
	LabelSelector string `json:"labelSelector,omitempty"`
}

// Error is a problem with one patch.
type Error struct {
	// Index is the patch's position in the list.
	Index int
	// Name is the patch's name, if it has one.
	Name string
	// Field is the part of the patch at fault, such as "patch" or
	// "target.kind".
	Field string
	// Message says what is wrong.
	Message string
}

// Describe returns where the problem is, as a field path under the list
// of patches (such as spec.overlays[2].patch), and what it is, naming the
// patch when it has a name.
func (e *Error) Describe(list string) (field, message string) {
	field = fmt.Sprintf("%s[%d].%s", list, e.Index, e.Field)
	if e.Name != "" {
		return field, fmt.Sprintf("overlay %q %s", e.Name, e.Message)
	}
	return field, e.Message
}

// Error formats the problem with the overlay it is about.
func (e *Error) Error() string {
	id := fmt.Sprintf("overlay %d", e.Index)
	if e.Name != "" {
		id += fmt.Sprintf(" (%s)", e.Name)
	}
	return fmt.Sprintf("%s %s: %s", id, e.Field, e.Message)
}

// kind of patch.
type kind int

const (
	strategicMerge kind = iota
	json6902
)

// compiled is a parsed, checked patch.
type compiled struct {
	index    int
	name     string
	size     int // the patch's length
	kind     kind
	smp      *yaml.RNode
	ops      string
	selector *types.SelectorRegex
	labels   string
}

// Set is a list of compiled patches, ready to apply.
type Set struct {
	patches []compiled
}

// Compile parses and checks patches. It returns every problem found, each
// as an *Error.
func Compile(patches []Patch) (*Set, []*Error) {
	var errs []*Error
	s := &Set{}
	for i, p := range patches {
		c, err := compile(i, p)
		if err != nil {
			errs = append(errs, err...)
			continue
		}
		s.patches = append(s.patches, c)
	}
	return s, errs
}

func compile(i int, p Patch) (compiled, []*Error) {
	fail := func(field, format string, args ...any) []*Error {
		return []*Error{{Index: i, Name: p.Name, Field: field, Message: fmt.Sprintf(format, args...)}}
	}
	c := compiled{index: i, name: p.Name, size: len(p.Patch)}
	text := strings.TrimSpace(p.Patch)
	if text == "" {
		return c, fail("patch", "must not be empty")
	}
	node, err := yaml.Parse(text)
	if err != nil {
		return c, fail("patch", "is not valid YAML: %v", err)
	}
	var sel types.Selector
	switch node.YNode().Kind {
	case yaml.SequenceNode:
		c.kind = json6902
		raw, err := sigsyaml.YAMLToJSON([]byte(text))
		if err != nil {
			return c, fail("patch", "is not a JSON 6902 patch: %v", err)
		}
		ops, err := jsonpatch.DecodePatch(raw)
		if err != nil {
			return c, fail("patch", "is not a JSON 6902 patch: %v", err)
		}
		for j, op := range ops {
			if _, err := op.Path(); err != nil {
				return c, fail(fmt.Sprintf("patch[%d]", j), "has no path")
			}
			switch op.Kind() {
			case "add", "remove", "replace", "move", "copy", "test":
			default:
				return c, fail(fmt.Sprintf("patch[%d]", j), "op %q is not one of add, remove, replace, move, copy, test", op.Kind())
			}
		}
		c.ops = string(raw)
		if p.Target == nil {
			return c, fail("target", "a JSON 6902 patch needs a target")
		}
	case yaml.MappingNode:
		c.kind = strategicMerge
		c.smp = node
		if p.Target == nil {
			// The patch names what it patches, as kustomize's patches
			// without a target do.
			meta, err := node.GetMeta()
			if err != nil || meta.Kind == "" || meta.Name == "" {
				return c, fail("patch", "a strategic merge patch without a target must have kind and metadata.name")
			}
			gvk := resid.GvkFromNode(node)
			sel.Gvk = resid.Gvk{Group: quote(gvk.Group), Version: quote(gvk.Version), Kind: quote(gvk.Kind)}
			sel.Name = quote(meta.Name)
			sel.Namespace = quote(meta.Namespace)
		}
	default:
		return c, fail("patch", "must be an object (strategic merge) or a list of operations (JSON 6902)")
	}
	if t := p.Target; t != nil {
		sel.Gvk = resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind}
		sel.Name, sel.Namespace, sel.LabelSelector = t.Name, t.Namespace, t.LabelSelector
	}
	c.selector, err = types.NewSelectorRegex(&sel)
	if err != nil {
		return c, fail("target", "is not a valid selector: %v", err)
	}
	if sel.LabelSelector != "" {
		if _, err := labels.Parse(sel.LabelSelector); err != nil {
			return c, fail("target.labelSelector", "%q is not a label selector: %v", sel.LabelSelector, err)
		}
	}
	c.labels = sel.LabelSelector
	return c, nil
}

// quote turns a literal into a regular expression matching exactly it.
func quote(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Identity is what a target can select on without reading the object.
type Identity struct {
	Group, Version, Kind, Name, Namespace string
}

// MayMatch reports whether some patch could select an object with this
// identity, label selectors aside. Objects no patch may select need not
// be turned into nodes.
func (s *Set) MayMatch(id Identity) bool {
	for _, c := range s.patches {
		if c.matchesIdentity(id) {
			return true
		}
	}
	return false
}

func (c *compiled) matchesIdentity(id Identity) bool {
	return c.selector.MatchGvk(resid.Gvk{Group: id.Group, Version: id.Version, Kind: id.Kind}) &&
		c.selector.MatchName(id.Name) && c.selector.MatchNamespace(id.Namespace)
}

func nodeIdentity(n *yaml.RNode) Identity {
	id := resid.FromRNode(n)
	return Identity{Group: id.Group, Version: id.Version, Kind: id.Kind, Name: id.Name, Namespace: id.Namespace}
}

// Item is an object being patched. Ref is the caller's handle on it,
// carried through unchanged.
type Item struct {
	Node *yaml.RNode
	Ref  int
}

// Deletion is an item a patch removed: a strategic merge patch with
// "$patch: delete", or a JSON 6902 patch that leaves nothing.
type Deletion struct {
	// Ref is the item's handle.
	Ref int
	// Index and Name are the patch's position in the list and its name.
	Index int
	Name  string
}

// Apply applies every patch in order to items and returns what is left,
// and which patch deleted each item that is gone. Items must include
// every object a patch may select (see MayMatch).
func (s *Set) Apply(items []Item) ([]Item, []Deletion, error) {
	var errs []error
	var deleted []Deletion
	for _, c := range s.patches {
		var err error
		items, err = c.apply(items, &deleted)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return items, deleted, errors.Join(errs...)
}

func (c *compiled) apply(items []Item, deleted *[]Deletion) ([]Item, error) {
	fail := func(format string, args ...any) error {
		return &Error{Index: c.index, Name: c.name, Field: "patch", Message: fmt.Sprintf(format, args...)}
	}
	out := items[:0:0]
	matched := 0
	for _, it := range items {
		ok := c.matchesIdentity(nodeIdentity(it.Node))
		if ok && c.labels != "" {
			var err error
			if ok, err = it.Node.MatchesLabelSelector(c.labels); err != nil {
				return items, fail("%v", err)
			}
		}
		if !ok {
			out = append(out, it)
			continue
		}
		matched++
		node, err := c.patch(it.Node)
		if err != nil {
			return items, fail("cannot patch %s: %v", describe(it.Node), err)
		}
		if node == nil {
			*deleted = append(*deleted, Deletion{Ref: it.Ref, Index: c.index, Name: c.name})
			continue
		}
		out = append(out, Item{Node: node, Ref: it.Ref})
	}
	if matched == 0 {
		return items, &Error{Index: c.index, Name: c.name, Field: "target", Message: "selects no rendered object"}
	}
	return out, nil
}

// patch applies the patch to one node and returns the result, or nil when
// the patch deletes it.
func (c *compiled) patch(n *yaml.RNode) (*yaml.RNode, error) {
	if c.kind == json6902 {
		out, err := patchjson6902.Filter{Patch: c.ops}.Filter([]*yaml.RNode{n})
		if err != nil || len(out) == 0 {
			return nil, err
		}
		return out[0], nil
	}
	meta, err := n.GetMeta()
	if err != nil {
		return nil, err
	}
	out, err := patchstrategicmerge.Filter{Patch: c.smp.Copy()}.Filter([]*yaml.RNode{n})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	// A strategic merge patch changes content, never identity; kustomize
	// restores it the same way.
	r := out[0]
	r.SetKind(meta.Kind)
	if err := r.SetName(meta.Name); err != nil {
		return nil, err
	}
	if err := r.SetNamespace(meta.Namespace); err != nil {
		return nil, err
	}
	return r, nil
}

func describe(n *yaml.RNode) string {
	id := nodeIdentity(n)
	if id.Namespace == "" {
		return id.Kind + " " + id.Name
	}
	return id.Kind + " " + id.Namespace + "/" + id.Name
}
