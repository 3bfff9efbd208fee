package tree

import (
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	got, err := parseManifest("m", []byte("# comment\n\na.yaml\r\nsub/b.yaml\na.yaml"))
	if err != nil || !maps.Equal(got, map[string]bool{"a.yaml": true, "sub/b.yaml": true}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"/abs", "../up", "a/../b", "a//b", "./a", "a/", ".", "..", "a\x00b", ManifestName, strings.Repeat("x", 5000)} {
		if _, err := parseManifest("m", []byte("ok\n"+bad+"\n")); err == nil || !strings.HasPrefix(err.Error(), "m:2: ") {
			t.Errorf("%q: err = %v, want one naming m:2", bad, err)
		}
	}
}

// FuzzManifest feeds the parser arbitrary manifests: it must not panic,
// every path it accepts must be clean, relative and inside the tree, and
// what it accepts must read back the same once written.
func FuzzManifest(f *testing.F) {
	for _, seed := range []string{
		manifestHeader + "a.yaml\ngateways/z1/gw.yaml\n",
		"/etc/passwd\n", "../../x\n", "a/../../b\n", "a\r\nb\r\n", "#x\n\n\n", "a//b", "\x00", ".\n..\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		owned, err := parseManifest("m", data)
		if err != nil {
			return
		}
		for p := range owned {
			if !fs.ValidPath(p) || p == "." || path.IsAbs(p) || path.Clean(p) != p || slices.Contains(strings.Split(p, "/"), "..") || checkPath(p) != nil {
				t.Fatalf("accepted %q", p)
			}
		}
		again, err := parseManifest("m", formatManifest(slices.Collect(maps.Keys(owned))))
		if err != nil || !maps.Equal(again, owned) {
			t.Fatalf("round trip: %v, %v; want %v", again, err, owned)
		}
	})
}
