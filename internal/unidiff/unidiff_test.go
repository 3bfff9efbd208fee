package unidiff

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestHunks(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"two hunks", "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nC\nd\ne\nf\ng\nh\ni\n",
			"@@ -1,5 +1,5 @@\n a\n b\n-c\n+C\n d\n e\n@@ -7,2 +7,3 @@\n g\n h\n+i\n"},
		{"changes 2*context apart share a hunk", "a\nb\nc\nd\ne\nf\n", "A\nb\nc\nd\ne\nF\n",
			"@@ -1,6 +1,6 @@\n-a\n+A\n b\n c\n d\n e\n-f\n+F\n"},
		{"into an empty file", "", "a\nb\n", "@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"all removed", "a\nb\n", "", "@@ -1,2 +0,0 @@\n-a\n-b\n"},
		{"added at the start", "b\nc\nd\ne\n", "a\nb\nc\nd\ne\n", "@@ -1,2 +1,3 @@\n+a\n b\n c\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hunks(Lines(tt.a), Lines(tt.b), 2); got != tt.want {
				t.Errorf("Hunks =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestEditsAreShortest: on random inputs the edit turns a into b and is
// as short as the longest common subsequence allows.
func TestEditsAreShortest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func() []string {
		s := make([]string, r.IntN(30))
		for i := range s {
			s[i] = string(rune('a' + r.IntN(4)))
		}
		return s
	}
	for range 2000 {
		a, b := random(), random()
		var kept, changed int
		var gotA, gotB []string
		for _, o := range edits(a, b) {
			switch o.kind {
			case ' ':
				kept++
				gotA, gotB = append(gotA, o.text), append(gotB, o.text)
			case '-':
				changed++
				gotA = append(gotA, o.text)
			case '+':
				changed++
				gotB = append(gotB, o.text)
			}
		}
		if strings.Join(gotA, "") != strings.Join(a, "") || strings.Join(gotB, "") != strings.Join(b, "") {
			t.Fatalf("edit of %q to %q does not give them back", a, b)
		}
		if lcs := lcsLength(a, b); kept != lcs || changed != len(a)+len(b)-2*lcs {
			t.Fatalf("edit of %q to %q keeps %d lines, the longest common subsequence has %d", a, b, kept, lcs)
		}
	}
}

// lcsLength is the length of the longest common subsequence, by table.
func lcsLength(a, b []string) int {
	next := make([]int, len(b)+1)
	for i := len(a) - 1; i >= 0; i-- {
		cur := make([]int, len(b)+1)
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				cur[j] = next[j+1] + 1
			} else {
				cur[j] = max(next[j], cur[j+1])
			}
		}
		next = cur
	}
	return next[0]
}

// TestLargeInputs: two long, entirely different inputs take linear memory
// (a table of common subsequences would need 200 MB here) and little
// time.
func TestLargeInputs(t *testing.T) {
	a, b := make([]string, 5000), make([]string, 5000)
	for i := range a {
		a[i], b[i] = "a"+strings.Repeat("x", i%7), "b"
	}
	b[2500] = "a"
	if h := Hunks(a, b, 3); !strings.HasPrefix(h, "@@ -1,5000 +1,5000 @@\n") {
		t.Errorf("hunk header %.40q", h)
	}
}
