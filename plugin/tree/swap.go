package tree

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// swap puts the staging tree of id in place of the tree, and returns the
// name the previous tree now has beside it ("" when there was none). On
// error the tree is as it was. old is the previous tree's root as
// scanned, nil when there was none.
func swap(parent *dirfd.Dir, n siblings, id string, old *dirfd.Info) (string, error) {
	stagingName := n.staging(id)
	if old == nil {
		if _, err := parent.Lstat(n.base); !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s appeared while meshrender wrote it; run again", parent.Join(n.base))
		}
		return "", parent.Rename(stagingName, parent, n.base)
	}
	if cur, err := parent.Lstat(n.base); err != nil || !cur.SameFile(*old) {
		return "", fmt.Errorf("%s was replaced while meshrender wrote it; run again", parent.Join(n.base))
	}
	retiredName := n.retired(id)
	if err := parent.Rename(n.base, parent, retiredName); err != nil {
		return "", err
	}
	if err := parent.Rename(stagingName, parent, n.base); err != nil {
		if rerr := parent.Rename(retiredName, parent, n.base); rerr != nil {
			return "", fmt.Errorf("%w; the previous tree is at %s, and goes back at the next run", err, parent.Join(retiredName))
		}
		return "", err
	}
	return retiredName, nil
}
