package render

import (
	"bytes"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// TestCRDsOfTheNewestRelease: revisions of two minor releases share one
// set of CRDs, the newest revision's release's, whichever the default.
func TestCRDsOfTheNewestRelease(t *testing.T) {
	for _, tt := range []struct {
		revisions []v1alpha1.Revision
		want      string
	}{
		{[]v1alpha1.Revision{{Name: "a", Version: "1.30.3"}}, "1.30.8"},
		{[]v1alpha1.Revision{{Name: "a", Version: "1.30.8"}, {Name: "b", Version: "1.31.0"}}, "1.31.4"},
		{[]v1alpha1.Revision{{Name: "a", Version: "1.31.2"}, {Name: "b", Version: "1.30.0"}}, "1.31.4"},
	} {
		objs, err := Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Profile: v1alpha1.ProfileMinimal, Revisions: tt.revisions}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range objs {
			if o.Kind != "CustomResourceDefinition" {
				continue
			}
			n++
			if !bytes.Contains(o.YAML, []byte("istio.io/api@v"+tt.want+"/")) {
				t.Errorf("%v: CRD %s is not istio.io/api v%s's", tt.revisions, o.Name, tt.want)
			}
		}
		if n != 15 {
			t.Errorf("%v: %d CRDs, want Istio's 15", tt.revisions, n)
		}
	}
}
