package v1alpha1

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"

	"github.com/meshrender/meshrender/render/internal/typecheck"
)

// maxAnchorProblems is how many anchors and aliases an error lists; a
// document of thousands says so in one more line.
const maxAnchorProblems = 10

// refuseAnchors reports the anchors and aliases of doc, one YAML
// document, with their paths and positions. An alias stands for a copy
// of what its anchor marks, so a small document with a few aliases of a
// large value reads as a huge one: a mesh config has no use for them.
// doc that is not YAML is left for the decoder to report.
func refuseAnchors(doc []byte) error {
	if !mayHoldAnchors(doc) {
		return nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil
	}
	var p problems
	more := 0
	var walk func(n *yaml.Node, at typecheck.Path)
	walk = func(n *yaml.Node, at typecheck.Path) {
		what := ""
		switch {
		case n.Kind == yaml.AliasNode:
			what = "alias *" + n.Value
		case n.Anchor != "":
			what = "anchor &" + n.Anchor
		}
		if what != "" {
			if len(p) == maxAnchorProblems {
				more++
			} else {
				p.addText(at.String(), fmt.Sprintf("%s (line %d, column %d): a mesh config takes no YAML anchors or aliases; write the value out", clippedName(what), n.Line, n.Column))
			}
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, at)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, at.Item(i))
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				walk(k, at.Member(k.Value))
				walk(n.Content[i+1], at.Member(k.Value))
			}
		}
	}
	walk(&root, typecheck.Root(""))
	if more > 0 {
		p.addText("(document)", fmt.Sprintf("and %d more anchors and aliases", more))
	}
	return p.err()
}

// clippedName shortens an anchor's name, which may be long, for a message.
func clippedName(s string) string {
	if len(s) > typecheck.MaxShown {
		return typecheck.Prefix(s) + "…"
	}
	return s
}

// mayHoldAnchors reports whether doc has an & or * where YAML reads an
// anchor or alias: after a space, a line break or a flow indicator, and
// before a character of a name. Most configs have none, and are not
// parsed a second time; a * in a quoted string ("*") is not one.
func mayHoldAnchors(doc []byte) bool {
	for i := 0; i < len(doc); {
		j := bytes.IndexAny(doc[i:], "&*")
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || bytes.IndexByte([]byte(" \t\r\n[{,"), doc[j-1]) >= 0
		after := j+1 < len(doc) && bytes.IndexByte([]byte(" \t\r\n[]{},"), doc[j+1]) < 0
		if before && after {
			return true
		}
		i = j + 1
	}
	return false
}

// MaxConfigSeparators is how many line breaks, commas, dashes and opening
// brackets a Mesh document may hold. Every value of a YAML document
// follows one of them, so this bounds the values the parser builds before
// any limit on the values themselves is checked: 2 million one-letter
// entries in a flow list fit in MaxConfigBytes. A mesh of a few KiB holds
// a few hundred, a 1 MiB overlay patch tens of thousands.
const MaxConfigSeparators = 1 << 18

// CheckSeparators refuses a document of more separators than
// MaxConfigSeparators, as Decode does, for callers that parse a Mesh
// document themselves: the KRM function, its function config.
func CheckSeparators(data []byte) error {
	if n := Separators(data); n > MaxConfigSeparators {
		return fmt.Errorf("mesh config has %d line breaks, commas, dashes and opening brackets, each of which may start a value; the limit is %d", n, MaxConfigSeparators)
	}
	return nil
}

// Separators counts the line breaks, commas, dashes and opening brackets
// of a YAML document: about how many values parsing it builds, at most.
func Separators[T ~string | ~[]byte](data T) int {
	n := 0
	for i := range len(data) {
		switch data[i] {
		case '\n', ',', '-', '[', '{':
			n++
		}
	}
	return n
}
