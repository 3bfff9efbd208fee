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
	"strings"
)

// Example is one directory under examples/ that holds a mesh.yaml, or
// one step of a sequence of them, a numbered directory such as
// examples/canary/3-canary-tagged.
type Example struct {
	// Name is the directory's path under examples/; the golden file is
	// <Name>.yaml.
	Name string
	// Dir is the example's directory.
	Dir string
	// Sequence names the sequence a step belongs to, such as canary; ""
	// for an example on its own. The steps of a sequence are applied one
	// after the other by the sequence's own tests.
	Sequence string
}

// Examples lists the examples that hold a mesh.yaml, and the steps of the
// sequences, ordered by name.
func Examples(root string) ([]Example, error) {
	var out []Example
	// A step's directory starts with its number: examples/canary/1-before.
	for _, pattern := range []string{filepath.Join("*", "mesh.yaml"), filepath.Join("*", "[0-9]*", "mesh.yaml")} {
		matches, err := filepath.Glob(filepath.Join(root, "examples", pattern))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			dir := filepath.Dir(m)
			name, err := filepath.Rel(filepath.Join(root, "examples"), dir)
			if err != nil {
				return nil, err
			}
			e := Example{Name: filepath.ToSlash(name), Dir: dir}
			if seq, _, nested := strings.Cut(e.Name, "/"); nested {
				e.Sequence = seq
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Steps returns the steps of a sequence, in order.
func Steps(examples []Example, sequence string) []Example {
	var out []Example
	for _, e := range examples {
		if e.Sequence == sequence {
			out = append(out, e)
		}
	}
	return out
}

// ReadMesh returns the example's mesh.yaml.
func (e Example) ReadMesh() ([]byte, error) {
	return os.ReadFile(filepath.Join(e.Dir, "mesh.yaml"))
}

// ReadApplications returns the files of the example's apps/ folder, the
// Applications rendered with its mesh, in name order; none when it has
// no such folder.
func (e Example) ReadApplications() ([][]byte, error) {
	matches, err := filepath.Glob(filepath.Join(e.Dir, "apps", "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(matches)
	out := make([][]byte, len(matches))
	for i, m := range matches {
		if out[i], err = os.ReadFile(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}
