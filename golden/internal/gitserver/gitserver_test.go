package gitserver

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommitsReachAClone pushes two commits, the second removing a file,
// and clones the repository over HTTP as a Git client would: it gets the
// second commit's tree. The same commits on another server have the same
// hashes.
func TestCommitsReachAClone(t *testing.T) {
	var heads []string
	for range 2 {
		s, err := Start(filepath.Join(t.TempDir(), "repos"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		url, err := s.NewRepository("clusters", "main")
		if err != nil {
			t.Fatal(err)
		}
		c, err := Clone(url, "main", filepath.Join(t.TempDir(), "work"))
		if err != nil {
			t.Fatal(err)
		}
		write := func(name, data string) {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(c.Dir, name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(c.Dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("a/one.yaml", "one\n")
		write("a/two.yaml", "two\n")
		if _, err := c.CommitAll("first"); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(c.Dir, "a/two.yaml")); err != nil {
			t.Fatal(err)
		}
		head, err := c.CommitAll("second")
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, head)
		clone := filepath.Join(t.TempDir(), "clone")
		if out, err := exec.Command("git", "clone", "--quiet", "--branch", "main", url, clone).CombinedOutput(); err != nil {
			t.Fatalf("git clone %s: %v\n%s", url, err, out)
		}
		if data, err := os.ReadFile(filepath.Join(clone, "a/one.yaml")); err != nil || string(data) != "one\n" {
			t.Errorf("the clone's a/one.yaml: %q, %v", data, err)
		}
		if _, err := os.Stat(filepath.Join(clone, "a/two.yaml")); !os.IsNotExist(err) {
			t.Errorf("the clone has a/two.yaml, which the second commit removed (%v)", err)
		}
		if !slices.ContainsFunc(s.Requests(), func(r string) bool { return strings.Contains(r, "git-upload-pack") }) {
			t.Errorf("the clone did not go through the server: %v", s.Requests())
		}
	}
	if heads[0] != heads[1] {
		t.Errorf("the same commits have hashes %s and %s", heads[0], heads[1])
	}
}
