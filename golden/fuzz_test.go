package golden

import (
	"bytes"
	"errors"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/meshrender/meshrender/golden/internal/strictdecode"
)

// FuzzRender feeds mutated mesh configs through decoding and rendering:
// no input may panic; every config either fails with an error or renders
// the same bytes twice, every object of which decodes strictly into its
// Go type.
func FuzzRender(f *testing.F) {
	if err := registerThirdPartyCRDs(); err != nil {
		f.Fatal(err)
	}
	ex, err := Examples("..")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ex {
		data, err := e.ReadMesh()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := v1alpha1.Decode(data)
		if err != nil {
			return
		}
		first, err := renderYAML(m)
		if err != nil {
			var ve *v1alpha1.ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Fatalf("rendering failed without field errors: %v", err)
			}
			return
		}
		second, err := renderYAML(m)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("second rendering differs (err %v)", err)
		}
		for i, doc := range splitDocs(first) {
			if _, err := strictdecode.Decode(doc); err != nil {
				t.Fatalf("document %d does not decode strictly: %v\n%s", i, err, head(doc))
			}
		}
	})
}
