// Package jsonfields lists the fields of a Go struct type as encoding/json
// sees them: the JSON name of each, the path to it through embedded
// structs, and its options (omitempty, omitzero, string).
//
// Three parts of meshrender read struct tags and must read them the way
// encoding/json does, or they drift from the bytes it writes and the
// documents it accepts: the fast YAML printer (render/yamlenc), which must
// print exactly what encoding/json marshals; the config type checker
// (render/internal/typecheck), which must accept exactly what strict
// decoding accepts; and the JSON Schema generator
// (render/schema/internal/gen), which must describe the same fields. The
// rules live here, once, rather than in yamlenc, because two of the three
// users have nothing to do with YAML and the package is no part of
// yamlenc's public API.
//
// The rules are encoding/json's (Go 1.26, and sigs.k8s.io/json's, its
// case-sensitive fork used for strict decoding):
//
//   - Unexported fields are left out, except embedded structs (or
//     pointers to them), whose exported fields are promoted.
//   - A field tagged json:"-" is left out; json:"-," names it "-".
//   - A tag name that is not a valid JSON key name counts as no name.
//   - An embedded struct without a tag name is inlined: its fields are
//     promoted, breadth first, each struct type explored once, at the
//     shallowest depth it appears. An embedded struct with a tag name is
//     an ordinary field. There is no ",inline" option: encoding/json
//     ignores it, and so does this package.
//   - Of several fields with one name, the shallowest wins; at equal
//     depth a tagged one beats an untagged one; otherwise they cancel out
//     and the name is not a field at all.
//   - ",string" quotes only booleans, numbers and strings; on other
//     types it is ignored.
package jsonfields

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Field is one JSON field of a struct.
type Field struct {
	// Name is the field's JSON key.
	Name string
	// Index is the path to the field from the struct, through embedded
	// structs, as reflect.Type.FieldByIndex takes it. A path through an
	// embedded pointer goes through the struct it points to (see Value).
	Index []int
	// Type is the field's Go type as declared.
	Type reflect.Type
	// GoName is the field's Go name.
	GoName string
	// Tagged says the name comes from the json tag.
	Tagged bool
	// OmitEmpty and OmitZero are the tag's omitempty and omitzero.
	OmitEmpty, OmitZero bool
	// Quoted says the value is written as a JSON string (the tag's
	// ",string" on a boolean, number or string).
	Quoted bool

	isZero func(reflect.Value) bool
}

// fields is what the cache holds for one struct type.
type fields struct {
	list   []Field
	byName map[string]int
}

var cache sync.Map // reflect.Type -> *fields

// Of returns the JSON fields of t, a struct type, in the order
// encoding/json writes them (by Index). The slice is shared: callers must
// not change it.
func Of(t reflect.Type) []Field {
	return cached(t).list
}

// Lookup returns the field named name, matched exactly as strict decoding
// matches keys.
func Lookup(t reflect.Type, name string) (*Field, bool) {
	fs := cached(t)
	i, ok := fs.byName[name]
	if !ok {
		return nil, false
	}
	return &fs.list[i], true
}

func cached(t reflect.Type) *fields {
	if t.Kind() != reflect.Struct {
		panic("jsonfields: " + t.String() + " is not a struct")
	}
	if fs, ok := cache.Load(t); ok {
		return fs.(*fields)
	}
	list := typeFields(t)
	fs := &fields{list: list, byName: make(map[string]int, len(list))}
	for i, f := range list {
		fs.byName[f.Name] = i
	}
	actual, _ := cache.LoadOrStore(t, fs)
	return actual.(*fields)
}

// Value returns the field's value in v, a value of the struct type, or
// false when an embedded pointer on the way is nil: encoding/json leaves
// such fields out.
func (f *Field) Value(v reflect.Value) (reflect.Value, bool) {
	for _, i := range f.Index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// Omitted says whether encoding/json leaves the field out for its value
// v: omitempty and the value is empty, or omitzero and it is zero (by its
// IsZero method when it has one).
func (f *Field) Omitted(v reflect.Value) bool {
	if f.OmitEmpty && isEmptyValue(v) {
		return true
	}
	if !f.OmitZero {
		return false
	}
	if f.isZero != nil {
		return f.isZero(v)
	}
	return v.IsZero()
}

// isEmptyValue is encoding/json's: false, 0, a nil pointer or interface,
// and an empty array, slice, map or string.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

type isZeroer interface{ IsZero() bool }

var isZeroerType = reflect.TypeFor[isZeroer]()

// zeroFunc is how omitzero tells a zero value of t when t has an IsZero
// method, or nil for reflect's zero. Nil pointers and interfaces are zero
// without calling the method.
func zeroFunc(t reflect.Type) func(reflect.Value) bool {
	switch {
	case t.Kind() == reflect.Interface && t.Implements(isZeroerType):
		return func(v reflect.Value) bool {
			return v.IsNil() ||
				v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil() ||
				v.Interface().(isZeroer).IsZero()
		}
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return func(v reflect.Value) bool {
			return v.IsNil() || v.Interface().(isZeroer).IsZero()
		}
	case t.Implements(isZeroerType):
		return func(v reflect.Value) bool {
			return v.Interface().(isZeroer).IsZero()
		}
	case reflect.PointerTo(t).Implements(isZeroerType):
		return func(v reflect.Value) bool {
			if !v.CanAddr() {
				c := reflect.New(v.Type()).Elem()
				c.Set(v)
				v = c
			}
			return v.Addr().Interface().(isZeroer).IsZero()
		}
	}
	return nil
}

// typeFields walks t and its embedded structs breadth first and resolves
// names, as encoding/json's typeFields does.
func typeFields(t reflect.Type) []Field {
	type embedded struct {
		typ   reflect.Type
		index []int
	}
	var found []Field
	next := []embedded{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		var current []embedded
		current, next = next, nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, e := range current {
			if visited[e.typ] {
				continue
			}
			visited[e.typ] = true
			for i := range e.typ.NumField() {
				sf := e.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validName(name) {
					name = ""
				}
				index := append(slices.Clip(e.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					nextCount[ft]++
					if nextCount[ft] == 1 {
						next = append(next, embedded{typ: ft, index: index})
					}
					continue
				}
				f := Field{
					Name:      name,
					Index:     index,
					Type:      sf.Type,
					GoName:    sf.Name,
					Tagged:    name != "",
					OmitEmpty: hasOption(opts, "omitempty"),
					OmitZero:  hasOption(opts, "omitzero"),
					Quoted:    hasOption(opts, "string") && quotable(ft.Kind()),
				}
				if f.Name == "" {
					f.Name = sf.Name
				}
				if f.OmitZero {
					f.isZero = zeroFunc(sf.Type)
				}
				found = append(found, f)
				if count[e.typ] > 1 {
					// The struct is embedded more than once at this
					// depth: a second copy makes the names cancel out.
					found = append(found, f)
				}
			}
		}
	}
	slices.SortFunc(found, func(a, b Field) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.Index), len(b.Index)); c != 0 {
			return c
		}
		if a.Tagged != b.Tagged {
			if a.Tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.Index, b.Index)
	})
	var out []Field
	for i := 0; i < len(found); {
		j := i + 1
		for j < len(found) && found[j].Name == found[i].Name {
			j++
		}
		// Sorted by depth, then tagged first: the first one wins unless
		// the second is as deep and as tagged.
		if j-i == 1 || len(found[i].Index) < len(found[i+1].Index) || found[i].Tagged != found[i+1].Tagged {
			out = append(out, found[i])
		}
		i = j
	}
	slices.SortFunc(out, func(a, b Field) int { return slices.Compare(a.Index, b.Index) })
	return out
}

// hasOption says whether the comma-separated options opts hold opt.
func hasOption(opts, opt string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// quotable says whether ",string" applies to a kind.
func quotable(k reflect.Kind) bool {
	switch k {
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.String:
		return true
	}
	return false
}

// validName is encoding/json's isValidTag: a tag name of letters, digits
// and punctuation other than backslash and quotes.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
