// Package tree writes a directory of generated files so that readers never
// see it half-written, and so that it owns only what it wrote.
//
// The directory's new contents are built in a staging directory beside it
// (the generated files plus a copy of every file a person put there, with
// its mode) and swapped in with two renames; a failure before the swap
// leaves the old directory as it was, and a run killed midway is cleaned
// up by the next. People's files keep their content and mode but are new
// files after each write. The files written are listed in a manifest inside the
// directory; the next write removes listed files it no longer writes and
// never touches a file that is not listed.
package tree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// File is one generated file.
type File struct {
	// Path is slash-separated and relative to the directory.
	Path string
	Data []byte
}

// Options adjusts Write; the zero value gives the defaults.
type Options struct {
	// LockWait is how long to wait for another run writing the same
	// directory: zero means DefaultLockWait, a negative value not at all.
	LockWait time.Duration
}

func (o Options) lockWait() time.Duration {
	switch {
	case o.LockWait == 0:
		return DefaultLockWait
	case o.LockWait < 0:
		return 0
	}
	return o.LockWait
}

// Write is Options{}.Write.
func Write(dir string, files []File) error { return Options{}.Write(dir, files) }

// Write makes dir hold files. Files the previous write listed and this
// one does not are removed, with directories they leave empty; files not
// listed are kept as they are. dir itself must not be a Git work tree's
// root: it is replaced as a whole.
func (o Options) Write(dir string, files []File) error {
	if err := checkFiles(files); err != nil {
		return err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return fmt.Errorf("%s is the root of a Git work tree; write into a directory inside it", dir)
	}
	if wd, err := os.Getwd(); err == nil && (wd == dir || strings.HasPrefix(wd, dir+string(filepath.Separator))) {
		return fmt.Errorf("%s holds the working directory, and the writer replaces it as a whole; write into a directory below it", dir)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	pd, err := dirfd.OpenPath(parent)
	if err != nil {
		return err
	}
	defer pd.Close()
	lk, err := acquireLock(pd, siblingsOf(filepath.Base(dir)).lock(), dir, o.lockWait())
	if err != nil {
		return err
	}
	defer lk.release()
	if err := cleanUpAfterKill(dir); err != nil {
		return err
	}
	owned, err := readOwned(dir)
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o755)
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		mode = st.Mode().Perm()
	}
	staging, err := os.MkdirTemp(parent, stagingPrefix(dir))
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
	if err := os.WriteFile(filepath.Join(staging, ManifestName), formatManifest(paths), 0o644); err != nil {
		return err
	}
	if err := os.Chmod(staging, mode); err != nil {
		return err
	}
	removeEmptied(staging, owned, generated)
	return swap(dir, staging)
}

// stagingPrefix names the staging directories of dir; they sit beside it
// so the swap is a rename on one file system.
func stagingPrefix(dir string) string {
	return "." + filepath.Base(dir) + ".new-"
}

// cleanUpAfterKill cleans up after a run that was killed: staging
// directories are removed, and a tree moved aside just before the swap is
// put back.
func cleanUpAfterKill(dir string) error {
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		return err
	}
	_, statErr := os.Stat(dir)
	for _, e := range entries {
		if siblingsOf(filepath.Base(dir)).kind(e.Name()) == notOurs {
			continue
		}
		p := filepath.Join(filepath.Dir(dir), e.Name())
		if strings.HasSuffix(p, ".old") && errors.Is(statErr, fs.ErrNotExist) {
			if err := os.Rename(p, dir); err != nil {
				return err
			}
			statErr = nil
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}

// readOwned returns the files a previous write owns in dir.
func readOwned(dir string) (map[string]bool, error) {
	d, err := dirfd.OpenPath(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return readManifest(d)
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
	if !info.Mode().IsRegular() && info.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("%s is not a regular file or a symbolic link; the tree cannot be swapped with it in place", from)
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
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
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

// removeEmptied removes the directories of owned files that are no longer
// written, when nothing else is left in them, and their parents likewise:
// a directory a person made stays, even when empty.
func removeEmptied(root string, owned, generated map[string]bool) {
	var dirs []string
	for p := range owned {
		if generated[p] {
			continue
		}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs = append(dirs, d)
		}
	}
	// Deepest first, so a parent is tried after its children.
	slices.SortFunc(dirs, func(a, b string) int {
		if d := strings.Count(b, "/") - strings.Count(a, "/"); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, d := range slices.Compact(dirs) {
		_ = os.Remove(filepath.Join(root, filepath.FromSlash(d))) // fails, as it should, unless empty
	}
}
