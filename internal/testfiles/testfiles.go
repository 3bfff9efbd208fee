// Package testfiles is what the tests of the writers and of the golden
// trees share for looking at the trees they write. Only tests import it.
package testfiles

import (
	"os"
	"path/filepath"
	"testing"
)

// Read returns every file under dir, at any depth, with its content, by
// slash path relative to dir.
func Read(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
