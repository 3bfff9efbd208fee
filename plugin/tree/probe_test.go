package tree

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// canExchange reports whether the file system under dir swaps names in
// one step; where it cannot, the writer falls back to two renames.
func canExchange(t *testing.T, dir string) bool {
	t.Helper()
	for _, d := range []string{"x", "y"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Join(dir, d))
	}
	d, err := dirfd.OpenPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return d.Exchange("x", d, "y") == nil
}
