package gen

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/meshrender/meshrender/render/internal/typecheck"
)

// ProtoSchemas builds JSON Schemas of protobuf messages in the form
// protojson reads: fields under their JSON (lowerCamelCase) names and no
// others, every message a shared definition named by its full name (such
// as istio.mesh.v1alpha1.MeshConfig.OutboundTrafficPolicy), enums by name
// or number, 64-bit integers as numbers or strings, the well-known types in
// their JSON forms (a Duration as "1.5s", a BoolValue as a bool, a Struct
// as any mapping).
//
// The schema is a guide for editors, looser than protojson where JSON
// Schema cannot say as much (an integer's range within a string, which of
// a oneof's fields is set) and stricter in two ways: it offers only the
// JSON names, not the proto names protojson also takes, and no null.
type ProtoSchemas struct {
	// Defs receives the definitions; it may hold others too.
	Defs map[string]any
	// Docs are the comments of the .proto files, by full name, as
	// ProtoDocs reads them; nil describes fields by their proto names.
	Docs map[string]string
}

// Message returns a reference to md's definition, building it (and those
// it needs) the first time.
func (p *ProtoSchemas) Message(md protoreflect.MessageDescriptor) map[string]any {
	return p.ref(string(md.FullName()), func() map[string]any {
		if s := p.wellKnown(md); s != nil {
			return s
		}
		return p.object(md)
	})
}

// GoType returns the schema of a Go type that holds a protobuf message in
// its protojson form (a typecheck.ProtoJSON, or a pointer to one) as a
// reference to the message's definition, or nil for any other type.
func (p *ProtoSchemas) GoType(t reflect.Type) map[string]any {
	if md := typecheck.ProtoJSONDescriptor(t); md != nil {
		return p.Message(md)
	}
	return nil
}

// ref returns a reference to the definition name in Defs, building it
// the first time.
func (p *ProtoSchemas) ref(name string, build func() map[string]any) map[string]any {
	if _, ok := p.Defs[name]; !ok {
		p.Defs[name] = nil // breaks cycles
		p.Defs[name] = build()
	}
	return map[string]any{"$ref": "#/definitions/" + name}
}

// describe gives schema s the description d. Draft-07 ignores the
// siblings of a $ref, so a reference is wrapped in allOf first.
func describe(s map[string]any, d string) map[string]any {
	if _, isRef := s["$ref"]; isRef {
		s = map[string]any{"allOf": []any{s}}
	}
	s["description"] = d
	return s
}

func (p *ProtoSchemas) object(md protoreflect.MessageDescriptor) map[string]any {
	props := map[string]any{}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		s := p.field(fd)
		if d := p.fieldDoc(fd); d != "" {
			s = describe(s, d)
		}
		props[fd.JSONName()] = s
	}
	out := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if d := p.Docs[string(md.FullName())]; d != "" {
		out["description"] = d
	} else {
		out["description"] = fmt.Sprintf("%s (protobuf message %s).", md.Name(), md.FullName())
	}
	var required []string
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Cardinality() == protoreflect.Required {
			required = append(required, fd.JSONName())
		}
	}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// fieldDoc describes a field: its comment, or its proto name and type,
// with what its oneof and deprecation add.
func (p *ProtoSchemas) fieldDoc(fd protoreflect.FieldDescriptor) string {
	d := p.Docs[string(fd.FullName())]
	if d == "" {
		d = fmt.Sprintf("%s.%s (%s).", fd.ContainingMessage().Name(), fd.Name(), typeName(fd))
	}
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		var names []string
		for i := range od.Fields().Len() {
			names = append(names, od.Fields().Get(i).JSONName())
		}
		d += fmt.Sprintf("\n\nOnly one of %s may be set.", strings.Join(names, ", "))
	}
	if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
		d += "\n\nDeprecated."
	}
	return d
}

// typeName is a field's type as a .proto file writes it.
func typeName(fd protoreflect.FieldDescriptor) string {
	switch {
	case fd.IsMap():
		return fmt.Sprintf("map<%s, %s>", typeName(fd.MapKey()), typeName(fd.MapValue()))
	case fd.IsList():
		return "repeated " + singularTypeName(fd)
	}
	return singularTypeName(fd)
}

func singularTypeName(fd protoreflect.FieldDescriptor) string {
	switch {
	case fd.Message() != nil:
		return string(fd.Message().FullName())
	case fd.Enum() != nil:
		return string(fd.Enum().FullName())
	}
	return fd.Kind().String()
}

func (p *ProtoSchemas) field(fd protoreflect.FieldDescriptor) map[string]any {
	switch {
	case fd.IsMap():
		s := map[string]any{"type": "object", "additionalProperties": p.singular(fd.MapValue())}
		if names := keyNames(fd.MapKey().Kind()); names != nil {
			s["propertyNames"] = names
		}
		return s
	case fd.IsList():
		return map[string]any{"type": "array", "items": p.singular(fd)}
	}
	return p.singular(fd)
}

// keyNames is the schema of a map's keys, which protojson parses as the
// key type: nil for strings.
func keyNames(kind protoreflect.Kind) map[string]any {
	switch kind {
	case protoreflect.StringKind:
		return nil
	case protoreflect.BoolKind:
		return map[string]any{"enum": []any{"true", "false"}}
	}
	return map[string]any{"pattern": "^[-+]?[0-9]+$"}
}

func (p *ProtoSchemas) singular(fd protoreflect.FieldDescriptor) map[string]any {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return p.Message(fd.Message())
	case protoreflect.EnumKind:
		return p.enum(fd.Enum())
	}
	return scalar(fd.Kind())
}

// numberPattern matches a JSON number, which protojson also takes within a
// string for integer and floating-point fields.
const numberPattern = `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`

// scalar is the schema of a non-message, non-enum kind.
func scalar(kind protoreflect.Kind) map[string]any {
	integer := func(lo, hi any) map[string]any {
		s := map[string]any{"type": []any{"integer", "string"}, "pattern": "^" + numberPattern + "$"}
		if lo != nil {
			s["minimum"], s["maximum"] = lo, hi
		}
		return s
	}
	switch kind {
	case protoreflect.BoolKind:
		return map[string]any{"type": "boolean"}
	case protoreflect.StringKind:
		return map[string]any{"type": "string"}
	case protoreflect.BytesKind:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return integer(-1<<31, 1<<31-1)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return integer(0, 1<<32-1)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		s := integer(nil, nil)
		s["minimum"] = 0
		return s
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		// Bounds this large do not survive a validator's float64.
		return integer(nil, nil)
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return map[string]any{"type": []any{"number", "string"}, "pattern": "^(NaN|-?Infinity|" + numberPattern + ")$"}
	}
	panic(fmt.Sprintf("schema: no JSON form for protobuf kind %v", kind))
}

// enum is a reference to an enum's definition: a value's name, or its
// number.
func (p *ProtoSchemas) enum(ed protoreflect.EnumDescriptor) map[string]any {
	return p.ref(string(ed.FullName()), func() map[string]any {
		values := ed.Values()
		var names []any
		var docs []string
		for i := range values.Len() {
			v := values.Get(i)
			names = append(names, string(v.Name()))
			if d := p.Docs[string(ed.FullName())+"."+string(v.Name())]; d != "" {
				docs = append(docs, fmt.Sprintf("- %s: %s", v.Name(), indent(d)))
			}
		}
		d := p.Docs[string(ed.FullName())]
		if d == "" {
			d = fmt.Sprintf("%s (protobuf enum %s).", ed.Name(), ed.FullName())
		}
		if len(docs) > 0 {
			d += "\n\n" + strings.Join(docs, "\n")
		}
		anyOf := []any{
			map[string]any{"type": "string", "enum": names},
			map[string]any{"type": "integer", "minimum": -1 << 31, "maximum": 1<<31 - 1},
		}
		if ed.FullName() == "google.protobuf.NullValue" {
			anyOf = append(anyOf, map[string]any{"type": "null"})
		}
		return map[string]any{"description": d, "anyOf": anyOf}
	})
}

// indent lets a multi-line text stand in a list item.
func indent(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\n", "\n  "), "\n  \n", "\n\n")
}

// durationPattern is protojson's Duration form: seconds with at most nine
// decimals, then "s".
const durationPattern = `^[-+]?((0|[1-9][0-9]*)(\.[0-9]{0,9})?|\.[0-9]{0,9})s$`

// wellKnown is the schema of a well-known type protojson maps to a JSON
// form of its own, or nil for an ordinary message.
func (p *ProtoSchemas) wellKnown(md protoreflect.MessageDescriptor) map[string]any {
	name := md.FullName()
	switch typecheck.WellKnown(md) {
	case "Duration":
		return map[string]any{"type": "string", "pattern": durationPattern,
			"description": "A duration: seconds with at most 9 decimals, then s, such as 5s, 1.5s or 0.001s; within ±315576000000s."}
	case "Timestamp":
		return map[string]any{"type": "string", "format": "date-time",
			"description": "A time in RFC 3339 form, such as 2025-01-02T15:04:05Z, between years 1 and 9999."}
	case "wrapper":
		s := scalar(md.Fields().ByName("value").Kind())
		s["description"] = fmt.Sprintf("A %s (protobuf %s; unset when left out).", md.Fields().ByName("value").Kind(), name)
		return s
	case "Struct":
		return map[string]any{"type": "object", "description": "Any mapping (protobuf google.protobuf.Struct)."}
	case "Value":
		return map[string]any{"description": "Any JSON value (protobuf google.protobuf.Value)."}
	case "ListValue":
		return map[string]any{"type": "array", "description": "A list of any JSON values (protobuf google.protobuf.ListValue)."}
	case "FieldMask":
		return map[string]any{"type": "string", "description": "Field paths in lowerCamelCase, joined by commas, such as a.bC,d (protobuf google.protobuf.FieldMask)."}
	case "Empty":
		return map[string]any{"type": "object", "maxProperties": 0, "description": "An empty mapping (protobuf google.protobuf.Empty)."}
	case "Any":
		return map[string]any{
			"type":        "object",
			"description": "A message of any type (protobuf google.protobuf.Any): its fields, with @type naming the type; a well-known type's JSON form goes under value.",
			"properties": map[string]any{
				"@type": map[string]any{"type": "string", "description": "The message type, such as type.googleapis.com/google.protobuf.Duration."},
			},
		}
	}
	return nil
}

// ModuleDir is the directory of a module in the module cache, as the go
// command in dir (a directory of the main module) resolves it, such as
// the one holding istio.io/api's .proto files.
func ModuleDir(dir, module string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v: %s", module, err, strings.TrimSpace(stderr.String()))
	}
	d := strings.TrimSpace(string(out))
	if d == "" {
		return "", fmt.Errorf("go list -m %s: module not downloaded", module)
	}
	return d, nil
}

// ProtoDocs reads the comments of every .proto file under dir: for each
// message, enum, field and enum value, the comment just before it (or
// else on its line), by full name (an enum value by its enum's full name
// and its own name, such as
// istio.mesh.v1alpha1.MeshConfig.IngressControllerMode.STRICT). Comments
// lose their markers, documentation tags ($hide_from_docs, +kubebuilder
// lines, Hugo shortcodes) and line breaks within paragraphs; fenced code
// keeps its lines.
func ProtoDocs(dir string) (map[string]string, error) {
	docs := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".proto") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := parseProtoDocs(string(src), docs); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		return nil
	})
	return docs, err
}

type protoToken struct {
	text    string
	line    int
	comment string // the comment attached to the token, if it starts a statement
}

// tokenizeProto splits a .proto file into tokens, attaching to each the
// comment that ends on the line before it (with no blank line between),
// and returns too the comments that follow a token on its line, by line.
func tokenizeProto(src string) ([]protoToken, map[int]string, error) {
	var toks []protoToken
	trailing := map[int]string{}
	var pending []string // the comment lines last seen
	pendingEnd := 0      // the line where they end
	line := 1
	lastTokLine := 0
	comment := func(lines []string, start, end int) {
		switch {
		case lastTokLine == start:
			trailing[start] += strings.Join(lines, "\n") + "\n"
		case pending != nil && pendingEnd == start-1:
			pending = append(pending, lines...)
		default:
			pending = lines
		}
		pendingEnd = end
	}
	token := func(text string) {
		t := protoToken{text: text, line: line}
		if pending != nil && (pendingEnd == line-1 || pendingEnd == line) {
			t.comment = strings.Join(pending, "\n")
		}
		pending = nil
		toks = append(toks, t)
		lastTokLine = line
	}
	for i := 0; i < len(src); {
		ch := src[i]
		switch {
		case ch == '\n':
			line++
			i++
		case ch == ' ' || ch == '\t' || ch == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			text := src[i+2 : i+end]
			comment([]string{strings.TrimPrefix(text, " ")}, line, line)
			i += end
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			body := src[i+2 : i+2+end]
			var lines []string
			for l := range strings.SplitSeq(body, "\n") {
				l = strings.TrimSpace(l)
				lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(l, "*"), " "))
			}
			start := line
			line += strings.Count(body, "\n")
			comment(lines, start, line)
			i += 2 + end + 2
		case ch == '"' || ch == '\'':
			j := i + 1
			for j < len(src) && src[j] != ch && src[j] != '\n' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) || src[j] != ch {
				return nil, nil, fmt.Errorf("line %d: unterminated string", line)
			}
			token(src[i : j+1])
			i = j + 1
		case isIdent(ch):
			j := i
			for j < len(src) && (isIdent(src[j]) || src[j] == '.') {
				j++
			}
			token(src[i:j])
			i = j
		default:
			token(string(ch))
			i++
		}
	}
	return toks, trailing, nil
}

func isIdent(ch byte) bool {
	return ch == '_' || 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9'
}

// parseProtoDocs adds the comments of one .proto file to docs.
func parseProtoDocs(src string, docs map[string]string) error {
	toks, trailing, err := tokenizeProto(src)
	if err != nil {
		return err
	}
	type scope struct {
		kind string // "message", "enum", "oneof" or "skip"
		name string // full name, for messages and enums
	}
	var pkg string
	var stack []scope
	parent := func() string {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].kind == "message" || stack[i].kind == "enum" {
				return stack[i].name
			}
		}
		return pkg
	}
	inside := func() string {
		if len(stack) == 0 {
			return "file"
		}
		return stack[len(stack)-1].kind
	}
	record := func(name string, first, last protoToken) {
		d := first.comment
		if d == "" {
			d = trailing[last.line]
		}
		if d = cleanProtoComment(d); d != "" {
			docs[name] = d
		}
	}
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + "." + b
	}
	for i := 0; i < len(toks); {
		// One statement: up to ";", "{" or "}".
		j := i
		for j < len(toks) && toks[j].text != ";" && toks[j].text != "{" && toks[j].text != "}" {
			j++
		}
		if j == len(toks) {
			break
		}
		stmt := toks[i:j]
		end := toks[j]
		switch {
		case end.text == "}":
			switch {
			case len(stack) == 0:
				return fmt.Errorf("line %d: unbalanced }", end.line)
			case len(stmt) > 0 && inside() != "skip": // as in an option's { a: 1 }
				return fmt.Errorf("line %d: statement without ; before }", end.line)
			}
			stack = stack[:len(stack)-1]
		case len(stmt) == 0: // an empty statement
		case end.text == "{":
			kind := "skip"
			name := ""
			if inside() != "skip" && len(stmt) >= 2 {
				switch stmt[0].text {
				case "message", "enum":
					kind, name = stmt[0].text, join(parent(), stmt[1].text)
					record(name, stmt[0], end)
				case "oneof":
					kind = "oneof"
				}
			}
			stack = append(stack, scope{kind, name})
		default: // a statement ending in ;
			switch first := stmt[0].text; {
			case first == "package" && len(stmt) >= 2:
				pkg = stmt[1].text
			case inside() == "skip", first == "option", first == "reserved", first == "extensions", first == "import", first == "syntax":
			case inside() == "enum":
				record(parent()+"."+first, stmt[0], stmt[len(stmt)-1])
			case inside() == "message" || inside() == "oneof":
				// A field: its name stands before the first "=".
				for k := 1; k < len(stmt); k++ {
					if stmt[k].text == "=" {
						record(join(parent(), stmt[k-1].text), stmt[0], stmt[len(stmt)-1])
						break
					}
				}
			}
		}
		i = j + 1
	}
	if len(stack) != 0 {
		return fmt.Errorf("unbalanced {")
	}
	return nil
}

// cleanProtoComment turns a comment into a description: documentation
// tags go, lines within a paragraph join, fenced code keeps its lines.
func cleanProtoComment(s string) string {
	var paras []string
	var cur []string
	code := false
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, strings.Join(cur, " "))
			cur = nil
		}
	}
	for line := range strings.SplitSeq(s, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") {
			if !code {
				flush()
				code = true
				cur = append(cur, t)
				continue
			}
			cur = append(cur, t)
			paras = append(paras, strings.Join(cur, "\n"))
			cur, code = nil, false
			continue
		}
		if code {
			cur = append(cur, strings.TrimRight(line, " \t"))
			continue
		}
		switch {
		case t == "":
			flush()
		case strings.Contains(t, "$hide_from_docs"), strings.HasPrefix(t, "+"),
			strings.HasPrefix(t, "{{<") && strings.HasSuffix(t, ">}}"):
		case strings.HasPrefix(t, "$") && !strings.Contains(t, " "):
			// other tags such as $mode: none
		default:
			cur = append(cur, t)
		}
	}
	if code {
		paras = append(paras, strings.Join(cur, "\n"))
		cur = nil
	}
	flush()
	return strings.Join(slices.DeleteFunc(paras, func(p string) bool { return p == "" }), "\n\n")
}
