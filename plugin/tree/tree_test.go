package tree

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/meshrender/meshrender/internal/testfiles"
)

func keys(m map[string]string) string {
	var k []string
	for p := range m {
		k = append(k, p)
	}
	sort.Strings(k)
	return strings.Join(k, " ")
}

func files(paths ...string) []File {
	var out []File
	for _, p := range paths {
		out = append(out, File{Path: p, Data: []byte("content of " + p + "\n")})
	}
	return out
}

func TestWriteRewriteAndPrune(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, files("crds/a.yaml", "gateways/z1/gw.yaml", "gateways/z2/gw.yaml")); err != nil {
		t.Fatal(err)
	}
	// A person adds files of their own, one in a directory the writer uses.
	for _, p := range []string{"README.md", "gateways/z2/notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := testfiles.Read(t, dir)
	if err := Write(dir, files("crds/a.yaml", "gateways/z1/gw.yaml", "gateways/z2/gw.yaml")); err != nil {
		t.Fatal(err)
	}
	if after := testfiles.Read(t, dir); keys(after) != keys(before) {
		t.Fatalf("rewriting the same files changed the tree:\n%s\n%s", keys(before), keys(after))
	} else {
		for p, c := range before {
			if after[p] != c {
				t.Errorf("%s changed", p)
			}
		}
	}
	// One zone fewer: z2's file goes, the person's files stay.
	if err := Write(dir, files("crds/a.yaml", "gateways/z1/gw.yaml")); err != nil {
		t.Fatal(err)
	}
	got := testfiles.Read(t, dir)
	want := ".meshrender-files README.md crds/a.yaml gateways/z1/gw.yaml gateways/z2/notes.txt"
	if keys(got) != want {
		t.Errorf("after pruning: %s\nwant: %s", keys(got), want)
	}
	if st, err := os.Stat(filepath.Join(dir, "README.md")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("a person's file lost its mode: %v %v", st, err)
	}
	// A directory only the writer used disappears with its files.
	if err := Write(dir, files("crds/a.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "gateways", "z1")); !os.IsNotExist(err) {
		t.Errorf("empty gateways/z1 left behind: %v", err)
	}
}

func TestFailureLeavesTreeIntact(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := testfiles.Read(t, dir)
	err := Write(dir, files("a.yaml", "b.yaml"))
	if err == nil || !strings.Contains(err.Error(), "was not written by meshrender") {
		t.Fatalf("overwriting a person's file: err = %v", err)
	}
	after := testfiles.Read(t, dir)
	if keys(after) != keys(before) || after["b.yaml"] != "mine" {
		t.Errorf("a failed write changed the tree: %s", keys(after))
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("staging directories left behind: %v", entries)
	}
}

func TestRejects(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"", "/abs", "../up", "a/../b", "a//b", ManifestName} {
		if err := Write(filepath.Join(dir, "x"), []File{{Path: p}}); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if err := Write(filepath.Join(dir, "x"), files("a", "a")); err == nil {
		t.Error("duplicate paths accepted")
	}
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, files("a")); err == nil || !strings.Contains(err.Error(), "Git work tree") {
		t.Errorf("writing over a Git root: %v", err)
	}
}

func TestKeepsPeoplesDirectoriesAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, files("gw/a/x.yaml", "gw/b/x.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty-but-mine"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, files("gw/a/x.yaml")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "empty-but-mine")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("a person's empty directory: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "gw", "b")); !os.IsNotExist(err) {
		t.Errorf("gw/b, emptied by the writer, is still there: %v", err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o750 {
		t.Errorf("the directory's mode changed to %v", st.Mode().Perm())
	}
}

func TestRelativePathsAndTheWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, d := range []string{".", "..", dir} {
		if err := Write(d, files("a.yaml")); err == nil || !strings.Contains(err.Error(), "holds the working directory") {
			t.Errorf("Write(%q): %v", d, err)
		}
	}
	if err := Write("out", files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	if got := keys(testfiles.Read(t, dir)); got != "out/.meshrender-files out/a.yaml" {
		t.Errorf("tree: %s", got)
	}
}

func TestRefusesSpecialFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := Write(dir, files("a.yaml")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("err = %v", err)
	}
}
