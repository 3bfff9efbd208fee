package yamlenc

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// emitter appends YAML to buf. Sequences sit at the indentation of their
// key, as kubectl and kustomize print them.
type emitter struct {
	buf []byte
}

func (e *emitter) document(n node) {
	switch {
	case n.kind == kindObject && len(n.members) > 0:
		e.mapping(n, 0)
	case n.kind == kindArray && len(n.items) > 0:
		e.sequence(n, 0)
	default:
		e.inline(n, 0)
		e.buf = append(e.buf, '\n')
	}
}

func (e *emitter) indent(n int) {
	for range n {
		e.buf = append(e.buf, ' ')
	}
}

// sortedMembers returns the members of an object ordered by key. JSON from
// encoding/json never repeats a key; if hostile input does, the last one
// wins, as it does for encoding/json.
func sortedMembers(n node) []member {
	ms := n.members
	if !slices.IsSortedFunc(ms, cmpMember) {
		ms = slices.Clone(ms)
		slices.SortStableFunc(ms, cmpMember)
	}
	out := ms[:0:0]
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].key == m.key {
			continue
		}
		out = append(out, m)
	}
	return out
}

func cmpMember(a, b member) int { return strings.Compare(a.key, b.key) }

// maxImplicitKey is the longest key written in the usual "key: value" form.
const maxImplicitKey = 1000

// mapping writes a non-empty object whose first key starts at the current
// position when the caller has already written the indentation (after "- ").
func (e *emitter) mapping(n node, ind int) {
	for i, m := range sortedMembers(n) {
		if i > 0 || len(e.buf) > 0 && e.buf[len(e.buf)-1] == '\n' {
			e.indent(ind)
		}
		if len(m.key) > maxImplicitKey {
			// YAML limits implicit keys to 1024 characters; longer ones
			// need the explicit "? key" form.
			e.buf = append(e.buf, "? "...)
			e.scalarString(m.key)
			e.buf = append(e.buf, '\n')
			e.indent(ind)
		} else {
			e.scalarString(m.key)
		}
		e.buf = append(e.buf, ':')
		e.value(m.val, ind, ind+2)
	}
}

// value writes what follows "key:" or "-": a space and an inline value, or
// a newline and a nested block. seqInd is where a nested sequence starts,
// mapInd where a nested mapping starts.
func (e *emitter) value(v node, seqInd, mapInd int) {
	switch {
	case v.kind == kindObject && len(v.members) > 0:
		e.buf = append(e.buf, '\n')
		e.mapping(v, mapInd)
	case v.kind == kindArray && len(v.items) > 0:
		e.buf = append(e.buf, '\n')
		e.sequence(v, seqInd)
	case v.kind == kindString && blockable(v.text):
		e.block(v.text, mapInd)
	default:
		e.buf = append(e.buf, ' ')
		e.inline(v, mapInd)
		e.buf = append(e.buf, '\n')
	}
}

func (e *emitter) sequence(n node, ind int) {
	for _, it := range n.items {
		e.indent(ind)
		e.buf = append(e.buf, '-')
		switch {
		case it.kind == kindObject && len(it.members) > 0:
			e.buf = append(e.buf, ' ')
			e.mapping(it, ind+2)
		case it.kind == kindArray && len(it.items) > 0:
			e.buf = append(e.buf, '\n')
			e.sequence(it, ind+2)
		default:
			e.value(it, ind+2, ind+2)
		}
	}
}

// inline writes a scalar or an empty collection.
func (e *emitter) inline(n node, ind int) {
	switch n.kind {
	case kindNull:
		e.buf = append(e.buf, "null"...)
	case kindBool, kindNumber:
		e.buf = append(e.buf, n.text...)
	case kindString:
		e.scalarString(n.text)
	case kindObject:
		e.buf = append(e.buf, "{}"...)
	case kindArray:
		e.buf = append(e.buf, "[]"...)
	}
}

// block writes a multi-line string as a literal block scalar, keeping every
// line as it is; the chomping indicator carries the trailing newlines.
func (e *emitter) block(s string, ind int) {
	trimmed := strings.TrimRight(s, "\n")
	switch len(s) - len(trimmed) {
	case 0:
		e.buf = append(e.buf, " |-\n"...)
	case 1:
		e.buf = append(e.buf, " |\n"...)
	default:
		e.buf = append(e.buf, " |+\n"...)
	}
	// One allocation for the whole block: an injector's templates are
	// over 100 KiB.
	e.buf = slices.Grow(e.buf, len(s)+(strings.Count(s, "\n")+1)*ind)
	for line := range strings.SplitSeq(strings.TrimSuffix(s, "\n"), "\n") {
		if line != "" {
			e.indent(ind)
			e.buf = append(e.buf, line...)
		}
		e.buf = append(e.buf, '\n')
	}
}

// blockable reports whether s spans lines and survives a literal block
// unchanged: printable, no carriage returns, no line that is only spaces
// (a reader would fold it into an empty line), and a first line that does
// not start with a space (which would need an indentation indicator).
func blockable(s string) bool {
	if !strings.Contains(s, "\n") || strings.TrimLeft(s, "\n") == "" {
		return false
	}
	if s[0] == ' ' || s[0] == '\n' || s[0] == '\t' {
		return false
	}
	lineStart := true
	onlySpace := false
	for _, r := range s {
		switch {
		case r == '\n':
			if onlySpace {
				return false
			}
			lineStart, onlySpace = true, false
			continue
		case r == ' ' || r == '\t':
			if lineStart {
				onlySpace = true
			}
		case r == '\r' || r == utf8.RuneError || !unicode.IsPrint(r) && r != '\t':
			return false
		default:
			onlySpace = false
		}
		lineStart = false
	}
	return !onlySpace
}

// scalarString writes s plain when no reader can mistake it, otherwise
// single- or double-quoted.
func (e *emitter) scalarString(s string) {
	switch {
	case plainSafe(s):
		e.buf = append(e.buf, s...)
	case singleQuotable(s):
		e.buf = append(e.buf, '\'')
		e.buf = append(e.buf, strings.ReplaceAll(s, "'", "''")...)
		e.buf = append(e.buf, '\'')
	default:
		e.doubleQuoted(s)
	}
}

// isReserved reports the words YAML 1.1 or 1.2 readers resolve to booleans
// or null, in any case, and the merge and value keys.
func isReserved(s string) bool {
	switch len(s) {
	case 1:
		switch s[0] {
		case 'y', 'Y', 'n', 'N', '~', '=':
			return true
		}
	case 2:
		return strings.EqualFold(s, "no") || strings.EqualFold(s, "on") || s == "<<"
	case 3:
		return strings.EqualFold(s, "yes") || strings.EqualFold(s, "off")
	case 4:
		return strings.EqualFold(s, "true") || strings.EqualFold(s, "null")
	case 5:
		return strings.EqualFold(s, "false")
	}
	return false
}

// startSpecial marks bytes that may not start a plain scalar.
var startSpecial = [256]bool{
	'?': true, ':': true, ',': true, '[': true, ']': true, '{': true, '}': true, '#': true, '&': true, '*': true,
	'!': true, '|': true, '>': true, '\'': true, '"': true, '%': true, '@': true, '`': true, '=': true, ' ': true, '\t': true,
}

func plainSafe(s string) bool {
	if s == "" || isReserved(s) {
		return false
	}
	c := s[0]
	switch {
	case c >= '0' && c <= '9':
		if numberLike(s) {
			return false // numbers, octal, hex, sexagesimal, timestamps
		}
	case c == '-' || c == '+' || c == '.':
		if len(s) == 1 || s[1] == ' ' || c == '.' || numberLike(s[1:]) {
			return false // "- x", "-1", "+.5", ".inf", ".5", "..."
		}
		if s == "---" {
			return false
		}
	case startSpecial[c]:
		return false
	}
	last := s[len(s)-1]
	if last == ' ' || last == ':' || last == '\t' {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b >= 0x80:
			return plainSafeUnicode(s)
		case b < 0x20 || b == 0x7f:
			return false
		case (b == ':' || b == ' ' || b == '\t') && i+1 < len(s):
			// ": " and ":\t" end a key; " #" and "\t#" start a comment.
			n := s[i+1]
			if b == ':' && (n == ' ' || n == '\t') || b != ':' && n == '#' {
				return false
			}
		}
	}
	return true
}

// plainSafeUnicode finishes plainSafe for strings with non-ASCII runes.
func plainSafeUnicode(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || r >= 0x80 && !unicode.IsPrint(r) || r == '\uFEFF' {
			return false
		}
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #") && !strings.Contains(s, ":\t") && !strings.Contains(s, "\t#")
}

// numberLike reports whether s is made only of characters that YAML
// 1.1 and 1.2 numbers and timestamps use, so that a reader might resolve it
// as one ("1.30.3", "0x1F", "1:20", "2001-12-14t21:59:43z"). Strings such
// as "100m", "1Gi" and "30s" stay plain.
func numberLike(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("0123456789abcdefABCDEFxXoObB_.:+-tTzZ ", s[i]) < 0 {
			return false
		}
	}
	return true
}

func singleQuotable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || r >= 0x80 && !unicode.IsPrint(r) || r == '\uFEFF' {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789ABCDEF"

func (e *emitter) doubleQuoted(s string) {
	e.buf = append(e.buf, '"')
	for _, r := range s {
		switch r {
		case '"':
			e.buf = append(e.buf, `\"`...)
		case '\\':
			e.buf = append(e.buf, `\\`...)
		case '\n':
			e.buf = append(e.buf, `\n`...)
		case '\t':
			e.buf = append(e.buf, `\t`...)
		case '\r':
			e.buf = append(e.buf, `\r`...)
		default:
			if r < 0x20 || r == 0x7f || r >= 0x80 && !unicode.IsPrint(r) || r == '\uFEFF' {
				if r <= 0xFFFF {
					e.buf = append(e.buf, '\\', 'u',
						hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
				} else {
					e.buf = append(e.buf, '\\', 'U', '0', '0', '0',
						hexDigits[r>>16&0xF], hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
				}
				continue
			}
			e.buf = utf8.AppendRune(e.buf, r)
		}
	}
	e.buf = append(e.buf, '"')
}
