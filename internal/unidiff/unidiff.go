// Package unidiff compares lists of lines and prints the difference as
// the hunks of a unified diff, as diff -u and git do. The golden tests
// and meshrender diff share it, so the diffs a reviewer reads in the
// canary walkthrough and on the command line are made alike.
package unidiff

import (
	"fmt"
	"strings"
)

// Lines splits text into its lines, without line ends; a final line end
// does not start another line.
func Lines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// Hunks returns the hunks of a unified diff from a to b, each with up to
// context unchanged lines around its changes, or "" when a and b are
// equal. Changes no further apart than twice the context share a hunk.
// The edit is a shortest one (Myers' algorithm), and the same input
// always gives the same output.
func Hunks(a, b []string, context int) string {
	ops := edits(a, b)
	var out strings.Builder
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		// A hunk: from context lines before the change to context lines
		// after the last change that is no further than 2*context away.
		start := max(0, k-context)
		end := k
		for n := k; n < len(ops); n++ {
			if ops[n].kind != ' ' {
				end = n
			} else if n-end > 2*context {
				break
			}
		}
		end = min(len(ops), end+context+1)
		var removed, added int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				removed++
			}
			if o.kind != '-' {
				added++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(ops[start].i, removed), hunkRange(ops[start].j, added))
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		k = end
	}
	return out.String()
}

// hunkRange is one side of a hunk header for count lines after the
// first 0-based line. An empty side names the line before it, as diff -u
// does (so a file's first lines added are -0,0).
func hunkRange(first, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", first)
	}
	return fmt.Sprintf("%d,%d", first+1, count)
}

// An op is one line of the edit from a to b.
type op struct {
	kind byte // ' ' kept, '-' removed from a, '+' added from b
	text string
	i, j int // lines of a and b before it, 0-based
}

// edits is a shortest edit from a to b, line by line: within each change
// the lines removed come before the lines added.
func edits(a, b []string) []op {
	d := differ{a: a, b: b, removed: make([]bool, len(a)), added: make([]bool, len(b))}
	d.compare(0, len(a), 0, len(b))
	ops := make([]op, 0, max(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && d.removed[i]:
			ops = append(ops, op{'-', a[i], i, j})
			i++
		case j < len(b) && d.added[j]:
			ops = append(ops, op{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, op{' ', a[i], i, j})
			i, j = i+1, j+1
		}
	}
	return ops
}

// differ marks the lines of a shortest edit script, found with the linear
// space refinement of Myers' O(ND) algorithm ("An O(ND) Difference
// Algorithm and Its Variations", 1986, section 4b): memory stays linear in
// the input, where a table of common subsequences would be quadratic,
// which a rendered CRD of thousands of lines cannot afford.
type differ struct {
	a, b           []string
	removed, added []bool
}

// compare marks the edit from a[a0:a1] to b[b0:b1].
func (d *differ) compare(a0, a1, b0, b1 int) {
	for a0 < a1 && b0 < b1 && d.a[a0] == d.b[b0] {
		a0, b0 = a0+1, b0+1
	}
	for a0 < a1 && b0 < b1 && d.a[a1-1] == d.b[b1-1] {
		a1, b1 = a1-1, b1-1
	}
	switch {
	case a0 == a1:
		for j := b0; j < b1; j++ {
			d.added[j] = true
		}
	case b0 == b1:
		for i := a0; i < a1; i++ {
			d.removed[i] = true
		}
	default:
		// With the common ends cut off and neither side empty, the edit
		// is at least two lines long, so the halves on either side of
		// the middle snake are both shorter.
		x, y, u, v := d.middleSnake(a0, a1, b0, b1)
		d.compare(a0, x, b0, y)
		d.compare(u, a1, v, b1)
	}
}

// middleSnake returns the middle snake of a shortest edit from
// a[a0:a1] to b[b0:b1]: the run of equal lines from (x, y) to (u, v) that
// a shortest path takes half way through. It searches forward from the
// start and backward from the end at once until the two searches meet.
func (d *differ) middleSnake(a0, a1, b0, b1 int) (x, y, u, v int) {
	n, m := a1-a0, b1-b0
	delta := n - m
	limit := (n + m + 1) / 2
	// forward[off+k] is the furthest x reached on diagonal k = x-y;
	// backward[off+c] the same from the end, on reversed sides.
	off := limit + 1
	forward := make([]int, 2*off+1)
	backward := make([]int, 2*off+1)
	for e := 0; e <= limit; e++ {
		for k := -e; k <= e; k += 2 {
			var x int
			if k == -e || (k != e && forward[off+k-1] < forward[off+k+1]) {
				x = forward[off+k+1] // down: a line added
			} else {
				x = forward[off+k-1] + 1 // right: a line removed
			}
			y := x - k
			x0, y0 := x, y
			for x < n && y < m && d.a[a0+x] == d.b[b0+y] {
				x, y = x+1, y+1
			}
			forward[off+k] = x
			// With an odd delta the paths meet on a forward step.
			if c := delta - k; delta%2 != 0 && c >= -(e-1) && c <= e-1 && x+backward[off+c] >= n {
				return a0 + x0, b0 + y0, a0 + x, b0 + y
			}
		}
		for c := -e; c <= e; c += 2 {
			var x int
			if c == -e || (c != e && backward[off+c-1] < backward[off+c+1]) {
				x = backward[off+c+1]
			} else {
				x = backward[off+c-1] + 1
			}
			y := x - c
			x0, y0 := x, y
			for x < n && y < m && d.a[a1-1-x] == d.b[b1-1-y] {
				x, y = x+1, y+1
			}
			backward[off+c] = x
			// With an even delta the paths meet on a backward step.
			if k := delta - c; delta%2 == 0 && k >= -e && k <= e && x+forward[off+k] >= n {
				return a1 - x, b1 - y, a1 - x0, b1 - y0
			}
		}
	}
	panic("unidiff: no middle snake") // unreachable: the paths meet by step limit
}
