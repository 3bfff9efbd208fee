package typecheck

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// CheckMessage walks v, decoded as for Check, against a protobuf message
// in its JSON form and returns every problem: for each message, its
// fields' in field order, then its unknown keys'. It accepts exactly what
// protojson.Unmarshal (without DiscardUnknown) accepts for a message of
// that type: field names in lowerCamelCase or as in the .proto file (one
// of the two), null for an unset field, integers as numbers (1e3 and 2.0
// too) or strings holding one, enum values by name or number, the
// well-known types in their JSON forms (a Duration as "1.5s", a BoolValue
// as a bool, a Struct as any mapping, an Any with its "@type"), and so
// on. Where protojson stops at the first error, CheckMessage names each
// one by its path: path is the path of v itself ("" for a whole
// document), then field names as written, [i] for list items and [key]
// for map entries.
//
// v itself must be the message: null is not, unlike for a field, whose
// null leaves it unset. Message types for google.protobuf.Any are looked
// up in protoregistry.GlobalTypes, as protojson does by default.
//
// protojson's own quirks are kept, so that the two agree: null is an error
// for a list of google.protobuf.Value (but unset for a map of them); map
// keys parse as strconv does (an int key may be "+1" or "01", and "1" and
// "01" are then the same key); an integer whose literal needs more than
// 20 digits is refused even if its value fits (0.00000000000000000000001e23);
// required fields inside an Any are not checked. Only what a decoded
// value can show is checked: a key twice in one JSON object, invalid UTF-8
// and unpaired surrogate escapes are for the JSON decoder to refuse
// (protojson refuses all three; encoding/json keeps the last of the keys
// and replaces the bad characters).
func CheckMessage(v any, md protoreflect.MessageDescriptor, path string) []Problem {
	return checkMessage(v, md, path, MaxMessageDepth)
}

// checkMessage is CheckMessage with a recursion limit of its own, as
// protojson.UnmarshalOptions.RecursionLimit.
func checkMessage(v any, md protoreflect.MessageDescriptor, path string, limit int) []Problem {
	c := &protoChecker{limit: limit}
	c.message(v, md, &pathNode{root: path}, limit, false)
	return c.problems
}

// ProtoJSON is implemented by a Go type that holds a protobuf message in
// its protojson form, such as a config field kept as raw JSON for
// protojson.Unmarshal. A value meant for such a type is checked with
// CheckMessage against the descriptor it names, which must not depend on
// the receiver's contents (it is called on a new, zero value).
type ProtoJSON interface {
	ProtoJSONDescriptor() protoreflect.MessageDescriptor
}

var protoJSONType = reflect.TypeFor[ProtoJSON]()

// ProtoJSONDescriptor returns the message descriptor of a ProtoJSON type
// (t or a pointer to it implements ProtoJSON; pointers to t are taken as
// t), or nil for any other type.
func ProtoJSONDescriptor(t reflect.Type) protoreflect.MessageDescriptor {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !reflect.PointerTo(t).Implements(protoJSONType) {
		return nil
	}
	return reflect.New(t).Interface().(ProtoJSON).ProtoJSONDescriptor()
}

// MaxMessageDepth is how deeply CheckMessage lets messages nest: protojson's
// default recursion limit, counted as protojson counts it (every message,
// well-known types included, is one level), so that the two agree on every
// document. Input decoded by encoding/json nests at most 10000 levels too,
// so the walk is bounded whatever the input.
const MaxMessageDepth = protowire.DefaultRecursionLimit

// pathNode is one step of a path, built as the walk descends and turned
// into text only for a problem, so deep documents cost nothing extra.
type pathNode struct {
	parent *pathNode
	root   string // on the first node: the path it stands for
	name   string // a field name, or a list index or map key
	index  bool   // name is an index or key: [name]
}

func (p *pathNode) child(name string) *pathNode { return &pathNode{parent: p, name: name} }
func (p *pathNode) item(i int) *pathNode        { return p.key(strconv.Itoa(i)) }
func (p *pathNode) key(k string) *pathNode      { return &pathNode{parent: p, name: k, index: true} }

func (p *pathNode) String() string {
	var steps []*pathNode
	n := p
	for ; n.parent != nil; n = n.parent {
		steps = append(steps, n)
	}
	var b strings.Builder
	b.WriteString(n.root)
	for i := len(steps) - 1; i >= 0; i-- {
		switch s := steps[i]; {
		case s.index:
			b.WriteString("[" + s.name + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		}
	}
	return b.String()
}

type protoChecker struct {
	problems
	limit    int             // the recursion limit
	deepTold bool            // a value nests past it, said once
	heights  map[uintptr]int // nesting of the mappings and lists met so far
}

// message checks one message value, as protojson's unmarshalMessage: depth
// is the recursion budget left before this message takes its level.
// partial is set inside an Any, whose content protojson does not check
// for required fields.
func (c *protoChecker) message(v any, md protoreflect.MessageDescriptor, at *pathNode, depth int, partial bool) {
	depth--
	if depth < 0 {
		c.tooDeep(at)
		return
	}
	if wk := WellKnown(md); wk != "" {
		c.wellKnown(v, md, wk, at, depth)
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.mismatch(at, "a mapping", v)
		return
	}
	c.fields(m, md, at, depth, partial, false)
}

// tooDeep reports a message past the recursion limit: once, the first
// place, as deeper ones follow from it.
func (c *protoChecker) tooDeep(at *pathNode) {
	if !c.deepTold {
		c.deepTold = true
		c.add(at, "nests too deeply: messages may nest at most %d levels", c.limit)
	}
}

// fields checks an object's keys and values against md's fields. skipType
// leaves out the "@type" key of a message inside an Any.
func (c *protoChecker) fields(m map[string]any, md protoreflect.MessageDescriptor, at *pathNode, depth int, partial, skipType bool) {
	if ms, ok := md.(interface{ IsMessageSet() bool }); ok && ms.IsMessageSet() {
		c.add(at, "is a proto1 MessageSet, which has no JSON form")
		return
	}
	// Resolve each key as protojson does: "[full.name]" is an extension;
	// anything else the JSON name of a field, else its proto name.
	fields := md.Fields()
	byField := map[protoreflect.FieldDescriptor][]string{}
	var order []protoreflect.FieldDescriptor
	var badKeys [][2]string // key, problem: told after the fields
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if skipType && k == "@type" {
			continue
		}
		var fd protoreflect.FieldDescriptor
		if strings.HasPrefix(k, "[") && strings.HasSuffix(k, "]") {
			xt, err := protoregistry.GlobalTypes.FindExtensionByName(protoreflect.FullName(k[1 : len(k)-1]))
			switch {
			case err != nil && err != protoregistry.NotFound:
				badKeys = append(badKeys, [2]string{k, Quote(k[1:len(k)-1]) + " is not an extension"})
				continue
			case xt != nil:
				fd = xt.TypeDescriptor()
				if !md.ExtensionRanges().Has(fd.Number()) || fd.ContainingMessage().FullName() != md.FullName() {
					badKeys = append(badKeys, [2]string{k, fmt.Sprintf("extension %s does not extend %s", fd.FullName(), md.FullName())})
					continue
				}
			}
		} else {
			fd = fields.ByJSONName(k)
			if fd == nil {
				fd = fields.ByTextName(k)
			}
		}
		if fd == nil {
			badKeys = append(badKeys, [2]string{k, "unknown field"})
			continue
		}
		if _, seen := byField[fd]; !seen {
			order = append(order, fd)
		}
		byField[fd] = append(byField[fd], k)
	}
	slices.SortStableFunc(order, func(a, b protoreflect.FieldDescriptor) int {
		return fieldRank(a) - fieldRank(b)
	})
	oneofs := map[protoreflect.OneofDescriptor]string{}
	for _, fd := range order {
		keys := byField[fd]
		// Both names of one field: the JSON name sorts before the
		// proto name unless they share a prefix, so name them in the
		// order that reads best, the JSON name first.
		slices.SortFunc(keys, func(a, b string) int {
			if (a == fd.JSONName()) != (b == fd.JSONName()) {
				if a == fd.JSONName() {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		for i, k := range keys {
			seen := oneofs
			if i > 0 {
				c.add(at.child(k), "sets the same field as %s", keys[0])
				seen = nil // the field's oneof is told once
			}
			c.field(m[k], fd, at.child(k), depth, partial, seen, k)
		}
	}
	for _, bad := range badKeys {
		c.add(at.child(bad[0]), "%s", bad[1])
	}
	if partial {
		return
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Cardinality() != protoreflect.Required {
			continue
		}
		set := false
		for _, k := range byField[fd] {
			set = set || m[k] != nil || takesNull(fd)
		}
		if !set {
			c.add(at.child(fd.JSONName()), "is required")
		}
	}
}

// fieldRank orders fields as declared, extensions after them.
func fieldRank(fd protoreflect.FieldDescriptor) int {
	if fd.IsExtension() {
		return math.MaxInt32 + int(fd.Number())
	}
	return fd.Index()
}

// field checks the value of one field given under key.
func (c *protoChecker) field(v any, fd protoreflect.FieldDescriptor, at *pathNode, depth int, partial bool, oneofs map[protoreflect.OneofDescriptor]string, key string) {
	// null leaves a field unset, except where null is a value.
	if v == nil && !takesNull(fd) {
		return
	}
	switch {
	case fd.IsList():
		c.list(v, fd, at, depth, partial)
	case fd.IsMap():
		c.mapField(v, fd, at, depth, partial)
	default:
		if od := fd.ContainingOneof(); od != nil && oneofs != nil {
			if other, ok := oneofs[od]; ok {
				c.add(at, "cannot be set together with %s: only one of %s may be set", other, oneofMembers(od))
			} else {
				oneofs[od] = key
			}
		}
		c.singular(v, fd, at, depth, partial)
	}
}

// oneofMembers lists a oneof's fields by their JSON names.
func oneofMembers(od protoreflect.OneofDescriptor) string {
	var names []string
	for i := range od.Fields().Len() {
		names = append(names, od.Fields().Get(i).JSONName())
	}
	return orList(names)
}

func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// takesNull reports a field whose null is a value: a google.protobuf.Value
// or NullValue, singular or not (so a null list of Values is an error).
func takesNull(fd protoreflect.FieldDescriptor) bool {
	if md := fd.Message(); md != nil {
		return md.FullName() == "google.protobuf.Value"
	}
	if ed := fd.Enum(); ed != nil {
		return ed.FullName() == "google.protobuf.NullValue"
	}
	return false
}

func (c *protoChecker) singular(v any, fd protoreflect.FieldDescriptor, at *pathNode, depth int, partial bool) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		c.message(v, fd.Message(), at, depth, partial)
	default:
		c.scalar(v, fd, at)
	}
}

func (c *protoChecker) list(v any, fd protoreflect.FieldDescriptor, at *pathNode, depth int, partial bool) {
	items, ok := v.([]any)
	if !ok {
		c.mismatch(at, "a list", v)
		return
	}
	for i, item := range items {
		c.singular(item, fd, at.item(i), depth, partial)
	}
}

func (c *protoChecker) mapField(v any, fd protoreflect.FieldDescriptor, at *pathNode, depth int, partial bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.mismatch(at, "a mapping", v)
		return
	}
	c.mapEntries(m, fd.MapKey(), fd.MapValue(), at, depth, partial)
}

// mapEntries checks a map's keys, which protojson parses as the key type,
// and values. Keys that parse to the same key are duplicates.
func (c *protoChecker) mapEntries(m map[string]any, kd, vd protoreflect.FieldDescriptor, at *pathNode, depth int, partial bool) {
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		norm, ok := mapKey(k, kd.Kind())
		switch {
		case !ok:
			c.add(at.key(k), "key %s is not %s", Quote(k), keyKind(kd.Kind()))
		case seen[norm] != "":
			c.add(at.key(k), "is the same key as [%s]", seen[norm])
		default:
			seen[norm] = k
		}
		c.singular(m[k], vd, at.key(k), depth, partial)
	}
}

// mapKey parses a map key as protojson does, returning it in a normal
// form.
func mapKey(k string, kind protoreflect.Kind) (string, bool) {
	var err error
	var n any
	switch kind {
	case protoreflect.StringKind:
		return "s" + k, true
	case protoreflect.BoolKind:
		return k, k == "true" || k == "false"
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err = strconv.ParseInt(k, 10, 32)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err = strconv.ParseInt(k, 10, 64)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err = strconv.ParseUint(k, 10, 32)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err = strconv.ParseUint(k, 10, 64)
	default:
		return "", false
	}
	return fmt.Sprint(n), err == nil
}

func keyKind(kind protoreflect.Kind) string {
	switch kind {
	case protoreflect.BoolKind:
		return "true or false"
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return "a 32-bit integer"
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return "a 64-bit integer"
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return "a 32-bit unsigned integer"
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return "a 64-bit unsigned integer"
	}
	return "a " + kind.String()
}

// scalar checks a value of a non-message field (or list item, or map
// value), which protojson reads as one JSON value: null is an error here,
// but for google.protobuf.NullValue.
func (c *protoChecker) scalar(v any, fd protoreflect.FieldDescriptor, at *pathNode) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if _, ok := v.(bool); !ok {
			c.mismatch(at, "true or false", v)
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		c.integer(v, at, 32, true)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		c.integer(v, at, 64, true)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		c.integer(v, at, 32, false)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		c.integer(v, at, 64, false)
	case protoreflect.FloatKind:
		c.float(v, at, 32)
	case protoreflect.DoubleKind:
		c.float(v, at, 64)
	case protoreflect.StringKind:
		if _, ok := v.(string); !ok {
			c.mismatch(at, "a string", v)
		}
	case protoreflect.BytesKind:
		s, ok := v.(string)
		if !ok {
			c.mismatch(at, "a base64 string", v)
		} else if !validBase64(s) {
			c.add(at, "%s is not base64", Quote(s))
		}
	case protoreflect.EnumKind:
		c.enum(v, fd.Enum(), at)
	default:
		c.add(at, "has a field kind (%v) JSON cannot hold", fd.Kind())
	}
}

// validBase64 decodes as protojson does: the URL alphabet when s has - or
// _, the standard one otherwise; padding only when s is a multiple of four
// long.
func validBase64(s string) bool {
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	_, err := enc.DecodeString(s)
	return err == nil
}

func (c *protoChecker) enum(v any, ed protoreflect.EnumDescriptor, at *pathNode) {
	values := ed.Values()
	switch x := v.(type) {
	case string:
		if values.ByName(protoreflect.Name(x)) == nil {
			c.add(at, "%s is not one of %s", Quote(x), enumNames(ed))
		}
		return
	case json.Number:
		c.integer(v, at, 32, true)
		return
	case nil:
		if ed.FullName() == "google.protobuf.NullValue" {
			return
		}
	}
	c.mismatch(at, "one of "+enumNames(ed), v)
}

func enumNames(ed protoreflect.EnumDescriptor) string {
	var names []string
	for i := range ed.Values().Len() {
		names = append(names, string(ed.Values().Get(i).Name()))
	}
	return orList(names)
}

// integer checks an integer as protojson reads one: a JSON number, or a
// string holding exactly one, whose value is a whole number in range.
// Exponents and fractions of zero are fine (1e3, 2.0).
func (c *protoChecker) integer(v any, at *pathNode, bits int, signed bool) {
	var lit string
	switch x := v.(type) {
	case json.Number:
		lit = string(x)
	case string:
		if !isJSONNumber(x) {
			c.mismatch(at, "an integer", v)
			return
		}
		lit = x
	default:
		c.mismatch(at, "an integer", v)
		return
	}
	s, why := intString(lit)
	switch why {
	case notWhole:
		c.add(at, "must be a whole number, got %s", Describe(v))
		return
	case tooBig:
		c.outOfRange(at, v, bits, signed)
		return
	}
	var err error
	if signed {
		_, err = strconv.ParseInt(s, 10, bits)
	} else {
		_, err = strconv.ParseUint(s, 10, bits)
	}
	if err != nil {
		c.outOfRange(at, v, bits, signed)
	}
}

// float checks a float or double: a JSON number in range, a string
// holding one, or "NaN", "Infinity" or "-Infinity".
func (c *protoChecker) float(v any, at *pathNode, bits int) {
	var lit string
	switch x := v.(type) {
	case json.Number:
		lit = string(x)
	case string:
		switch x {
		case "NaN", "Infinity", "-Infinity":
			return
		}
		if !isJSONNumber(x) {
			c.mismatch(at, `a number (or "NaN", "Infinity", "-Infinity")`, v)
			return
		}
		lit = x
	default:
		c.mismatch(at, "a number", v)
		return
	}
	if _, err := strconv.ParseFloat(lit, bits); err != nil {
		c.add(at, "%s does not fit in a %d-bit floating-point number", Describe(v), bits)
	}
}

// isJSONNumber reports whether s is exactly one JSON number (RFC 8259),
// with nothing around it.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		digits()
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

type intProblem int

const (
	whole intProblem = iota
	notWhole
	tooBig
)

// intString turns a JSON number literal into a plain integer string the
// way protojson does (its internal json package's normalizeToIntString),
// or says why it cannot. One of protojson's limits shows here: it refuses
// a number needing more than 20 digits before its exponent is applied,
// even one as small as 0.00000000000000000000001e23 (which is 1); that is
// reported as too big.
func intString(lit string) (string, intProblem) {
	s := lit
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	var intp, frac, exp string
	i := 0
	if s[0] != '0' {
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		intp = s[:i]
	} else {
		i = 1
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		frac = strings.TrimRight(s[i+1:j], "0")
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		exp = s[i+1:]
	}
	if intp == "" && frac == "" {
		return "0", whole
	}
	e := 0
	if exp != "" {
		n, err := strconv.ParseInt(exp, 10, 32)
		if err != nil {
			if exp[0] == '-' {
				return "", notWhole
			}
			return "", tooBig
		}
		e = int(n)
	}
	var num string
	if e >= 0 {
		if len(frac) > e {
			return "", notWhole
		}
		const maxDigits = 20 // as many as the largest uint64 has
		if len(intp)+e > maxDigits {
			return "", tooBig
		}
		num = intp + frac + strings.Repeat("0", e-len(frac))
	} else {
		if len(frac) > 0 {
			return "", notWhole
		}
		index := len(intp) + e
		if index < 0 || strings.Trim(intp[index:], "0") != "" {
			return "", notWhole
		}
		num = intp[:index]
	}
	if neg {
		num = "-" + num
	}
	return num, whole
}

// WellKnown names the JSON form protojson gives a well-known type: the
// type's own name (Any, Timestamp, Duration, Struct, ListValue, Value,
// FieldMask, Empty), "wrapper" for the wrapper types (BoolValue,
// StringValue and the like), or "" for an ordinary message.
func WellKnown(md protoreflect.MessageDescriptor) string {
	name := md.FullName()
	if name.Parent() != "google.protobuf" {
		return ""
	}
	switch n := string(name.Name()); n {
	case "Any", "Timestamp", "Duration", "Struct", "ListValue", "Value", "FieldMask", "Empty":
		return n
	case "BoolValue", "Int32Value", "Int64Value", "UInt32Value", "UInt64Value",
		"FloatValue", "DoubleValue", "StringValue", "BytesValue":
		return "wrapper"
	}
	return ""
}

// wellKnown checks a well-known type's JSON form; depth is the budget left
// after the message's own level.
func (c *protoChecker) wellKnown(v any, md protoreflect.MessageDescriptor, wk string, at *pathNode, depth int) {
	switch wk {
	case "wrapper":
		c.scalar(v, md.Fields().ByName("value"), at)
	case "Duration":
		c.duration(v, at)
	case "Timestamp":
		c.timestamp(v, at)
	case "FieldMask":
		c.fieldMask(v, at)
	case "Empty":
		m, ok := v.(map[string]any)
		if !ok {
			c.mismatch(at, "an empty mapping", v)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			c.add(at.child(k), "unknown field")
		}
	case "Struct":
		m, ok := v.(map[string]any)
		if !ok {
			c.mismatch(at, "a mapping", v)
			return
		}
		fd := md.Fields().ByName("fields")
		c.mapEntries(m, fd.MapKey(), fd.MapValue(), at, depth, true)
	case "ListValue":
		fd := md.Fields().ByName("values")
		c.list(v, fd, at, depth, true)
	case "Value":
		c.value(v, md, at, depth)
	case "Any":
		c.anyMessage(v, at, depth)
	}
}

// value checks a google.protobuf.Value: any JSON value, with numbers in
// the range of a double.
func (c *protoChecker) value(v any, md protoreflect.MessageDescriptor, at *pathNode, depth int) {
	switch x := v.(type) {
	case nil, bool, string:
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			c.add(at, "%s does not fit in a 64-bit floating-point number", x)
		}
	case map[string]any:
		c.wellKnown(x, md.Fields().ByName("struct_value").Message(), "Struct", at, depth)
	case []any:
		c.wellKnown(x, md.Fields().ByName("list_value").Message(), "ListValue", at, depth)
	default:
		c.mismatch(at, "a JSON value", v)
	}
}

const (
	maxDurationSeconds  = 315576000000
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

func (c *protoChecker) duration(v any, at *pathNode) {
	s, ok := v.(string)
	if !ok {
		c.mismatch(at, `a duration such as "5s" or "1.5s"`, v)
		return
	}
	secs, ok := parseDuration(s)
	if !ok {
		c.add(at, `%s is not a duration such as "5s" or "1.5s": seconds, with at most 9 decimals, then "s"`, Quote(s))
		return
	}
	if secs < -maxDurationSeconds || secs > maxDurationSeconds {
		c.add(at, "%s is out of range: a duration must be within ±%ds (10000 years)", Quote(s), maxDurationSeconds)
	}
}

// parseDuration reads protojson's Duration form: an optional sign, whole
// seconds (0, or digits not starting with 0, or none before a point), an
// optional point with at most 9 digits, and "s". It returns the seconds.
func parseDuration(s string) (int64, bool) {
	if len(s) < 2 || s[len(s)-1] != 's' {
		return 0, false
	}
	b := s[:len(s)-1]
	if b[0] == '-' || b[0] == '+' {
		b = b[1:]
	}
	if b == "" {
		return 0, false
	}
	var intp string
	switch {
	case b[0] == '0':
		b = b[1:]
	case '1' <= b[0] && b[0] <= '9':
		i := 1
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		intp, b = b[:i], b[i:]
	case b[0] == '.':
	default:
		return 0, false
	}
	if b != "" {
		if b[0] != '.' {
			return 0, false
		}
		b = b[1:]
		n := 0
		for n < len(b) && n < 9 && '0' <= b[n] && b[n] <= '9' {
			n++
		}
		if n < len(b) {
			return 0, false
		}
	}
	var secs int64
	if intp != "" {
		var err error
		if secs, err = strconv.ParseInt(intp, 10, 64); err != nil {
			return 0, false
		}
	}
	if s[0] == '-' {
		secs = -secs
	}
	return secs, true
}

func (c *protoChecker) timestamp(v any, at *pathNode) {
	const example = `an RFC 3339 timestamp such as "2025-01-02T15:04:05Z"`
	s, ok := v.(string)
	if !ok {
		c.mismatch(at, example, v)
		return
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		c.add(at, "%s is not %s", Quote(s), example)
		return
	}
	if secs := t.Unix(); secs < minTimestampSeconds || secs > maxTimestampSeconds {
		c.add(at, "%s is out of range: a timestamp must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z", Quote(s))
		return
	}
	// As protojson: at most 9 digits of fractional seconds.
	i := strings.LastIndexByte(s, '.')
	j := strings.LastIndexAny(s, "Z-+")
	if i >= 0 && j >= i && j-i > len(".999999999") {
		c.add(at, "%s has more than 9 digits of fractional seconds", Quote(s))
	}
}

// fieldMask checks a FieldMask: field paths in lowerCamelCase, joined by
// commas; protojson checks their form, not that the fields exist.
func (c *protoChecker) fieldMask(v any, at *pathNode) {
	s, ok := v.(string)
	if !ok {
		c.mismatch(at, "a string of field paths joined by commas", v)
		return
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	for p := range strings.SplitSeq(s, ",") {
		if strings.Contains(p, "_") || !protoreflect.FullName(snakeCase(p)).IsValid() {
			c.add(at, "%s is not a field path in lowerCamelCase such as a.bC", Quote(p))
		}
	}
}

// snakeCase is protojson's lowerCamelCase to snake_case conversion.
func snakeCase(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'A' <= ch && ch <= 'Z' {
			b = append(b, '_')
			ch += 'a' - 'A'
		}
		b = append(b, ch)
	}
	return string(b)
}

// anyMessage checks a google.protobuf.Any: {} (empty), or a mapping with
// "@type" naming a registered message type and that message's fields; for
// a well-known type, its JSON form under "value".
func (c *protoChecker) anyMessage(v any, at *pathNode, depth int) {
	m, ok := v.(map[string]any)
	if !ok {
		c.mismatch(at, `a mapping with "@type"`, v)
		return
	}
	if len(m) == 0 {
		return
	}
	// protojson first skims the object for "@type", skipping other
	// values with its recursion limit on their nesting.
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != "@type" && c.nesting(m[k]) > depth {
			c.tooDeep(at.child(k))
		}
	}
	t, ok := m["@type"]
	if !ok {
		c.add(at, `must have "@type" naming its message type, such as "type.googleapis.com/google.protobuf.Duration"`)
		return
	}
	url, ok := t.(string)
	switch {
	case !ok:
		c.mismatch(at.child("@type"), "a string", t)
		return
	case url == "":
		c.add(at.child("@type"), `must name a message type, such as "type.googleapis.com/google.protobuf.Duration"`)
		return
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
	if err != nil {
		c.add(at.child("@type"), "%s is not a known message type", Quote(url))
		return
	}
	emd := mt.Descriptor()
	wk := WellKnown(emd)
	if wk == "" {
		// As a message field of its own, but with "@type" left out, and
		// (as protojson) without checking required fields.
		if depth--; depth < 0 {
			c.tooDeep(at)
			return
		}
		c.fields(m, emd, at, depth, true, true)
		return
	}
	// A well-known type's JSON form is under "value", checked at this
	// level (protojson does not count it as one more).
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch k {
		case "@type":
		case "value":
			c.wellKnown(m[k], emd, wk, at.child(k), depth)
		default:
			c.add(at.child(k), "unknown field")
		}
	}
	if _, ok := m["value"]; !ok && wk != "Empty" {
		c.add(at, `must have "value", the %s in its JSON form`, emd.FullName())
	}
}

// nesting is how many mappings and lists v nests. Each is worked out
// once: Anys within Anys ask again about the same values.
func (c *protoChecker) nesting(v any) int {
	var key uintptr
	switch x := v.(type) {
	case map[string]any:
		key = reflect.ValueOf(x).Pointer()
	case []any:
		if len(x) == 0 {
			return 1
		}
		key = reflect.ValueOf(x).Pointer()
	default:
		return 0
	}
	if n, ok := c.heights[key]; ok {
		return n
	}
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			n = max(n, c.nesting(e))
		}
	case []any:
		for _, e := range x {
			n = max(n, c.nesting(e))
		}
	}
	if c.heights == nil {
		c.heights = map[uintptr]int{}
	}
	c.heights[key] = n + 1
	return n + 1
}
