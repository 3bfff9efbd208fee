package v1alpha1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/render/internal/typecheck"
)

// Limits on what Decode reads. Real meshes are a few KiB and nest a dozen
// levels deep; the limits keep hostile input from costing time and memory.
const (
	// MaxConfigBytes is the largest Mesh document Decode reads.
	MaxConfigBytes = 4 << 20
	// MaxConfigDepth is how deeply mappings and lists may nest.
	MaxConfigDepth = 64
)

// Decode reads one Mesh from YAML or JSON. It rejects a document of another
// apiVersion or kind, more than one document, and a document larger than
// MaxConfigBytes or nested deeper than MaxConfigDepth, and YAML anchors and
// aliases, which let a small document stand for a huge one. Every unknown,
// duplicate or mistyped field is reported at once, with its field path.
// It does not default or validate.
func Decode(data []byte) (Mesh, error) {
	if len(data) > MaxConfigBytes {
		return Mesh{}, fmt.Errorf("mesh config is %d bytes; the limit is %d (%d MiB)", len(data), MaxConfigBytes, MaxConfigBytes>>20)
	}
	if err := CheckSeparators(data); err != nil {
		return Mesh{}, err
	}
	doc, err := singleDocument(data)
	if err != nil {
		return Mesh{}, err
	}
	var m Mesh
	err = decodeDocument(doc, "mesh config", Kind, &m)
	return m, err
}

// decodeDocument reads one YAML document strictly into out, a document
// of apiVersion APIVersion and the kind, reporting every unknown,
// duplicate or mistyped field with its path. what names the document in
// messages.
func decodeDocument[T any](doc []byte, what, kind string, out *T) error {
	if err := refuseAnchors(doc); err != nil {
		return err
	}
	raw, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return fmt.Errorf("%s is not valid YAML: %s", what, strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "))
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return fmt.Errorf("%s is empty", what)
	}
	if depth := jsonDepth(raw); depth > MaxConfigDepth {
		return fmt.Errorf("%s nests %d levels deep; the limit is %d", what, depth, MaxConfigDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	top, ok := generic.(map[string]any)
	if !ok {
		return fmt.Errorf("%s must be a mapping with apiVersion %s and kind %s, got %s", what, APIVersion, kind, typecheck.Describe(generic))
	}
	var p problems
	if top["apiVersion"] != APIVersion {
		p.addText("apiVersion", fmt.Sprintf("must be %q, got %s", APIVersion, typecheck.Describe(top["apiVersion"])))
	}
	if top["kind"] != kind {
		p.addText("kind", fmt.Sprintf("must be %q, got %s", kind, typecheck.Describe(top["kind"])))
	}
	if err := p.err(); err != nil {
		return err
	}
	for _, pr := range typecheck.Check(generic, reflect.TypeFor[T](), "") {
		p.addText(pr.Path, migrationHint(pr))
	}
	if err := p.err(); err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(raw, out)
	if err != nil {
		// The check above should have caught it; say where anyway.
		return fmt.Errorf("%s: %s", what, strings.TrimPrefix(err.Error(), "json: "))
	}
	for _, e := range strict {
		p.addText(strictField(e.Error()), strictMessage(e.Error()))
	}
	return p.err()
}

// jsonDepth is how deeply the arrays and objects of a JSON document nest.
func jsonDepth(raw []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// singleDocument returns the only YAML document in data.
func singleDocument(data []byte) ([]byte, error) {
	var docs [][]byte
	for _, d := range splitDocuments(data) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	switch len(docs) {
	case 0:
		return nil, errors.New("mesh config is empty")
	case 1:
		return docs[0], nil
	default:
		return nil, fmt.Errorf("mesh config holds %d YAML documents; want one Mesh", len(docs))
	}
}

// splitDocuments cuts YAML at "---" separator lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += i
		}
		line := bytes.TrimRight(data[i:end], " \t\r")
		if bytes.Equal(line, []byte("---")) || bytes.HasPrefix(line, []byte("--- ")) {
			docs = append(docs, data[start:i])
			start = end + 1
		}
		i = end + 1
	}
	if start < len(data) {
		docs = append(docs, data[start:])
	}
	return docs
}

func stripComments(doc []byte) []byte {
	var out []byte
	for line := range bytes.SplitSeq(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out
}

// strictField pulls the field path out of a sigs.k8s.io/json strict error
// such as `unknown field "spec.zone"`.
func strictField(msg string) string {
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		if j := strings.LastIndexByte(msg, '"'); j > i {
			return msg[i+1 : j]
		}
	}
	return "(document)"
}

func strictMessage(msg string) string {
	if i := strings.IndexByte(msg, '"'); i > 0 {
		return strings.TrimSpace(msg[:i])
	}
	return msg
}
