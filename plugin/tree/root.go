package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// openParent opens the parent of dir, an absolute path, making it if
// missing: below o.Root one element at a time, never through a link;
// without a root, by resolving its path.
func (o Options) openParent(dir string) (*dirfd.Dir, error) {
	parentPath := filepath.Dir(dir)
	if o.Root == "" {
		if err := os.MkdirAll(parentPath, 0o755); err != nil {
			return nil, err
		}
		return dirfd.OpenPath(parentPath)
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, parentPath)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s is not inside %s", dir, root)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	d, err := dirfd.OpenPath(root)
	if err != nil || rel == "." {
		return d, err
	}
	for _, name := range strings.Split(rel, string(filepath.Separator)) {
		sub, err := openOrMake(d, name, root)
		d.Close()
		if err != nil {
			return nil, err
		}
		d = sub
	}
	return d, nil
}

// openOrMake opens the directory name in d, making it if missing. A link
// there is an error naming it: root is what it must not lead out of.
func openOrMake(d *dirfd.Dir, name, root string) (*dirfd.Dir, error) {
	info, err := d.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		if err := d.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		info, err = d.Lstat(name)
	}
	switch {
	case err != nil:
		return nil, err
	case info.Type == dirfd.Symlink:
		target, _ := d.Readlink(name)
		return nil, fmt.Errorf("%s is a symbolic link to %s; meshrender writes below %s only through real directories, so it cannot lead outside: replace the link with a directory", d.Join(name), target, root)
	case info.Type != dirfd.Directory:
		return nil, fmt.Errorf("%s is not a directory; meshrender needs one there", d.Join(name))
	}
	// O_NOFOLLOW: a link swapped in since the lstat fails here.
	return d.OpenDir(name)
}
