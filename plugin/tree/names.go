package tree

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// siblings are the names the writer uses beside a tree, in its parent:
//
//	.<base>.lock          the lock file, while a run is active
//	.<base>.new-<16 hex>  a new tree being built
//	.<base>.old-<16 hex>  a previous tree, moved aside to be removed
//
// Earlier versions left .<base>.new-<digits>, and .<base>.new-<digits>.old
// for a previous tree. Names are matched exactly, never by pattern, so
// another directory's names (say, of a tree called "out.new-1") are never
// taken for these.
type siblings struct {
	base   string // the tree's own name
	prefix string // "." + base, shortened if base is long
}

// kinds of sibling.
const (
	notOurs = iota
	staging
	retired
)

func siblingsOf(base string) siblings {
	short := base
	if len(base) > 200 { // leave room for the suffixes within NAME_MAX
		sum := sha256.Sum256([]byte(base))
		short = base[:100] + "~" + hex.EncodeToString(sum[:8])
	}
	return siblings{base: base, prefix: "." + short}
}

func (s siblings) lock() string             { return s.prefix + ".lock" }
func (s siblings) staging(id string) string { return s.prefix + ".new-" + id }
func (s siblings) retired(id string) string { return s.prefix + ".old-" + id }

// newID returns a fresh suffix for staging and retired, random so that
// nobody can make a directory of that name before this run does.
func newID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails: it panics rather than return short
	return hex.EncodeToString(b[:])
}

// kind says which of the writer's names name is, if any.
func (s siblings) kind(name string) int {
	rest, ok := strings.CutPrefix(name, s.prefix)
	if !ok {
		return notOurs
	}
	if id, ok := strings.CutPrefix(rest, ".new-"); ok {
		if isID(id) {
			return staging
		}
		if digits, ok := strings.CutSuffix(id, ".old"); ok && isDigits(digits) {
			return retired
		}
		if isDigits(id) {
			return staging
		}
	}
	if id, ok := strings.CutPrefix(rest, ".old-"); ok && isID(id) {
		return retired
	}
	return notOurs
}

func isID(s string) bool {
	return len(s) == 16 && strings.Trim(s, "0123456789abcdef") == ""
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
