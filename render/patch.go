package render

import (
	"errors"
	"reflect"
	"slices"
	"strings"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/crds"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// emitPatched is emit for a mesh with overlays: every object is printed,
// those a patch may select are patched as kyaml nodes and printed again,
// and everything is put in install order after patching, since a patch
// may rename an object.
func emitPatched(m *Mesh, sink func(Object) error) error {
	set, errs := overlays.Compile(m.Spec.Overlays)
	if len(errs) > 0 {
		return overlayErrors(errs)
	}
	typed, err := typedObjects(m)
	if err != nil {
		return err
	}
	goTypes := map[objects.Key]reflect.Type{}
	for _, co := range typed {
		goTypes[co.key()] = reflect.TypeOf(co.obj).Elem()
	}
	var objs []Object
	for _, c := range crds.All() {
		objs = append(objs, crdObject(c)) // read-only, never patched in place
	}
	var s slab
	if err := encodeInOrder(typed, func(o Object) error {
		o.YAML = s.copy(o.YAML)
		objs = append(objs, o)
		return nil
	}); err != nil {
		return err
	}
	var items []overlays.Item
	for i, o := range objs {
		if !set.MayMatch(o.identity()) {
			continue
		}
		node, err := yaml.Parse(string(o.YAML))
		if err != nil {
			return err
		}
		items = append(items, overlays.Item{Node: node, Ref: i})
	}
	patched, err := set.Apply(items)
	if err != nil {
		var list []*overlays.Error
		for _, e := range unwrapAll(err) {
			var oe *overlays.Error
			if !errors.As(e, &oe) {
				return err
			}
			list = append(list, oe)
		}
		return overlayErrors(list)
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
			return err
		}
		before := o.key()
		meta, err := it.Node.GetMeta()
		if err != nil {
			return err
		}
		o.APIVersion, o.Kind, o.Namespace, o.Name = meta.APIVersion, meta.Kind, meta.Namespace, meta.Name
		if t, ok := goTypes[before]; ok && o.Kind == before.Kind && o.APIVersion == before.APIVersion {
			if msg := strictCheck(raw, t); msg != "" {
				p.add("spec.overlays", "the patched %s %s no longer fits its API: %s", o.Kind, namespacedName(o.Namespace, o.Name), msg)
				continue
			}
		}
		if o.YAML, err = yamlenc.Manifest(nil, raw); err != nil {
			return err
		}
		keep[it.Ref] = true
	}
	if err := p.err(); err != nil {
		return err
	}
	var out []Object
	for i, o := range objs {
		if keep[i] {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b Object) int { return objects.Compare(a.key(), b.key()) })
	for _, o := range out {
		if err := sink(o); err != nil {
			return err
		}
	}
	return nil
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
		p.add(overlayField(e), "%s", overlayMessage(e))
	}
	return p.err()
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func namespacedName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func crdObject(c crds.CRD) Object {
	return Object{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition", Name: c.Name, Component: ComponentCRDs, YAML: c.YAML}
}

// identity is what an overlay target selects on.
func (o *Object) identity() overlays.Identity {
	group, version, ok := strings.Cut(o.APIVersion, "/")
	if !ok {
		group, version = "", o.APIVersion
	}
	return overlays.Identity{Group: group, Version: version, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace}
}
