// Package yamlenc writes JSON documents as block-style YAML with sorted map
// keys, the way kubectl prints objects.
//
// The output depends only on the JSON value, never on the order of keys in
// the input, so a typed object, the same object after a patch, and the same
// object decoded from a file all print byte for byte alike. Scalars are
// quoted whenever a YAML 1.1 or 1.2 reader could take them for anything other
// than what the JSON says (a number, a boolean, null, a timestamp), and
// strings that span lines are written as literal blocks.
package yamlenc

import (
	"encoding/json"
	"fmt"
)

// Marshal encodes v as JSON with encoding/json and returns it as YAML.
func Marshal(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return FromJSON(nil, raw)
}

// FromJSON appends the YAML form of the JSON document src to dst and
// returns the extended buffer. The document must be a single JSON value; a
// top-level object is written as a block mapping ending in a newline.
func FromJSON(dst, src []byte) ([]byte, error) {
	root, err := parseDocument(src)
	if err != nil {
		return dst, err
	}
	e := emitter{buf: dst}
	e.document(root)
	return e.buf, nil
}

// parseDocument parses src as exactly one JSON value.
func parseDocument(src []byte) (node, error) {
	p := parser{src: src}
	p.skipSpace()
	root, err := p.value()
	if err != nil {
		return node{}, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return node{}, p.errorf("unexpected data after the document")
	}
	return root, nil
}

// SyntaxError reports malformed JSON input and where it was found.
type SyntaxError struct {
	Offset int
	Msg    string
}

// Error says where the JSON went wrong.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("yamlenc: invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Manifest is FromJSON for a Kubernetes object as it goes into a manifest:
// null fields are dropped (typed objects print unset timestamps and
// pointers as null), and so are status and an empty spec, which a
// manifest never sets.
func Manifest(dst, src []byte) ([]byte, error) {
	root, err := parseDocument(src)
	if err != nil {
		return dst, err
	}
	if root.kind != kindObject {
		return dst, &SyntaxError{Offset: 0, Msg: "a manifest must be a JSON object"}
	}
	root = dropNulls(root)
	kept := root.members[:0]
	for _, m := range root.members {
		if m.key == "status" || m.key == "spec" && m.val.kind == kindObject && len(m.val.members) == 0 {
			continue
		}
		kept = append(kept, m)
	}
	root.members = kept
	e := emitter{buf: dst}
	e.document(root)
	return e.buf, nil
}

func dropNulls(n node) node {
	switch n.kind {
	case kindObject:
		kept := n.members[:0]
		for _, m := range n.members {
			if m.val.kind == kindNull {
				continue
			}
			m.val = dropNulls(m.val)
			kept = append(kept, m)
		}
		n.members = kept
	case kindArray:
		for i := range n.items {
			n.items[i] = dropNulls(n.items[i])
		}
	}
	return n
}
