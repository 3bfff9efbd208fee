package upstream

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// module is the module the CRDs come from, and file their file in it.
const (
	module = "istio.io/api"
	file   = "kubernetes/customresourcedefinitions.gen.yaml"
)

// Source names the file the CRDs of an istio.io/api version, such as
// "v1.30.8", come from: "istio.io/api@v1.30.8/kubernetes/...". It is
// recorded on every CRD generated from it.
func Source(version string) string { return module + "@" + version + "/" + file }

// Labels are the labels every CRD generated from an istio.io/api version
// carries; app.kubernetes.io/version is that version, without its "v".
// They leave out the mesh instance: CRDs are shared by every control
// plane in a cluster.
func Labels(version string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/managed-by": "meshrender",
		"app.kubernetes.io/part-of":    "istio",
		"app.kubernetes.io/version":    strings.TrimPrefix(version, "v"),
	}
}

// Read reads the CRD file of an istio.io/api version, such as "v1.30.8",
// asking the go command to download the module, which it checks against
// go.sum or the checksum database, into the module cache.
func Read(version string) ([]byte, error) {
	out, err := exec.Command("go", "mod", "download", "-json", module+"@"+version).Output()
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &m); m.Error != "" {
		return nil, fmt.Errorf("downloading %s@%s: %s", module, version, m.Error)
	} else if err == nil {
		err = jerr
	}
	if err != nil {
		return nil, fmt.Errorf("downloading %s@%s: %w", module, version, err)
	}
	if m.Dir == "" {
		return nil, fmt.Errorf("downloading %s@%s: the go command names no directory", module, version)
	}
	return os.ReadFile(filepath.Join(m.Dir, filepath.FromSlash(file)))
}
