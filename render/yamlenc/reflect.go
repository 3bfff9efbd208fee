package yamlenc

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/meshrender/meshrender/render/internal/jsonfields"
)

// AppendManifest appends v, a typed Kubernetes object, to dst as YAML. The
// output is exactly Manifest(json.Marshal(v)): the same sorted keys,
// quoting and dropped fields. It walks v with encoders compiled once per
// type instead of going through JSON text, which is several times faster
// and allocates little; values that define their own JSON form
// (json.Marshaler, such as resource.Quantity) are marshalled and printed
// through the JSON path.
func AppendManifest(dst []byte, v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return dst, fmt.Errorf("yamlenc: cannot print a nil %T as a manifest", v)
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return dst, fmt.Errorf("yamlenc: a manifest must be a struct, got %T", v)
	}
	if !rv.CanAddr() {
		c := reflect.New(rv.Type()).Elem()
		c.Set(rv)
		rv = c
	}
	e := &reflectEncoder{emitter: emitter{buf: dst}}
	start := len(dst)
	se, ok := typeEncoder(rv.Type()).(*structEncoder)
	if !ok || e.topLevel(se, rv) != nil {
		// Anything the walker does not know how to print goes the slow,
		// general way.
		raw, err := json.Marshal(v)
		if err != nil {
			return dst, err
		}
		return Manifest(dst[:start], raw)
	}
	return e.buf, nil
}

type reflectEncoder struct {
	emitter
}

var errUnsupported = fmt.Errorf("unsupported")

// result says what a value turned out to be once written.
type result int

const (
	wrote        result = iota
	null                // nothing was kept; the caller drops the key
	emptyMapping        // written as {}
)

// encoder prints values of one type.
type encoder interface {
	// value writes what follows "key:" or "-", like emitter.value: a
	// space and a scalar, or a newline and a nested block.
	value(e *reflectEncoder, v reflect.Value, seqInd, mapInd int) (result, error)
	// item writes a list item that starts on the dash line (a non-empty
	// mapping or list) and reports false, writing nothing, for any other
	// value, which the caller then writes with value.
	item(e *reflectEncoder, v reflect.Value, ind int) (bool, error)
}

// noItem is the item method of encoders whose values never start on the
// dash line.
type noItem struct{}

func (noItem) item(*reflectEncoder, reflect.Value, int) (bool, error) { return false, nil }

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	encoderCache      sync.Map // reflect.Type -> encoder
)

// typeEncoder returns the encoder of t, compiling it on first use.
func typeEncoder(t reflect.Type) encoder {
	if enc, ok := encoderCache.Load(t); ok {
		return enc.(encoder)
	}
	// Recursive types meet themselves while compiling; they get a
	// forwarder that waits for the real encoder.
	var wg sync.WaitGroup
	var real encoder
	wg.Add(1)
	fwd, loaded := encoderCache.LoadOrStore(t, &forwardEncoder{get: func() encoder { wg.Wait(); return real }})
	if loaded {
		return fwd.(encoder)
	}
	real = newEncoder(t)
	wg.Done()
	encoderCache.Store(t, real)
	return real
}

type forwardEncoder struct{ get func() encoder }

func (f *forwardEncoder) value(e *reflectEncoder, v reflect.Value, s, m int) (result, error) {
	return f.get().value(e, v, s, m)
}
func (f *forwardEncoder) item(e *reflectEncoder, v reflect.Value, ind int) (bool, error) {
	return f.get().item(e, v, ind)
}

func newEncoder(t reflect.Type) encoder {
	if t.Implements(marshalerType) || t.Implements(textMarshalerType) {
		return jsonEncoder{}
	}
	if t.Kind() != reflect.Pointer {
		if pt := reflect.PointerTo(t); pt.Implements(marshalerType) || pt.Implements(textMarshalerType) {
			// encoding/json calls a pointer method only on addressable
			// values.
			return &addrJSONEncoder{other: newPlainEncoder(t)}
		}
	}
	return newPlainEncoder(t)
}

func newPlainEncoder(t reflect.Type) encoder {
	switch t.Kind() {
	case reflect.Pointer:
		return &pointerEncoder{elem: typeEncoder(t.Elem())}
	case reflect.Interface:
		return interfaceEncoder{}
	case reflect.Struct:
		return newStructEncoder(t)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Key().Implements(textMarshalerType) {
			return unsupportedEncoder{}
		}
		return &mapEncoder{elem: typeEncoder(t.Elem()), stringMap: t == reflect.TypeFor[map[string]string]()}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(marshalerType) && !reflect.PointerTo(t.Elem()).Implements(textMarshalerType) {
			return bytesEncoder{}
		}
		return &listEncoder{elem: typeEncoder(t.Elem()), nilable: true}
	case reflect.Array:
		return &listEncoder{elem: typeEncoder(t.Elem())}
	case reflect.String:
		return stringEncoder{}
	case reflect.Bool:
		return boolEncoder
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intEncoder
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintEncoder
	case reflect.Float32, reflect.Float64:
		return jsonEncoder{} // encoding/json's float formatting
	}
	return unsupportedEncoder{}
}

type unsupportedEncoder struct{ noItem }

func (unsupportedEncoder) value(*reflectEncoder, reflect.Value, int, int) (result, error) {
	return wrote, errUnsupported
}

// jsonEncoder prints a value that defines its own JSON form.
type jsonEncoder struct{ noItem }

func (jsonEncoder) value(e *reflectEncoder, v reflect.Value, seqInd, mapInd int) (result, error) {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return null, nil
	}
	return e.viaJSON(v.Interface(), seqInd, mapInd)
}

// addrJSONEncoder is for types whose pointer defines the JSON form.
type addrJSONEncoder struct {
	other encoder
}

func (a *addrJSONEncoder) value(e *reflectEncoder, v reflect.Value, seqInd, mapInd int) (result, error) {
	if v.CanAddr() {
		return e.viaJSON(v.Addr().Interface(), seqInd, mapInd)
	}
	return a.other.value(e, v, seqInd, mapInd)
}

func (a *addrJSONEncoder) item(e *reflectEncoder, v reflect.Value, ind int) (bool, error) {
	if v.CanAddr() {
		return false, nil
	}
	return a.other.item(e, v, ind)
}

func (e *reflectEncoder) viaJSON(v any, seqInd, mapInd int) (result, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return wrote, err
	}
	p := parser{src: raw}
	n, err := p.value()
	if err != nil {
		return wrote, err
	}
	n = dropNulls(n)
	if n.kind == kindNull {
		return null, nil
	}
	e.emitter.value(n, seqInd, mapInd)
	if n.kind == kindObject && len(n.members) == 0 {
		return emptyMapping, nil
	}
	return wrote, nil
}

type pointerEncoder struct{ elem encoder }

func (p *pointerEncoder) value(e *reflectEncoder, v reflect.Value, seqInd, mapInd int) (result, error) {
	if v.IsNil() {
		return null, nil
	}
	return p.elem.value(e, v.Elem(), seqInd, mapInd)
}

func (p *pointerEncoder) item(e *reflectEncoder, v reflect.Value, ind int) (bool, error) {
	if v.IsNil() {
		return false, nil
	}
	return p.elem.item(e, v.Elem(), ind)
}

type interfaceEncoder struct{}

func (interfaceEncoder) value(e *reflectEncoder, v reflect.Value, seqInd, mapInd int) (result, error) {
	if v.IsNil() {
		return null, nil
	}
	el := v.Elem()
	return typeEncoder(el.Type()).value(e, el, seqInd, mapInd)
}

func (interfaceEncoder) item(e *reflectEncoder, v reflect.Value, ind int) (bool, error) {
	if v.IsNil() {
		return false, nil
	}
	el := v.Elem()
	return typeEncoder(el.Type()).item(e, el, ind)
}

type stringEncoder struct{ noItem }

func (stringEncoder) value(e *reflectEncoder, v reflect.Value, _, mapInd int) (result, error) {
	s := v.String()
	if blockable(s) {
		e.block(s, mapInd)
		return wrote, nil
	}
	e.buf = append(e.buf, ' ')
	e.scalarString(s)
	e.buf = append(e.buf, '\n')
	return wrote, nil
}

// scalarEncoder prints a boolean or an integer the way encoding/json does.
type scalarEncoder struct {
	noItem
	appendTo func([]byte, reflect.Value) []byte
}

func (s scalarEncoder) value(e *reflectEncoder, v reflect.Value, _, _ int) (result, error) {
	e.buf = append(e.buf, ' ')
	e.buf = s.appendTo(e.buf, v)
	e.buf = append(e.buf, '\n')
	return wrote, nil
}

var (
	boolEncoder = scalarEncoder{appendTo: func(b []byte, v reflect.Value) []byte { return strconv.AppendBool(b, v.Bool()) }}
	intEncoder  = scalarEncoder{appendTo: func(b []byte, v reflect.Value) []byte { return strconv.AppendInt(b, v.Int(), 10) }}
	uintEncoder = scalarEncoder{appendTo: func(b []byte, v reflect.Value) []byte { return strconv.AppendUint(b, v.Uint(), 10) }}
)

// bytesEncoder prints []byte as base64, as encoding/json does.
type bytesEncoder struct{ noItem }

func (bytesEncoder) value(e *reflectEncoder, v reflect.Value, _, _ int) (result, error) {
	if v.IsNil() {
		return null, nil
	}
	e.buf = append(e.buf, ' ')
	e.scalarString(base64.StdEncoding.EncodeToString(v.Bytes()))
	e.buf = append(e.buf, '\n')
	return wrote, nil
}

type listEncoder struct {
	elem    encoder
	nilable bool
}

func (l *listEncoder) value(e *reflectEncoder, v reflect.Value, seqInd, _ int) (result, error) {
	if l.nilable && v.IsNil() {
		return null, nil
	}
	if v.Len() == 0 {
		e.buf = append(e.buf, " []\n"...)
		return wrote, nil
	}
	e.buf = append(e.buf, '\n')
	return wrote, l.sequence(e, v, seqInd)
}

func (l *listEncoder) item(e *reflectEncoder, v reflect.Value, ind int) (bool, error) {
	if l.nilable && v.IsNil() || v.Len() == 0 {
		return false, nil
	}
	e.buf = append(e.buf, '\n')
	return true, l.sequence(e, v, ind+2)
}

// sequence writes list items like emitter.sequence.
func (l *listEncoder) sequence(e *reflectEncoder, v reflect.Value, ind int) error {
	for i := range v.Len() {
		it := v.Index(i)
		e.indent(ind)
		e.buf = append(e.buf, '-')
		done, err := l.elem.item(e, it, ind)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		r, err := l.elem.value(e, it, ind+2, ind+2)
		if err != nil {
			return err
		}
		if r == null {
			e.buf = append(e.buf, " null\n"...)
		}
	}
	return nil
}

type mapEncoder struct {
	elem      encoder
	stringMap bool
}

func (m *mapEncoder) value(e *reflectEncoder, v reflect.Value, _, mapInd int) (result, error) {
	if v.IsNil() {
		return null, nil
	}
	return e.nestedMapping(m, v, mapInd)
}

func (m *mapEncoder) item(e *reflectEncoder, v reflect.Value, ind int) (bool, error) {
	if v.IsNil() || v.Len() == 0 {
		return false, nil
	}
	return true, e.inlineMapping(m, v, ind)
}

// mappingWriter writes the entries of a mapping, the first one without
// indentation when first is set, and returns how many it wrote.
type mappingWriter interface {
	entries(e *reflectEncoder, v reflect.Value, ind int, first bool) (int, error)
}

// nestedMapping writes a mapping on the lines after its key, or {} when
// it has no entries.
func (e *reflectEncoder) nestedMapping(m mappingWriter, v reflect.Value, ind int) (result, error) {
	mark := len(e.buf)
	e.buf = append(e.buf, '\n')
	n, err := m.entries(e, v, ind, false)
	if err != nil {
		return wrote, err
	}
	if n == 0 {
		e.buf = append(e.buf[:mark], " {}\n"...)
		return emptyMapping, nil
	}
	return wrote, nil
}

// inlineMapping writes a mapping that starts on a list item's dash line,
// or {} when it has no entries.
func (e *reflectEncoder) inlineMapping(m mappingWriter, v reflect.Value, ind int) error {
	mark := len(e.buf)
	e.buf = append(e.buf, ' ')
	n, err := m.entries(e, v, ind+2, true)
	if n == 0 && err == nil {
		e.buf = append(e.buf[:mark], " {}\n"...)
	}
	return err
}

// entries writes a map's entries in key order and returns how many.
func (m *mapEncoder) entries(e *reflectEncoder, v reflect.Value, ind int, first bool) (int, error) {
	if m.stringMap {
		return e.stringMap(v.Interface().(map[string]string), ind, first), nil
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	written := 0
	var key []byte
	if !slices.ContainsFunc(keys, func(k reflect.Value) bool { return !utf8.ValidString(k.String()) }) {
		for _, k := range keys {
			key = printKey(key[:0], k.String())
			r, err := e.member(key, m.elem, v.MapIndex(k), ind, first && written == 0)
			if err != nil {
				return written, err
			}
			if r != null {
				written++
			}
		}
		return written, nil
	}
	raw := make([]string, len(keys))
	byName := make(map[string]reflect.Value, len(keys))
	for i, k := range keys {
		raw[i] = k.String()
		byName[raw[i]] = k
	}
	_, groups := jsonKeyOrder(raw)
	for _, group := range groups {
		for i := len(group) - 1; i >= 0; i-- {
			key = printKey(key[:0], group[i])
			r, err := e.member(key, m.elem, v.MapIndex(byName[group[i]]), ind, first && written == 0)
			if err != nil {
				return written, err
			}
			if r != null {
				written++
				break
			}
		}
	}
	return written, nil
}

// jsonKeyOrder sorts map keys the way printing encoding/json's output
// orders them and, when some are not UTF-8, groups the ones that become
// one key. encoding/json writes each byte that is not UTF-8 as U+FFFD, so
// such keys sort by that text, and keys that become the same text are one
// key when the JSON is read: of each group, in encoding/json's order, the
// last one whose value is not null wins. Keys that are all UTF-8, the
// usual case, just sort, and groups is nil: each key is a group of its own.
func jsonKeyOrder(keys []string) (sorted []string, groups [][]string) {
	slices.Sort(keys)
	if !slices.ContainsFunc(keys, func(k string) bool { return !utf8.ValidString(k) }) {
		return keys, nil
	}
	type key struct{ raw, text string }
	ks := make([]key, len(keys))
	for i, k := range keys {
		ks[i] = key{k, jsonText(k)}
	}
	slices.SortStableFunc(ks, func(a, b key) int { return strings.Compare(a.text, b.text) })
	for i, k := range ks {
		if i > 0 && ks[i-1].text == k.text {
			groups[len(groups)-1] = append(groups[len(groups)-1], k.raw)
			continue
		}
		groups = append(groups, []string{k.raw})
	}
	return keys, groups
}

// jsonText is s as encoding/json writes it: each byte that does not start
// a valid UTF-8 sequence becomes U+FFFD.
func jsonText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// stringMap writes a map[string]string, the labels and annotations on
// every object, without reflection: that halves the allocations of
// BenchmarkRender100Gateways.
func (e *reflectEncoder) stringMap(m map[string]string, ind int, first bool) int {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	keys, groups := jsonKeyOrder(keys)
	if groups != nil {
		// Strings are never null: the last key of a group wins.
		keys = keys[:0]
		for _, g := range groups {
			keys = append(keys, g[len(g)-1])
		}
	}
	for i, k := range keys {
		if i > 0 || !first {
			e.indent(ind)
		}
		if len(k) > maxImplicitKey {
			e.buf = append(e.buf, "? "...)
			e.scalarString(k)
			e.buf = append(e.buf, '\n')
			e.indent(ind)
		} else {
			e.scalarString(k)
		}
		e.buf = append(e.buf, ':')
		e.emitter.value(node{kind: kindString, text: m[k]}, ind, ind+2)
	}
	return len(keys)
}

// structEncoder prints a struct's JSON fields in key order.
type structEncoder struct {
	fields []field
}

// newStructEncoder prints the fields jsonfields lists, sorted by name as
// printed mappings are.
func newStructEncoder(t reflect.Type) encoder {
	jf := jsonfields.Of(t)
	se := &structEncoder{fields: make([]field, len(jf))}
	for i := range jf {
		if jf[i].Quoted {
			// Quoted numbers are rare enough to leave to encoding/json.
			return unsupportedEncoder{}
		}
		se.fields[i] = field{Field: &jf[i], key: printKey(nil, jf[i].Name), enc: typeEncoder(jf[i].Type)}
	}
	slices.SortFunc(se.fields, func(a, b field) int { return strings.Compare(a.Name, b.Name) })
	return se
}

func (s *structEncoder) value(e *reflectEncoder, v reflect.Value, _, mapInd int) (result, error) {
	return e.nestedMapping(s, v, mapInd)
}

func (s *structEncoder) item(e *reflectEncoder, v reflect.Value, ind int) (bool, error) {
	return true, e.inlineMapping(s, v, ind)
}

// entries writes the struct's fields and returns how many it wrote.
func (s *structEncoder) entries(e *reflectEncoder, v reflect.Value, ind int, first bool) (int, error) {
	written := 0
	for i := range s.fields {
		f := &s.fields[i]
		fv, ok := f.Value(v)
		if !ok || f.Omitted(fv) {
			continue
		}
		r, err := e.member(f.key, f.enc, fv, ind, first && written == 0)
		if err != nil {
			return written, err
		}
		if r != null {
			written++
		}
	}
	return written, nil
}

// topLevel writes a manifest's fields, leaving out status and an empty
// spec as Manifest does.
func (e *reflectEncoder) topLevel(s *structEncoder, v reflect.Value) error {
	written := 0
	for i := range s.fields {
		f := &s.fields[i]
		if f.Name == "status" {
			continue
		}
		fv, ok := f.Value(v)
		if !ok || f.Omitted(fv) {
			continue
		}
		mark := len(e.buf)
		r, err := e.member(f.key, f.enc, fv, 0, false)
		if err != nil {
			return err
		}
		if f.Name == "spec" && r == emptyMapping {
			e.buf = e.buf[:mark]
			continue
		}
		if r != null {
			written++
		}
	}
	if written == 0 {
		return errUnsupported
	}
	return nil
}

// member writes "key:" and the value at indentation ind, or nothing when
// the value is null. first means the line is already indented (after
// "- "). key is the printed key, colon included (see printKey).
func (e *reflectEncoder) member(key []byte, enc encoder, v reflect.Value, ind int, first bool) (result, error) {
	mark := len(e.buf)
	if !first {
		e.indent(ind)
	}
	if key[0] == '?' {
		// An explicit key: its value goes on a line of its own.
		e.buf = append(e.buf, key[:len(key)-1]...)
		e.buf = append(e.buf, '\n')
		e.indent(ind)
		e.buf = append(e.buf, ':')
	} else {
		e.buf = append(e.buf, key...)
	}
	r, err := enc.value(e, v, ind, ind+2)
	if r == null {
		e.buf = e.buf[:mark]
	}
	return r, err
}

// printKey appends a mapping key as printed, colon included. Keys longer
// than YAML allows for implicit keys get the explicit form "? key" with a
// trailing ":" that member moves to the next line.
func printKey(dst []byte, key string) []byte {
	e := emitter{buf: dst}
	if len(key) > maxImplicitKey {
		e.buf = append(e.buf, "? "...)
	}
	e.scalarString(key)
	return append(e.buf, ':')
}

// field is one JSON field of a struct, with its printed key and the
// encoder of its type.
type field struct {
	*jsonfields.Field
	key []byte
	enc encoder
}
