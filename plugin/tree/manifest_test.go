package tree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeManifest replaces dir's manifest with the given lines.
func writeManifest(t *testing.T, dir string, lines ...string) {
	t.Helper()
	mustWrite(t, filepath.Join(dir, ManifestName), "# a hostile manifest\n"+strings.Join(lines, "\n")+"\n", 0o644)
}

// writeWithin runs Write but gives up after a while: a manifest could
// send the writer into an endless loop.
func writeWithin(t *testing.T, dir string, fs []File) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- Write(dir, fs) }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Write did not return in 20s")
		return nil
	}
}

func TestManifestWithAnAbsolutePathIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, dir, "a.yaml", "/nonexistent/meshrender/x.yaml")
	before := state(t, dir)
	err := writeWithin(t, dir, files("a.yaml"))
	if err == nil || !strings.Contains(err.Error(), ManifestName+":3:") {
		t.Errorf("err = %v, want one naming line 3 of the manifest", err)
	}
	if d := diffState(before, state(t, dir)); d != "" {
		t.Errorf("a refused write changed the tree:\n%s", d)
	}
}

func TestManifestCannotReachOutsideTheDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	// An empty directory beside the tree, and one above it.
	for _, d := range []string{filepath.Join(parent, "sibling"), filepath.Join(parent, "out", "..", "..", filepath.Base(parent)+"-up")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(d) })
	}
	writeManifest(t, dir, "a.yaml", "../sibling/gone.yaml", "../../"+filepath.Base(parent)+"-up/gone.yaml")
	if err := writeWithin(t, dir, files("a.yaml")); err == nil || !strings.Contains(err.Error(), ManifestName+":3:") {
		t.Errorf("err = %v, want one naming line 3 of the manifest", err)
	}
	for _, d := range []string{filepath.Join(parent, "sibling"), filepath.Join(filepath.Dir(parent), filepath.Base(parent)+"-up")} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("the writer removed %s, outside the tree: %v", d, err)
		}
	}
}

func TestManifestThatIsALinkIsNotRead(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "README.md"), "mine", 0o644)
	// A link committed in place of the manifest claims the person's file.
	mustWrite(t, filepath.Join(parent, "claims"), "a.yaml\nREADME.md\n", 0o644)
	if err := os.Remove(filepath.Join(dir, ManifestName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../claims", filepath.Join(dir, ManifestName)); err != nil {
		t.Fatal(err)
	}
	err := writeWithin(t, dir, files("a.yaml"))
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("err = %v, want one saying the manifest is a link", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Errorf("a person's file is gone: %v", err)
	}
}

func TestPathsThatWouldCorruptTheManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "README.md"), "mine", 0o644)
	// Written to the manifest, "x\nREADME.md" would claim README.md, and
	// "#x" would read as a comment.
	for _, p := range []string{"x\nREADME.md", "#x", "x\r", "a\\b", strings.Repeat("a/", 200) + "b", strings.Repeat("n", 256)} {
		if err := Write(dir, []File{{Path: p}}); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Errorf("a person's file is gone: %v", err)
	}
}

func TestManifestTooLargeIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, dir, strings.Repeat("a.yaml\n", 9<<20/7))
	if err := writeWithin(t, dir, files("a.yaml")); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
}
