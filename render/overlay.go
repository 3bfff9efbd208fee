package render

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/objcheck"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/internal/typecheck"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// patch applies the overlays to the objects they may select, printed
// and parsed as kyaml nodes, and returns every object the overlays leave,
// the patched ones printed again. The result is not in install order: a
// patch may rename an object.
func (c *checked) patch(typed []built) ([]built, error) {
	var items []overlays.Item
	for i, b := range typed {
		if !c.overlays.MayMatch(identity(b.key())) {
			continue
		}
		var printed []byte
		if p, ok := b.obj.(*objects.Printed); ok {
			printed = p.YAML
		} else {
			var err error
			if printed, err = yamlenc.AppendManifest(nil, b.obj); err != nil {
				k := b.key()
				return nil, fmt.Errorf("encoding %s %s: %w", k.Kind, namespacedName(k.Namespace, k.Name), err)
			}
		}
		node, err := yaml.Parse(string(printed))
		if err != nil {
			return nil, err
		}
		items = append(items, overlays.Item{Node: node, Ref: i})
	}
	patched, deleted, err := c.overlays.Apply(items)
	if err != nil {
		var list []*overlays.Error
		for _, e := range unwrapAll(err) {
			var oe *overlays.Error
			if !errors.As(e, &oe) {
				return nil, err
			}
			list = append(list, oe)
		}
		return nil, overlayErrors(list)
	}
	keep := make([]bool, len(typed))
	for i := range keep {
		keep[i] = true
	}
	for _, it := range items {
		keep[it.Ref] = false // deleted unless it comes back below
	}
	var p problems
	p.refuseDeletions(typed, deleted)
	for _, it := range patched {
		b := &typed[it.Ref]
		before := b.key()
		raw, err := it.Node.MarshalJSON()
		if err != nil {
			return nil, err
		}
		meta, err := it.Node.GetMeta()
		if err != nil {
			p.add("spec.overlays", "the patched %s %s is no longer an object: %v", before.Kind, namespacedName(before.Namespace, before.Name), err)
			continue
		}
		if meta.APIVersion != before.APIVersion || meta.Kind != before.Kind {
			p.add("spec.overlays", "the patched %s %s has apiVersion %q and kind %q; overlays may not change an object's apiVersion or kind", before.Kind, namespacedName(before.Namespace, before.Name), meta.APIVersion, meta.Kind)
			continue
		}
		if msgs := checkPatched(raw, goType(b.obj), before.Kind, before.Namespace != ""); len(msgs) > 0 {
			for i, m := range msgs {
				// A message may hold the patched value; keep it short.
				if len(m) > maxProblemText {
					msgs[i] = typecheck.PrefixOf(m, maxProblemText) + "…"
				}
			}
			p.addText("spec.overlays", fmt.Sprintf("the patched %s %s no longer fits its API: %s", before.Kind, namespacedName(meta.Namespace, meta.Name), strings.Join(msgs, "; ")))
			continue
		}
		printed, err := yamlenc.Manifest(nil, raw)
		if err != nil {
			return nil, err
		}
		if before.Kind == "ClusterRole" || before.Kind == "Role" {
			if wild, err := wildcardRule(printed); err != nil || wild {
				p.add("spec.overlays", "the patched %s %s grants every verb on every resource; meshrender's roles grant what Istio needs, and an overlay may not widen one to everything", before.Kind, namespacedName(meta.Namespace, meta.Name))
				continue
			}
		}
		b.obj = &objects.Printed{
			TypeMeta:   metav1.TypeMeta{APIVersion: before.APIVersion, Kind: before.Kind},
			ObjectMeta: metav1.ObjectMeta{Namespace: meta.Namespace, Name: meta.Name},
			YAML:       printed,
		}
		b.id.Namespace, b.id.Name = meta.Namespace, meta.Name
		b.patched = true
		keep[it.Ref] = true
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	out := typed[:0]
	for i, b := range typed {
		if keep[i] {
			out = append(out, b)
		}
	}
	return out, nil
}

// refuseDeletions reports the deletions that would leave the mesh without
// what it cannot run without: a CRD, a namespace, an object of the
// control plane, or every object of a component. An overlay that removes
// them is a mistake that automated pruning would carry out, removing the
// mesh from the cluster; a render never comes out without them. Each
// overlay is told once per kind of mistake, with the first object and
// how many there are.
func (p *problems) refuseDeletions(typed []built, deleted []overlays.Deletion) {
	left := map[*component]int{}
	for _, b := range typed {
		left[b.component]++
	}
	type mistake struct {
		index int
		what  string // what the overlay may not delete
	}
	first := map[mistake]string{}
	count := map[mistake]int{}
	var order []mistake
	names := map[int]string{}
	for _, d := range deleted {
		b := typed[d.Ref]
		left[b.component]--
		k := b.key()
		m := mistake{index: d.Index}
		object := fmt.Sprintf("%s %s", k.Kind, namespacedName(k.Namespace, k.Name))
		switch {
		case k.Kind == "CustomResourceDefinition" || k.Kind == "Namespace":
			m.what = "the mesh's CRDs or namespaces"
		case b.component.Layer == LayerControlPlane:
			m.what = "the control plane's objects"
		case left[b.component] == 0:
			m.what, object = "a whole component", "every object of component "+b.component.Name
		default:
			continue
		}
		if count[m] == 0 {
			order = append(order, m)
			first[m] = object
		}
		count[m]++
		names[d.Index] = d.Name
	}
	for _, m := range order {
		name := ""
		if n := names[m.index]; n != "" {
			name = fmt.Sprintf("overlay %q ", n)
		}
		what := first[m]
		if n := count[m]; n > 1 {
			what = fmt.Sprintf("%s and %d more", what, n-1)
		}
		p.add(fmt.Sprintf("spec.overlays[%d]", m.index), "%sdeletes %s: an overlay may not delete %s, or pruning would remove them from the cluster", name, what, m.what)
	}
}

// wildcardRule reports a rule of a patched Role or ClusterRole that grants
// every verb on every resource, which no role meshrender renders does.
func wildcardRule(printed []byte) (bool, error) {
	var role struct {
		Rules []struct {
			APIGroups []string `json:"apiGroups"`
			Resources []string `json:"resources"`
			Verbs     []string `json:"verbs"`
		} `json:"rules"`
	}
	if err := sigsyaml.Unmarshal(printed, &role); err != nil {
		return false, err
	}
	for _, r := range role.Rules {
		if slices.Contains(r.Verbs, "*") && slices.Contains(r.Resources, "*") && slices.Contains(r.APIGroups, "*") {
			return true, nil
		}
	}
	return false, nil
}

// goType is the Go type an object decodes into; the only kind printed
// ahead of time is the CustomResourceDefinition.
func goType(obj typedObject) reflect.Type {
	if _, printed := obj.(*objects.Printed); printed {
		return reflect.TypeFor[apiextensionsv1.CustomResourceDefinition]()
	}
	return reflect.TypeOf(obj).Elem()
}

// maxProblemText is the most of one problem an overlay error shows.
const maxProblemText = 300

// checkPatched decodes a patched object strictly into its Go type and
// returns what no longer fits: a misspelt field, invalid metadata, or
// structure its kind needs.
func checkPatched(raw []byte, t reflect.Type, kind string, namespaced bool) []string {
	v := reflect.New(t).Interface()
	strict, err := sigsjson.UnmarshalStrict(raw, v)
	if err != nil {
		return []string{strings.TrimPrefix(err.Error(), "json: ")}
	}
	var msgs []string
	for _, e := range strict {
		msgs = append(msgs, e.Error())
	}
	if obj, ok := v.(objcheck.Object); ok {
		msgs = append(msgs, objcheck.Check(kind, obj, namespaced)...)
	}
	return msgs
}

func overlayErrors(list []*overlays.Error) error {
	var p problems
	for _, e := range list {
		p.addText(e.Describe("spec.overlays"))
	}
	return p.err()
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
