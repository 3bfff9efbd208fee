//go:build linux || darwin || freebsd || netbsd || openbsd

package dirfd

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// setup makes root/{real/file, link -> real, filelink -> real/file} and
// opens root.
func setup(t *testing.T) (*Dir, string) {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "real", "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real/file", filepath.Join(root, "filelink")); err != nil {
		t.Fatal(err)
	}
	d, err := OpenPath(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, root
}

func TestNeverFollowsLinks(t *testing.T) {
	d, root := setup(t)
	if _, err := d.OpenDir("link"); err == nil {
		t.Error("OpenDir followed a link")
	}
	if _, err := d.OpenFile("filelink", os.O_RDONLY, 0); err == nil {
		t.Error("OpenFile followed a link")
	}
	if f, err := d.Create("filelink", 0o644); err == nil {
		f.Close()
		t.Error("Create wrote through a link")
	}
	if info, err := d.Lstat("link"); err != nil || info.Type != Symlink {
		t.Errorf("Lstat(link) = %+v, %v", info, err)
	}
	// A link is linked itself: the new name is a link with the same inode.
	if err := d.Link("link", d, "link2"); err != nil {
		t.Fatal(err)
	}
	a := lstat(t, d, "link")
	b, err := d.Lstat("link2")
	if err != nil || !a.SameFile(b) || b.Type != Symlink {
		t.Errorf("Link of a link: %+v %+v %v", a, b, err)
	}
	if target, err := d.Readlink("link2"); err != nil || target != "real" {
		t.Errorf("Readlink = %q, %v", target, err)
	}
	if err := d.Unlink("link2"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "real", "file")); err != nil {
		t.Errorf("unlinking a link removed its target: %v", err)
	}
}

func TestRefusesPathsOfMoreThanOneElement(t *testing.T) {
	d, _ := setup(t)
	for _, name := range []string{"", ".", "..", "real/file", "/etc", "link/file"} {
		if _, err := d.Lstat(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Lstat(%q) = %v, want ErrInvalid", name, err)
		}
		if _, err := d.OpenFile(name, os.O_RDONLY, 0); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("OpenFile(%q) = %v, want ErrInvalid", name, err)
		}
	}
}

func TestNamesAndErrors(t *testing.T) {
	d, root := setup(t)
	for range 2 { // a second listing starts at the top again
		names, err := d.Names()
		if err != nil || !slices.Equal(names, []string{"filelink", "link", "real"}) {
			t.Fatalf("Names = %v, %v", names, err)
		}
	}
	_, err := d.Lstat("missing")
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != filepath.Join(root, "missing") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat(missing) = %v; want a PathError naming the full path", err)
	}
}

func TestExchange(t *testing.T) {
	d, _ := setup(t)
	if err := d.Mkdir("other", 0o700); err != nil {
		t.Fatal(err)
	}
	real, other := lstat(t, d, "real"), lstat(t, d, "other")
	err := d.Exchange("real", d, "other")
	if runtime.GOOS != "linux" {
		if err != ErrUnsupported {
			t.Errorf("Exchange = %v, want ErrUnsupported", err)
		}
		return
	}
	if err == ErrUnsupported {
		t.Skip("this file system cannot exchange names")
	}
	if err != nil {
		t.Fatal(err)
	}
	if a, b := lstat(t, d, "real"), lstat(t, d, "other"); !a.SameFile(other) || !b.SameFile(real) {
		t.Error("Exchange did not swap the names")
	}
	if err := d.RenameNoReplace("real", d, "other"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("RenameNoReplace onto an existing name = %v", err)
	}
}

// lstat is d.Lstat(name), which must succeed: two failed calls give equal
// empty Infos, which would pass for the same file.
func lstat(t *testing.T, d *Dir, name string) Info {
	t.Helper()
	info, err := d.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
