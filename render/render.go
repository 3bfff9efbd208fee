package render

import (
	"bufio"
	"bytes"
	"io"
)

// Render defaults and validates m, then returns every object of the mesh
// in install order. m itself is not changed. An invalid config returns a
// *ValidationError listing every problem.
func Render(m Mesh) ([]Object, error) {
	c, err := prepare(m)
	if err != nil {
		return nil, err
	}
	var objs []Object
	err = c.emit(func(o Object) error {
		// The caller owns what Render returns; the YAML the sink sees is
		// a scratch buffer or, for CRDs, the binary's read-only data.
		o.YAML = bytes.Clone(o.YAML)
		objs = append(objs, o)
		return nil
	})
	return objs, err
}

// Write renders m and writes it to w as one YAML stream, without holding
// the whole output in memory. Nothing is written unless m is valid.
func Write(w io.Writer, m Mesh) error {
	c, err := prepare(m)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := c.emit(func(o Object) error {
		bw.WriteString(separator)
		_, err := bw.Write(o.YAML)
		return err
	}); err != nil {
		return err
	}
	return bw.Flush()
}

// YAML renders m as one YAML stream, documents separated by "---".
func YAML(m Mesh) ([]byte, error) {
	c, err := prepare(m)
	if err != nil {
		return nil, err
	}
	var out []byte
	err = c.emitSized(func(n int) { out = make([]byte, 0, n) }, func(o Object) error {
		out = append(out, separator...)
		out = append(out, o.YAML...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const separator = "---\n"

// WriteYAML writes objects as one YAML stream.
func WriteYAML(w io.Writer, objs []Object) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, o := range objs {
		bw.WriteString(separator)
		bw.Write(o.YAML)
	}
	return bw.Flush()
}

// Prepare returns a defaulted copy of m, or the validation errors that
// keep it from rendering.
func Prepare(m Mesh) (*Mesh, error) {
	c, err := prepare(m)
	if err != nil {
		return nil, err
	}
	return c.mesh, nil
}

// prepare defaults a copy of m and checks it.
func prepare(m Mesh) (*checked, error) {
	mesh := m.DeepCopy()
	if err := mesh.Default(); err != nil {
		return nil, err
	}
	return mesh.check()
}
