package upstream

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Labels are the labels every generated CRD carries. They leave out the
// mesh instance: CRDs are shared by every control plane in a cluster.
func Labels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/managed-by": "meshrender",
		"app.kubernetes.io/part-of":    "istio",
		"app.kubernetes.io/version":    "1.30.3",
	}
}

// Read reads the CRD file from the istio.io/api module that go.mod
// requires, asking the go command where the module is.
func Read() ([]byte, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "istio.io/api").Output()
	if err != nil {
		return nil, fmt.Errorf("locating istio.io/api: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return nil, fmt.Errorf("istio.io/api is not downloaded; run go mod download")
	}
	return os.ReadFile(filepath.Join(dir, "kubernetes", "customresourcedefinitions.gen.yaml"))
}
