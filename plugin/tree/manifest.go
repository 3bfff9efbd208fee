package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/plugin/tree/internal/dirfd"
)

// ManifestName is the file, at the top of a written directory, that lists
// the files the writer owns, one slash-separated path per line.
const ManifestName = ".meshrender-files"

// maxManifestSize bounds how much of a manifest is read: 8 MiB lists a
// hundred thousand long paths.
const maxManifestSize = 8 << 20

const manifestHeader = "# Files written by meshrender. It replaces or removes exactly these; any\n# other file here is left alone.\n"

// formatManifest returns the manifest that lists paths.
func formatManifest(paths []string) []byte {
	sorted := slices.Sorted(slices.Values(paths))
	return []byte(manifestHeader + strings.Join(sorted, "\n") + "\n")
}

// parseManifest returns the paths a manifest lists. Blank lines and lines
// starting with # are skipped and a trailing CR is dropped (a checkout
// made with core.autocrlf); every other line must be a path checkPath
// accepts, or the manifest is refused: a corrupt list of what the writer
// owns is no basis for replacing or removing anything. name is the
// manifest's path, for the error, which names the line.
func parseManifest(name string, data []byte) (map[string]bool, error) {
	owned := map[string]bool{}
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		p := string(bytes.TrimSuffix(line, []byte("\r")))
		if p == "" || p[0] == '#' {
			continue
		}
		err := checkPath(p)
		if err == nil && p == ManifestName {
			err = errors.New("is the manifest itself")
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s %v; fix or delete that line (the file lists what meshrender owns here)", name, n, quoteShort(p), err)
		}
		owned[p] = true
	}
	return owned, nil
}

// quoteShort quotes s for a message, cut short if it is long.
func quoteShort(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%q...", s[:80])
	}
	return fmt.Sprintf("%q", s)
}

// readManifest returns the paths the manifest in dir lists; none when
// there is no manifest. A manifest that is a link, not a regular file, or
// larger than maxManifestSize is an error.
func readManifest(dir *dirfd.Dir) (map[string]bool, error) {
	name := dir.Join(ManifestName)
	info, err := dir.Lstat(ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case info.Type == dirfd.Symlink:
		return nil, fmt.Errorf("%s is a symbolic link; it must be the plain file meshrender wrote: delete the link", name)
	case info.Type != dirfd.Regular:
		return nil, fmt.Errorf("%s is not a regular file; it must be the file meshrender wrote: move it away", name)
	case info.Size > maxManifestSize:
		return nil, fmt.Errorf("%s is larger than %d bytes, more than meshrender ever writes: fix or delete it", name, maxManifestSize)
	}
	f, err := dir.OpenFile(ManifestName, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("%s grew past %d bytes while being read: fix or delete it", name, maxManifestSize)
	}
	return parseManifest(name, data)
}
