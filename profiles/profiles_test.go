package profiles_test

import (
	"fmt"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/meshrender/meshrender/profiles"
	"github.com/meshrender/meshrender/render"
)

// TestProfilesAreValidMeshes decodes every profile strictly and renders
// it, so a typo in a profile fails here rather than under a user's spec.
func TestProfilesAreValidMeshes(t *testing.T) {
	list := profiles.List()
	if len(list) < 2 {
		t.Fatalf("want at least the seed and minimal profiles, got %d", len(list))
	}
	for _, p := range list {
		t.Run(p.Name, func(t *testing.T) {
			if p.Description == "" {
				t.Error("profile has no '# Description:' line")
			}
			m, err := v1alpha1.Decode(p.Document)
			if err != nil {
				t.Fatal(err)
			}
			if m.Metadata.Name != p.Name {
				t.Errorf("metadata.name = %q, want the file name %q", m.Metadata.Name, p.Name)
			}
			if m.Spec.Profile != "" {
				t.Errorf("a profile must not name another profile, got %q", m.Spec.Profile)
			}
			if _, err := render.Render(m); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGet(t *testing.T) {
	if _, ok := profiles.Get("seed"); !ok {
		t.Error("seed profile missing")
	}
	for _, name := range []string{"", "nope", "../seed", "seed.yaml"} {
		if _, ok := profiles.Get(name); ok {
			t.Errorf("Get(%q) found a profile", name)
		}
	}
}

// List the built-in profiles, as `meshrender profiles` does.
func ExampleList() {
	for _, p := range profiles.List() {
		fmt.Println(p.Name)
	}
	// Output:
	// ambient
	// minimal
	// reference
	// seed
}

// Select a profile by name in spec.profile; the spec's own fields win.
func ExampleGet() {
	p, _ := profiles.Get("seed")
	m, _ := v1alpha1.Decode(p.Document)
	mc, _ := m.Spec.MeshConfig.Proto()
	fmt.Println(mc.GetDefaultServiceExportTo())
	// Output: [~]
}
