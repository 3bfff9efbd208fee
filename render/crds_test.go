package render

import (
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

func TestCRDMinorIsTheNewest(t *testing.T) {
	tests := []struct {
		releases []string
		want     string
	}{
		{[]string{"1.30.3"}, "1.30"},
		{[]string{"1.30.8", "1.31.0"}, "1.31"},
		{[]string{"1.31.4", "1.30.0"}, "1.31"},
		{[]string{"1.99.0", "1.100.1"}, "1.100"},
		{[]string{"1.31.0", "2.0.0", "1.31.4"}, "2.0"},
	}
	for _, tt := range tests {
		top := &v1alpha1.Topology{}
		for _, r := range tt.releases {
			top.Planes = append(top.Planes, &v1alpha1.ControlPlane{Version: r})
		}
		if got := crdMinor(&topology{Topology: top}); got != tt.want {
			t.Errorf("crdMinor(%q) = %q, want %q", tt.releases, got, tt.want)
		}
	}
}
