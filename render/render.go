package render

import (
	"bufio"
	"bytes"
	"io"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// Render defaults and validates m, then returns every object of the mesh
// in install order. m itself is not changed. An invalid config returns a
// *ValidationError listing every problem.
func Render(m v1alpha1.Mesh, opts ...Option) ([]Object, error) {
	c, err := prepare(m, opts)
	if err != nil {
		return nil, err
	}
	var objs []Object
	err = c.emit(nil, func(o Object) error {
		// The caller owns what Render returns; the YAML the sink sees is
		// a scratch buffer or, for CRDs, the binary's read-only data.
		o.YAML = bytes.Clone(o.YAML)
		objs = append(objs, o)
		return nil
	})
	return objs, err
}

// Write renders m and writes it to w as one YAML stream, documents
// separated by "---", without holding the whole output in memory (into a
// *bytes.Buffer it is printed in one allocation of about its size).
// Nothing is written unless m is valid.
func Write(w io.Writer, m v1alpha1.Mesh, opts ...Option) error {
	c, err := prepare(m, opts)
	if err != nil {
		return err
	}
	if buf, ok := w.(*bytes.Buffer); ok {
		// Growing the buffer would clear and copy the output's size
		// twice; appending to one slice of the right size does neither
		// (BenchmarkRenderDefault takes 16% longer through Grow).
		var out []byte
		if err := c.emit(func(n int) {
			out = append(make([]byte, 0, buf.Len()+n), buf.Bytes()...)
		}, func(o Object) error {
			out = append(append(out, separator...), o.YAML...)
			return nil
		}); err != nil {
			return err
		}
		*buf = *bytes.NewBuffer(out)
		return nil
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := c.emit(nil, func(o Object) error {
		bw.WriteString(separator)
		_, err := bw.Write(o.YAML)
		return err
	}); err != nil {
		return err
	}
	return bw.Flush()
}

const separator = "---\n"

// Option changes one render beyond what the mesh says.
type Option func(*settings)

// settings are what the options set.
type settings struct {
	overlays     []v1alpha1.Overlay
	applications []v1alpha1.Application
	defaulted    *v1alpha1.Mesh
}

// WithApplications renders the applications with the mesh, each against
// its gateways, issuer and policies, in the applications layer. They are
// checked with the mesh; their problems are reported under
// applications[<namespace>/<name>], and nothing is rendered unless every
// one of them is valid.
func WithApplications(apps ...v1alpha1.Application) Option {
	return func(s *settings) { s.applications = append(s.applications, apps...) }
}

// WithOverlays applies overlays after the mesh's own, for what the
// caller's tool needs of the output, such as leaving a field to the
// controller that sets it. Their problems are reported under
// spec.overlays, numbered after the mesh's own.
func WithOverlays(overlays ...v1alpha1.Overlay) Option {
	return func(s *settings) { s.overlays = append(s.overlays, overlays...) }
}

// Defaulted stores in dst the defaulted mesh the objects are rendered
// from, such as its name when the config gave none. dst is left as it
// is when the mesh is invalid.
func Defaulted(dst *v1alpha1.Mesh) Option {
	return func(s *settings) { s.defaulted = dst }
}

// prepare checks m, with the overlays the options add, and plans its
// components.
func prepare(m v1alpha1.Mesh, opts []Option) (*checked, error) {
	var set settings
	for _, o := range opts {
		o(&set)
	}
	top, err := v1alpha1.Check(m, set.overlays...)
	if err != nil {
		return nil, err
	}
	t := newTopology(top)
	if len(set.applications) > 0 {
		if t.applications, err = v1alpha1.CheckApplications(top, set.applications); err != nil {
			return nil, err
		}
	}
	var p problems
	components := plan(t, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	if set.defaulted != nil {
		*set.defaulted = *top.Mesh.DeepCopy()
	}
	return &checked{topology: t, components: components, overlays: top.Overlays}, nil
}
