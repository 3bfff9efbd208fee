package render

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/objcheck"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/internal/typecheck"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// compileOverlays parses the mesh's overlays once; nil means there are
// none. Problems go to p with their field paths.
func compileOverlays(p *problems, patches []Overlay) *overlays.Set {
	if len(patches) == 0 {
		return nil
	}
	set, errs := overlays.Compile(patches)
	for _, e := range errs {
		p.addText(overlayField(e), overlayMessage(e))
	}
	return set
}

// patched prints every object, patches those an overlay may select as
// kyaml nodes and prints them again. The result is not in install order:
// a patch may rename an object.
func (c *checked) patched(typed []built) ([]Object, error) {
	goTypes := map[objects.Key]reflect.Type{}
	for _, b := range typed {
		t := reflect.TypeOf(b.obj).Elem()
		if _, printed := b.obj.(*objects.Printed); printed {
			t = reflect.TypeFor[apiextensionsv1.CustomResourceDefinition]() // the only kind printed ahead
		}
		goTypes[b.key()] = t
	}
	var objs []Object
	if err := encodeInOrder(typed, func(o Object) error {
		o.YAML = bytes.Clone(o.YAML)
		objs = append(objs, o)
		return nil
	}); err != nil {
		return nil, err
	}
	var items []overlays.Item
	for i, o := range objs {
		if !c.overlays.MayMatch(o.identity()) {
			continue
		}
		node, err := yaml.Parse(string(o.YAML))
		if err != nil {
			return nil, err
		}
		items = append(items, overlays.Item{Node: node, Ref: i})
	}
	patched, err := c.overlays.Apply(items)
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
	keep := make([]bool, len(objs))
	for i := range keep {
		keep[i] = true
	}
	for _, it := range items {
		keep[it.Ref] = false // deleted unless it comes back below
	}
	var p problems
	for _, it := range patched {
		o := &objs[it.Ref]
		before := o.key()
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
		o.Namespace, o.Name = meta.Namespace, meta.Name
		if msgs := checkPatched(raw, goTypes[before], o.Kind, before.Namespace != ""); len(msgs) > 0 {
			for i, m := range msgs {
				// A message may hold the patched value; keep it short.
				if len(m) > maxProblemText {
					msgs[i] = typecheck.PrefixOf(m, maxProblemText) + "…"
				}
			}
			p.addText("spec.overlays", fmt.Sprintf("the patched %s %s no longer fits its API: %s", o.Kind, namespacedName(o.Namespace, o.Name), strings.Join(msgs, "; ")))
			continue
		}
		if o.YAML, err = yamlenc.Manifest(nil, raw); err != nil {
			return nil, err
		}
		keep[it.Ref] = true
	}
	var out []Object
	seen := map[objects.Key]bool{}
	for i, o := range objs {
		if !keep[i] {
			continue
		}
		if k := o.key(); seen[k] {
			p.add("spec.overlays", "after patching, two objects are %s %s; an overlay renamed one onto another", o.Kind, namespacedName(o.Namespace, o.Name))
		} else {
			seen[k] = true
		}
		out = append(out, o)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
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
		p.addText(overlayField(e), overlayMessage(e))
	}
	return p.err()
}

// overlayField is the field path of an overlay problem.
func overlayField(e *overlays.Error) string {
	return fmt.Sprintf("spec.overlays[%d].%s", e.Index, e.Field)
}

// overlayMessage names the overlay when it has a name.
func overlayMessage(e *overlays.Error) string {
	if e.Name != "" {
		return fmt.Sprintf("overlay %q %s", e.Name, e.Message)
	}
	return e.Message
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
