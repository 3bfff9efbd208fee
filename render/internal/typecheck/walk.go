package typecheck

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/render/internal/jsonfields"
)

// Path is where a value is in a config, such as
// spec.meshConfig.defaultServiceExportTo[0]. It is turned into text only
// when asked, so walking a large config costs no strings.
type Path struct{ n *pathNode }

// String is the path as errors print it.
func (p Path) String() string { return p.n.String() }

// Root is the path of a whole document, or of the value at path.
func Root(path string) Path { return Path{&pathNode{root: path}} }

// Item is the path of the i-th item of the list at p.
func (p Path) Item(i int) Path { return Path{p.n.item(i)} }

// Member is the path of the value under key in the mapping at p: a field
// (p.key) when key looks like a field name, else a map key (p[key]).
func (p Path) Member(key string) Path { return Path{p.n.member(key)} }

// Field is the name of the field the value is in, or is an item or entry
// of: patch for spec.overlays[0].patch, annotations for
// spec.ingress.service.annotations[a]; "" at the root.
func (p Path) Field() string {
	n := p.n
	for n != nil && n.index {
		n = n.parent
	}
	if n == nil {
		return ""
	}
	return n.name
}

// Walk calls visit for every string, list and mapping in v, a value of a
// config type, with its path under root, as the config writes it: struct
// fields by their JSON names, list items and map keys in brackets. A value
// that encodes itself as JSON (a quantity, an int-or-string, a mesh
// config) is walked as the JSON it encodes to. When visit returns false
// for a list or mapping, what it holds is not walked.
func Walk(v any, root string, visit func(at Path, v reflect.Value) bool) {
	walk(reflect.ValueOf(v), &pathNode{root: root}, visit, false)
}

// walk visits v; generic is set inside JSON a value encoded itself to,
// where a mapping may be a message and its keys field names.
func walk(v reflect.Value, at *pathNode, visit func(Path, reflect.Value) bool, generic bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if m, ok := asMarshaler(v); ok {
		raw, err := m.MarshalJSON()
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var g any
		if dec.Decode(&g) == nil {
			walk(reflect.ValueOf(g), at, visit, true)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for _, f := range jsonfields.Of(v.Type()) {
			// A nil embedded pointer holds no fields to walk.
			if fv, ok := f.Value(v); ok {
				walk(fv, at.child(f.Name), visit, generic)
			}
		}
	case reflect.Map:
		if !visit(Path{at}, v) || v.Type().Key().Kind() != reflect.String {
			return
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			next := at.key(k.String())
			if generic {
				next = at.member(k.String())
			}
			walk(v.MapIndex(k), next, visit, generic)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 || !visit(Path{at}, v) {
			return
		}
		for i := range v.Len() {
			walk(v.Index(i), at.item(i), visit, generic)
		}
	case reflect.String:
		visit(Path{at}, v)
	}
}

// member is the step to key in a mapping whose type is not known: a
// field (.name) when key looks like one, as protobuf's field names do,
// else a map key ([key]).
func (p *pathNode) member(key string) *pathNode {
	if fieldName.MatchString(key) {
		return p.child(key)
	}
	return p.key(key)
}

var fieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var marshalerType = reflect.TypeFor[json.Marshaler]()

// asMarshaler is v as a json.Marshaler, when its type or, for an
// addressable v, its pointer type is one.
func asMarshaler(v reflect.Value) (json.Marshaler, bool) {
	switch {
	case !v.IsValid():
		return nil, false
	case v.Type().Implements(marshalerType):
		return v.Interface().(json.Marshaler), true
	case v.CanAddr() && v.Addr().Type().Implements(marshalerType):
		return v.Addr().Interface().(json.Marshaler), true
	}
	return nil, false
}
