package golden

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/internal/testfiles"
	"github.com/meshrender/meshrender/plugin/gitops"
)

// The part of examples/canary/README.md that TestCanaryWalkthroughIsCurrent
// writes: how each step changes the Flux tree.
const (
	walkthroughBegin = "<!-- BEGIN step diffs: written by make golden -->\n"
	walkthroughEnd   = "<!-- END step diffs -->\n"
)

// TestCanaryWalkthroughIsCurrent: the canary README shows, for every step,
// the change it makes to the mesh's Flux tree, the files added and
// removed and the diff of every file changed, as a reviewer sees it in
// the pull request; -update rewrites it from the steps.
func TestCanaryWalkthroughIsCurrent(t *testing.T) {
	steps := Steps(examples(t), "canary")
	if len(steps) == 0 {
		t.Fatal("no canary steps")
	}
	trees := make([]map[string]string, len(steps))
	for i, step := range steps {
		trees[i] = fluxTree(t, step)
	}
	var b strings.Builder
	b.WriteString(walkthroughBegin)
	for i := 1; i < len(steps); i++ {
		fmt.Fprintf(&b, "\n### %s\n\n```diff\n", strings.TrimPrefix(steps[i].Name, "canary/"))
		b.WriteString(treeDiff(trees[i-1], trees[i]))
		b.WriteString("```\n")
	}
	b.WriteString("\n" + walkthroughEnd)

	path := filepath.Join("..", "examples", "canary", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start, end := bytes.Index(readme, []byte(walkthroughBegin)), bytes.Index(readme, []byte(walkthroughEnd))
	if start < 0 || end < start {
		t.Fatalf("%s lacks the lines %q and %q", path, walkthroughBegin, walkthroughEnd)
	}
	want := slices.Concat(readme[:start], []byte(b.String()), readme[end+len(walkthroughEnd):])
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(readme, want) {
		t.Errorf("%s does not show the steps' diffs as they are; make golden rewrites it", path)
	}
}

// fluxTree is a step's Flux tree: path under the mesh's folder -> data,
// without the files meshrender keeps its own record in.
func fluxTree(t *testing.T, e Example) map[string]string {
	t.Helper()
	tree := testfiles.Read(t, filepath.Join(writeGitOps(t, exampleMesh(t, e), gitops.Flux), "clusters", "canary"))
	maps.DeleteFunc(tree, func(p, _ string) bool { return path.Base(p) == ".meshrender-files" })
	return tree
}

// treeDiff lists the files added to and removed from a tree and the
// unified diff of every file changed, paths sorted.
func treeDiff(before, after map[string]string) string {
	var paths []string
	for p := range before {
		paths = append(paths, p)
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var listed, changed strings.Builder
	for _, p := range paths {
		a, inBefore := before[p]
		b, inAfter := after[p]
		switch {
		case !inBefore:
			fmt.Fprintf(&listed, "+ added   %s\n", p)
		case !inAfter:
			fmt.Fprintf(&listed, "- removed %s\n", p)
		case a != b:
			fmt.Fprintf(&changed, "--- a/%s\n+++ b/%s\n%s", p, p, unifiedDiff(lines(a), lines(b), 2))
		}
	}
	return listed.String() + changed.String()
}

func lines(data string) []string {
	return strings.Split(strings.TrimSuffix(data, "\n"), "\n")
}

// unifiedDiff is the hunks of a unified diff of two lists of lines, with
// context lines around each change, from their longest common
// subsequence.
func unifiedDiff(a, b []string, context int) string {
	// lcs[i][j] is the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-' or '+'
		text string
		i, j int // line numbers before the op, 0-based
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, op{'+', b[j], i, j})
			j++
		}
	}
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
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", ops[start].i+1, removed, ops[start].j+1, added)
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text + "\n")
		}
		k = end
	}
	return out.String()
}

// TestUnifiedDiff keeps the walkthrough's diffs honest.
func TestUnifiedDiff(t *testing.T) {
	a := lines("a\nb\nc\nd\ne\nf\ng\nh\n")
	b := lines("a\nb\nC\nd\ne\nf\ng\nh\ni\n")
	want := "@@ -1,5 +1,5 @@\n a\n b\n-c\n+C\n d\n e\n@@ -7,2 +7,3 @@\n g\n h\n+i\n"
	if got := unifiedDiff(a, b, 2); got != want {
		t.Errorf("unifiedDiff =\n%s\nwant\n%s", got, want)
	}
}
