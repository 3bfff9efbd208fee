// Package tree writes a directory of generated files so that readers never
// see it half-written, and so that it owns only what it wrote.
//
// The directory's new contents are built in a staging directory beside it
// (the generated files plus every file a person put there) and swapped in
// with two renames; a failure before the swap leaves the old directory as
// it was. The files written are listed in a manifest inside the
// directory; the next write removes listed files it no longer writes and
// never touches a file that is not listed.
package tree

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestName is the file, at the top of a written directory, that lists
// the files the writer owns, one slash-separated path per line.
const ManifestName = ".meshrender-files"

// File is one generated file.
type File struct {
	// Path is slash-separated and relative to the directory.
	Path string
	Data []byte
}

// Write makes dir hold files. Files the previous write listed and this
// one does not are removed, with directories they leave empty; files not
// listed are kept as they are. dir itself must not be a Git work tree's
// root: it is replaced as a whole.
func Write(dir string, files []File) error {
	if err := checkPaths(files); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return fmt.Errorf("%s is the root of a Git work tree; write into a directory inside it", dir)
	}
	owned, err := readManifest(dir)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging) // a no-op after a successful swap
	generated := map[string]bool{}
	for _, f := range files {
		generated[f.Path] = true
	}
	if err := copyUserFiles(dir, staging, owned, generated); err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for _, f := range files {
		target := filepath.Join(staging, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, f.Data, 0o644); err != nil {
			return err
		}
		paths = append(paths, f.Path)
	}
	slices.Sort(paths)
	manifest := "# Files written by meshrender. It replaces or removes exactly these; any\n# other file here is left alone.\n" + strings.Join(paths, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(staging, ManifestName), []byte(manifest), 0o644); err != nil {
		return err
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		return err
	}
	return swap(dir, staging)
}

// checkPaths rejects paths that would leave the directory or collide.
func checkPaths(files []File) error {
	seen := map[string]bool{}
	for _, f := range files {
		p := f.Path
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".." || p == ManifestName {
			return fmt.Errorf("tree: invalid file path %q", p)
		}
		if seen[p] {
			return fmt.Errorf("tree: two files at %q", p)
		}
		seen[p] = true
	}
	return nil
}

// readManifest returns the files a previous write owns in dir.
func readManifest(dir string) (map[string]bool, error) {
	owned := map[string]bool{}
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return owned, nil
	}
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			owned[line] = true
		}
	}
	return owned, sc.Err()
}

// copyUserFiles copies into staging every file in dir the writer does not
// own and will not write, keeping its mode. A file a person put where the
// writer now writes is an error rather than lost.
func copyUserFiles(dir, staging string, owned, generated map[string]bool) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		slash := filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." {
				info, err := d.Info()
				if err != nil {
					return err
				}
				return os.MkdirAll(filepath.Join(staging, rel), info.Mode().Perm())
			}
			return nil
		}
		if slash == ManifestName || owned[slash] {
			return nil
		}
		if generated[slash] {
			return fmt.Errorf("%s was not written by meshrender; move it away before writing", p)
		}
		return copyFile(p, filepath.Join(staging, rel), d)
	})
}

func copyFile(from, to string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return os.Symlink(target, to)
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// swap puts staging in dir's place, keeping dir if the second rename
// fails.
func swap(dir, staging string) error {
	removeEmptyDirs(staging)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(staging, dir)
	}
	old := staging + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(staging, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w; the previous tree is at %s", err, old)
		}
		return err
	}
	return os.RemoveAll(old)
}

// removeEmptyDirs removes directories left empty under root, deepest
// first: those that held only files the writer no longer writes.
func removeEmptyDirs(root string) {
	var dirs []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Remove(dirs[i]) // fails, as it should, unless empty
	}
}
