package render

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/objects"
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
		if _, printed := b.obj.(*objects.Printed); !printed {
			goTypes[b.key()] = reflect.TypeOf(b.obj).Elem()
		}
	}
	var objs []Object
	var s slab
	if err := encodeInOrder(typed, func(o Object) error {
		o.YAML = s.copy(o.YAML)
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
		raw, err := it.Node.MarshalJSON()
		if err != nil {
			return nil, err
		}
		before := o.key()
		meta, err := it.Node.GetMeta()
		if err != nil {
			return nil, err
		}
		o.APIVersion, o.Kind, o.Namespace, o.Name = meta.APIVersion, meta.Kind, meta.Namespace, meta.Name
		if t, ok := goTypes[before]; ok && o.Kind == before.Kind && o.APIVersion == before.APIVersion {
			if msg := strictCheck(raw, t); msg != "" {
				p.add("spec.overlays", "the patched %s %s no longer fits its API: %s", o.Kind, namespacedName(o.Namespace, o.Name), msg)
				continue
			}
		}
		if o.YAML, err = yamlenc.Manifest(nil, raw); err != nil {
			return nil, err
		}
		keep[it.Ref] = true
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	var out []Object
	for i, o := range objs {
		if keep[i] {
			out = append(out, o)
		}
	}
	return out, nil
}

// strictCheck decodes a patched object into its Go type and returns what
// does not fit, such as a misspelt field.
func strictCheck(raw []byte, t reflect.Type) string {
	v := reflect.New(t).Interface()
	strict, err := sigsjson.UnmarshalStrict(raw, v)
	if err != nil {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	var msgs []string
	for _, e := range strict {
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "; ")
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
