package render

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Decode reads one Mesh from YAML or JSON. It rejects a document of another
// apiVersion or kind, unknown and duplicate fields, and more than one
// document. It does not default or validate.
func Decode(data []byte) (Mesh, error) {
	doc, err := singleDocument(data)
	if err != nil {
		return Mesh{}, err
	}
	raw, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return Mesh{}, fmt.Errorf("mesh config is not valid YAML: %w", err)
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return Mesh{}, errors.New("mesh config is empty")
	}
	var head struct {
		APIVersion any `json:"apiVersion"`
		Kind       any `json:"kind"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &head); err != nil {
		return Mesh{}, fmt.Errorf("mesh config must be a mapping with apiVersion %s and kind %s", APIVersion, Kind)
	}
	var p problems
	if head.APIVersion != APIVersion {
		p.add("apiVersion", "must be %q, got %s", APIVersion, describe(head.APIVersion))
	}
	if head.Kind != Kind {
		p.add("kind", "must be %q, got %s", Kind, describe(head.Kind))
	}
	if err := p.err(); err != nil {
		return Mesh{}, err
	}
	var m Mesh
	strict, err := sigsjson.UnmarshalStrict(raw, &m)
	if err != nil {
		return Mesh{}, fmt.Errorf("mesh config: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	for _, e := range strict {
		p.add(strictField(e.Error()), "%s", strictMessage(e.Error()))
	}
	return m, p.err()
}

func describe(v any) string {
	if v == nil {
		return "nothing"
	}
	return fmt.Sprintf("%q", fmt.Sprint(v))
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
