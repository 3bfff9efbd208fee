package golden

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/plugin/cli"
)

// The part of examples/canary/README.md that TestCanaryWalkthroughIsCurrent
// writes: how each step changes the Flux tree.
const (
	walkthroughBegin = "<!-- BEGIN step diffs: written by make golden -->\n"
	walkthroughEnd   = "<!-- END step diffs -->\n"
)

// TestCanaryWalkthroughIsCurrent: the canary README shows, for every step,
// what `meshrender diff` prints for it against the step before: the
// objects added, removed and changed, and the diff of every changed one
// but the CRDs, as a reviewer reads it in the step's pull request; -update
// rewrites it from the steps.
func TestCanaryWalkthroughIsCurrent(t *testing.T) {
	steps := Steps(examples(t), "canary")
	if len(steps) == 0 {
		t.Fatal("no canary steps")
	}
	var b strings.Builder
	b.WriteString(walkthroughBegin)
	for i := 1; i < len(steps); i++ {
		prev, cur := stepMesh(steps[i-1]), stepMesh(steps[i])
		args := []string{"diff", "--brief-kind", "CustomResourceDefinition", prev, cur}
		var out, errOut bytes.Buffer
		if code := cli.Main(args, strings.NewReader(""), &out, &errOut); code != cli.ExitDiffer {
			t.Fatalf("meshrender %s: exit %d, want %d (the steps differ): %s", strings.Join(args, " "), code, cli.ExitDiffer, errOut.String())
		}
		fmt.Fprintf(&b, "\n### %s\n\n```console\n$ meshrender diff --brief-kind CustomResourceDefinition \\\n    %s %s\n%s```\n",
			strings.TrimPrefix(steps[i].Name, "canary/"), relativeToCanary(prev), relativeToCanary(cur), out.String())
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

// stepMesh is the path of a step's mesh.yaml.
func stepMesh(e Example) string { return filepath.Join(e.Dir, "mesh.yaml") }

// relativeToCanary is a path as the canary README names it, from its
// folder.
func relativeToCanary(path string) string {
	return filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(path)), filepath.Base(path)))
}
