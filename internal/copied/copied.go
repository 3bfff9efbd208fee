// Package copied checks, in tests, a folder of files copied byte for byte
// from another project: each file is the one its checksum names, no file
// is missing or added, and the folder's SHA256SUMS (for sha256sum -c)
// lists exactly those checksums. The folder's own SOURCE and SHA256SUMS
// are meshrender's and carry no checksum.
package copied

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
)

// ownFiles are the files of a copied folder that meshrender writes.
var ownFiles = []string{"SOURCE", "SHA256SUMS"}

// Check checks dir in fsys against sums, file name -> SHA-256 in hex.
func Check(t testing.TB, fsys fs.FS, dir string, sums map[string]string) {
	t.Helper()
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range entries {
		name := e.Name()
		seen = append(seen, name)
		if slices.Contains(ownFiles, name) {
			continue
		}
		want, ok := sums[name]
		if !ok {
			t.Errorf("%s/%s is embedded but has no checksum in the test", dir, name)
			continue
		}
		if got := SHA256(read(t, fsys, path.Join(dir, name))); got != want {
			t.Errorf("%s/%s: sha256 %s, want %s: the file is not the one copied", dir, name, got, want)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sums)) {
		if !slices.Contains(seen, name) {
			t.Errorf("%s/%s is missing", dir, name)
		}
	}
	listed := map[string]string{}
	for line := range strings.Lines(string(read(t, fsys, path.Join(dir, "SHA256SUMS")))) {
		sum, name, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "  ")
		if !ok {
			t.Fatalf("%s/SHA256SUMS: bad line %q", dir, line)
		}
		listed[name] = sum
	}
	if !maps.Equal(listed, sums) {
		t.Errorf("%s/SHA256SUMS = %v, want %v", dir, listed, sums)
	}
}

// SHA256 is the SHA-256 of b in hex, as sha256sum prints it.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func read(t testing.TB, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
