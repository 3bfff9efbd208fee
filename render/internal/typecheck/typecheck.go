// Package typecheck checks a config, decoded into generic JSON values,
// against the Go type it is meant for, before it is decoded into that
// type. Where encoding/json stops at the first misfit and names it in Go
// terms ("cannot unmarshal string into Go struct field Replicas.min of
// type int32"), Check reports every field that does not fit, by its path
// in the config (spec.ingress.replicas.min) and in the config's words
// (must be an integer, got "two").
package typecheck

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Problem is one value that does not fit its field.
type Problem struct {
	// Path is the field's path, such as spec.zones[2] or
	// spec.registry.digests[pilot].
	Path string
	// Message says what is wrong.
	Message string
}

// Check walks v, as encoding/json decodes into an interface with
// UseNumber (map[string]any, []any, string, json.Number, bool, nil),
// against t and returns every problem, in field order. path is the path of
// v itself; "" for a whole document.
func Check(v any, t reflect.Type, path string) []Problem {
	c := &checker{}
	c.value(v, t, &pathNode{root: path})
	return c.problems
}

// problems collects what Check and CheckMessage find. Both report
// through it, so a misfit reads the same in a Go field and in a protobuf
// one.
type problems []Problem

func (p *problems) add(at *pathNode, format string, args ...any) {
	path := at.String()
	if path == "" {
		path = "(document)"
	}
	*p = append(*p, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// mismatch reports a value of the wrong kind.
func (p *problems) mismatch(at *pathNode, want string, got any) {
	p.add(at, "must be %s, got %s", want, Describe(got))
}

// outOfRange reports an integer, got, that does not fit in bits.
func (p *problems) outOfRange(at *pathNode, got any, bits int, signed bool) {
	if signed {
		p.add(at, "%s does not fit: it must be between %d and %d", Describe(got), int64(-1)<<(bits-1), int64(1)<<(bits-1)-1)
	} else {
		p.add(at, "%s does not fit: it must be between 0 and %d", Describe(got), uint64(math.MaxUint64)>>(64-bits))
	}
}

type checker struct {
	problems
}

var (
	quantityType    = reflect.TypeFor[resource.Quantity]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

func (c *checker) value(v any, t reflect.Type, at *pathNode) {
	if v == nil {
		return // null leaves a field as it is, as encoding/json does
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch md := ProtoJSONDescriptor(t); {
	case t == quantityType:
		c.quantity(v, at)
		return
	case md != nil:
		// Before the Unmarshaler case: a holder of a message unmarshals
		// with protojson, which stops at the first error.
		c.problems = append(c.problems, CheckMessage(v, md, at.String())...)
		return
	case reflect.PointerTo(t).Implements(unmarshalerType):
		c.unmarshaler(v, t, at)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		c.object(v, t, at)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			c.mismatch(at, "a mapping", v)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			c.value(m[k], t.Elem(), at.key(k))
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			if _, ok := v.(string); !ok {
				c.mismatch(at, "a base64 string", v)
			}
			return
		}
		list, ok := v.([]any)
		if !ok {
			c.mismatch(at, "a list", v)
			return
		}
		for i, item := range list {
			c.value(item, t.Elem(), at.item(i))
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			c.mismatch(at, "a string", v)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			c.mismatch(at, "true or false", v)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.integer(v, at, t.Bits(), true)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.integer(v, at, t.Bits(), false)
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			c.mismatch(at, "a number", v)
		}
	case reflect.Interface:
		// Anything goes.
	default:
		c.add(at, "cannot be set in a config")
	}
}

// object checks a mapping against a struct's JSON fields: every key must
// be a field (matched exactly, case included, as strict decoding does).
func (c *checker) object(v any, t reflect.Type, at *pathNode) {
	m, ok := v.(map[string]any)
	if !ok {
		c.mismatch(at, "a mapping", v)
		return
	}
	fields := jsonFields(t)
	known := map[string]bool{}
	for _, f := range fields {
		known[f.name] = true
		if fv, ok := m[f.name]; ok {
			c.value(fv, f.typ, at.child(f.name))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !known[k] {
			c.add(at.child(k), "unknown field")
		}
	}
}

type jsonField struct {
	name  string
	typ   reflect.Type
	index []int // for reflect.Value.FieldByIndex
}

// jsonFields lists a struct's JSON fields in declaration order, with the
// fields of inlined and embedded structs in their place.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	taken := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		inline := strings.Contains(","+opts+",", ",inline,") || name == "" && f.Anonymous
		if inline {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for _, inner := range jsonFields(ft) {
					if !taken[inner.name] {
						taken[inner.name] = true
						inner.index = append([]int{i}, inner.index...)
						out = append(out, inner)
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !taken[name] {
			taken[name] = true
			out = append(out, jsonField{name, f.Type, []int{i}})
		}
	}
	return out
}

func (c *checker) integer(v any, at *pathNode, bits int, signed bool) {
	n, ok := v.(json.Number)
	if !ok {
		c.mismatch(at, "an integer", v)
		return
	}
	if signed {
		_, err := strconv.ParseInt(string(n), 10, bits)
		if err == nil {
			return
		}
		if isRange(err) {
			c.outOfRange(at, n, bits, signed)
			return
		}
	} else {
		_, err := strconv.ParseUint(string(n), 10, bits)
		if err == nil {
			return
		}
		if _, serr := strconv.ParseInt(string(n), 10, 64); isRange(err) || serr == nil || isRange(serr) {
			c.outOfRange(at, n, bits, signed)
			return
		}
	}
	c.add(at, "must be a whole number, got %s", n)
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (c *checker) quantity(v any, at *pathNode) {
	var s string
	switch q := v.(type) {
	case string:
		s = q
	case json.Number:
		s = string(q)
	default:
		c.mismatch(at, "a quantity such as 500m or 2Gi", v)
		return
	}
	if _, err := resource.ParseQuantity(s); err != nil {
		c.add(at, "%s is not a quantity such as 500m or 2Gi", Quote(s))
	}
}

// unmarshaler checks a value of a type that decodes itself by decoding
// it, and reports the type's own error.
func (c *checker) unmarshaler(v any, t reflect.Type, at *pathNode) {
	raw, err := json.Marshal(v)
	if err != nil {
		c.add(at, "%v", err)
		return
	}
	if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
		c.add(at, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// Describe names a JSON value the way an error message shows it: a short
// quoted string, a number, true or false, a list or a mapping.
func Describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return Quote(x)
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// MaxShown is how much of a value an error message shows: longer values
// are cut to their first MaxShown bytes.
const MaxShown = 128

// Quote quotes s for an error message, shortened to its first characters
// when it is long, so a huge value never floods the output.
func Quote(s string) string {
	if len(s) <= MaxShown {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(Prefix(s)), len(s))
}

// Prefix is the part of s an error message shows: all of it, or its first
// characters when it is long.
func Prefix(s string) string { return PrefixOf(s, MaxShown) }

// PrefixOf is s, or its first characters when it is longer than n bytes,
// never cutting a character in two.
func PrefixOf(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
