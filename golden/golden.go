// Package golden keeps the expected output of every example under
// examples/ and the tests that compare meshrender's output with it: byte
// for byte, strictly decoded into Go types, on a real API server (build
// tag e2e) and through the real kustomize binary.
//
// Regenerate the files with `make golden` after a deliberate change, and
// read the diff before committing it.
package golden

import (
	"os"
	"path/filepath"
	"sort"
)

// Example is one directory under examples/.
type Example struct {
	// Name is the directory name; the golden file is <Name>.yaml.
	Name string
	// Dir is the example's directory.
	Dir string
}

// Examples lists the examples that hold a mesh.yaml, ordered by name.
func Examples(root string) ([]Example, error) {
	matches, err := filepath.Glob(filepath.Join(root, "examples", "*", "mesh.yaml"))
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, m := range matches {
		dir := filepath.Dir(m)
		out = append(out, Example{Name: filepath.Base(dir), Dir: dir})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ReadMesh returns the example's mesh.yaml.
func (e Example) ReadMesh() ([]byte, error) {
	return os.ReadFile(filepath.Join(e.Dir, "mesh.yaml"))
}
