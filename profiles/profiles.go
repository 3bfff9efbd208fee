// Package profiles holds meshrender's built-in presets as embedded Mesh
// documents. A profile named in spec.profile is merged under the user's
// spec, which wins field by field; render.Default does the merge.
package profiles

import (
	"embed"
	"slices"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Profile is one built-in preset.
type Profile struct {
	// Name is what spec.profile says to select it.
	Name string
	// Description is one line on what the profile is for.
	Description string
	// Document is the preset as a Mesh YAML document; only its spec is
	// merged.
	Document []byte
}

// descriptionPrefix marks the line of a profile file that describes it.
const descriptionPrefix = "# Description: "

// List returns every built-in profile, ordered by name.
func List() []Profile {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err) // the embedded file system is fixed at build time
	}
	out := make([]Profile, 0, len(entries))
	for _, e := range entries {
		p, _ := Get(strings.TrimSuffix(e.Name(), ".yaml"))
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Profile) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Names returns the names of the built-in profiles, ordered.
func Names() []string {
	var names []string
	for _, p := range List() {
		names = append(names, p.Name)
	}
	return names
}

// Get returns the profile with the given name.
func Get(name string) (Profile, bool) {
	if name == "" || strings.ContainsAny(name, "/.") {
		return Profile{}, false
	}
	doc, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return Profile{}, false
	}
	p := Profile{Name: name, Document: doc}
	for line := range strings.SplitSeq(string(doc), "\n") {
		if d, ok := strings.CutPrefix(line, descriptionPrefix); ok {
			p.Description = strings.TrimSpace(d)
			break
		}
	}
	return p, true
}
