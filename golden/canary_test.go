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
	"github.com/meshrender/meshrender/internal/unidiff"
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
			fmt.Fprintf(&changed, "--- a/%s\n+++ b/%s\n%s", p, p, unidiff.Hunks(unidiff.Lines(a), unidiff.Lines(b), 2))
		}
	}
	return listed.String() + changed.String()
}
