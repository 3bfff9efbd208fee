package tree

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outAndOther writes out/{sub/a.yaml,b.yaml} and makes other/, beside it,
// holding a read-only a.yaml of its own.
func outAndOther(t *testing.T) (out, other string) {
	t.Helper()
	parent := t.TempDir()
	out, other = filepath.Join(parent, "out"), filepath.Join(parent, "other")
	if err := Write(out, files("sub/a.yaml", "b.yaml")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(other, "a.yaml"), "theirs", 0o444)
	return out, other
}

// replaceWithLink puts a symbolic link to target at p.
func replaceWithLink(t *testing.T, p, target string) {
	t.Helper()
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func TestALinkWhereTheWriterNeedsADirectoryIsAnError(t *testing.T) {
	for _, target := range []string{"../other", "abs"} {
		t.Run(target, func(t *testing.T) {
			out, other := outAndOther(t)
			if target == "abs" {
				target = other
			}
			// As committed to the repository: sub is a link to other.
			replaceWithLink(t, filepath.Join(out, "sub"), target)
			beforeOut, beforeOther := state(t, out), state(t, other)
			err := Write(out, files("sub/a.yaml", "b.yaml"))
			if err == nil || !strings.Contains(err.Error(), filepath.Join(out, "sub")+" is a symbolic link") {
				t.Errorf("err = %v, want one naming %s as a link", err, filepath.Join(out, "sub"))
			}
			if d := diffState(beforeOther, state(t, other)); d != "" {
				t.Errorf("the writer changed the directory the link points to:\n%s", d)
			}
			if d := diffState(beforeOut, state(t, out)); d != "" {
				t.Errorf("a refused write changed the tree:\n%s", d)
			}
		})
	}
}

func TestALinkWhereTheWriterWritesAFileIsAnError(t *testing.T) {
	out, other := outAndOther(t)
	replaceWithLink(t, filepath.Join(out, "b.yaml"), "../other/a.yaml")
	beforeOther := state(t, other)
	err := Write(out, files("sub/a.yaml", "b.yaml"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(out, "b.yaml")+" is a symbolic link") {
		t.Errorf("err = %v, want one naming %s as a link", err, filepath.Join(out, "b.yaml"))
	}
	if d := diffState(beforeOther, state(t, other)); d != "" {
		t.Errorf("the link's target changed:\n%s", d)
	}
}

func TestPeoplesLinksElsewhereAreKept(t *testing.T) {
	out, other := outAndOther(t)
	for p, target := range map[string]string{"mine": "../other", "sub/up": "../b.yaml", "dangling": "nowhere", "abs": other} {
		if err := os.Symlink(target, filepath.Join(out, p)); err != nil {
			t.Fatal(err)
		}
	}
	before := state(t, out)
	if err := Write(out, files("sub/a.yaml", "b.yaml", "c.yaml")); err != nil {
		t.Fatal(err)
	}
	after := state(t, out)
	for _, p := range []string{"mine", "sub/up", "dangling", "abs"} {
		if after[p] != before[p] {
			t.Errorf("%s changed:\n  was %s\n  now %s", p, before[p], after[p])
		}
	}
}

func TestOwnedFilesBehindALinkAreLeftAlone(t *testing.T) {
	// The manifest lists sub/a.yaml; a person made sub a link since. The
	// next write no longer writes it: nothing behind the link goes, and
	// the link stays.
	out, other := outAndOther(t)
	replaceWithLink(t, filepath.Join(out, "sub"), "../other")
	beforeOut, beforeOther := state(t, out), state(t, other)
	if err := Write(out, files("b.yaml")); err != nil {
		t.Fatal(err)
	}
	if d := diffState(beforeOther, state(t, other)); d != "" {
		t.Errorf("the directory behind the link changed:\n%s", d)
	}
	if after := state(t, out); after["sub"] != beforeOut["sub"] {
		t.Errorf("the link changed:\n  was %s\n  now %s", beforeOut["sub"], after["sub"])
	}
}

func TestAnOutputDirectoryThatIsALinkIsRefused(t *testing.T) {
	parent := t.TempDir()
	real, link := filepath.Join(parent, "real"), filepath.Join(parent, "link")
	if err := Write(real, files("a.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	before := state(t, parent)
	err := Write(link, files("a.yaml", "b.yaml"))
	if err == nil || !strings.Contains(err.Error(), link+" is a symbolic link to real; give the real path") {
		t.Errorf("err = %v", err)
	}
	if d := diffState(before, state(t, parent)); d != "" {
		t.Errorf("a refused write changed things:\n%s", d)
	}
}
