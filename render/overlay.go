package render

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"

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
	keep := make([]bool, len(typed))
	for i := range keep {
		keep[i] = true
	}
	for _, it := range items {
		keep[it.Ref] = false // deleted unless it comes back below
	}
	var p problems
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
