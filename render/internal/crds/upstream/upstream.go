package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Set is one set of CRDs a module version publishes: Istio's of an
// istio.io/api version, or the Gateway API's standard channel of a
// sigs.k8s.io/gateway-api release.
type Set struct {
	// Module and Version name the module, such as istio.io/api and
	// v1.30.8.
	Module, Version string
	// Path is the file of the CRDs in the module, or the directory whose
	// *.yaml files hold them.
	Path string
	// PartOf is the app.kubernetes.io/part-of label of every CRD.
	PartOf string
	// KeepAnnotations keeps upstream's annotations beside the source
	// annotation: the Gateway API's record its bundle version and
	// channel, which its tools and admission policies read.
	KeepAnnotations bool
	// Skip are kinds in Path that are not CRDs and are left out.
	Skip []string
}

// Istio is the set of Istio's CRDs of an istio.io/api version.
func Istio(version string) Set {
	return Set{Module: "istio.io/api", Version: version, Path: "kubernetes/customresourcedefinitions.gen.yaml", PartOf: "istio"}
}

// GatewayAPIVersions maps each Istio minor release to the
// sigs.k8s.io/gateway-api release its go.mod requires, whose CRDs its
// istiod reads and its waypoints are Gateways of.
var GatewayAPIVersions = []struct{ Minor, Version string }{
	{"1.30", "v1.5.1"},
	{"1.31", "v1.6.0"},
}

// GatewayAPI is the set of the Gateway API's standard-channel CRDs of a
// sigs.k8s.io/gateway-api release. Its safe-upgrades
// ValidatingAdmissionPolicy, in the same directory, is left out: it
// refuses going back to older CRDs, which rolling back a canary upgrade
// across minor releases does.
func GatewayAPI(version string) Set {
	return Set{
		Module: "sigs.k8s.io/gateway-api", Version: version, Path: "config/crd/standard",
		PartOf: "gateway-api", KeepAnnotations: true,
		Skip: []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"},
	}
}

// Source names where the set comes from, such as
// "istio.io/api@v1.30.8/kubernetes/customresourcedefinitions.gen.yaml".
// It is recorded on every CRD generated from it.
func (s Set) Source() string { return s.Module + "@" + s.Version + "/" + s.Path }

// Labels are the labels every CRD of the set carries;
// app.kubernetes.io/version is the module version, without its "v".
// They leave out the mesh instance: CRDs are shared by every control
// plane in a cluster.
func (s Set) Labels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/managed-by": "meshrender",
		"app.kubernetes.io/part-of":    s.PartOf,
		"app.kubernetes.io/version":    strings.TrimPrefix(s.Version, "v"),
	}
}

// Read reads the set's CRDs as one multi-document YAML stream, asking
// the go command to download the module, which it checks against go.sum
// or the checksum database, into the module cache. A directory's files
// are read in name order.
func (s Set) Read() ([]byte, error) {
	dir, err := download(s.Module, s.Version)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, filepath.FromSlash(s.Path))
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return os.ReadFile(path)
	}
	files, err := filepath.Glob(filepath.Join(path, "*.yaml"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var out bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out.WriteString("\n---\n")
		out.Write(data)
	}
	return out.Bytes(), nil
}

// download puts a module version into the module cache and returns its
// directory.
func download(module, version string) (string, error) {
	out, err := exec.Command("go", "mod", "download", "-json", module+"@"+version).Output()
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &m); m.Error != "" {
		return "", fmt.Errorf("downloading %s@%s: %s", module, version, m.Error)
	} else if err == nil {
		err = jerr
	}
	if err != nil {
		return "", fmt.Errorf("downloading %s@%s: %w", module, version, err)
	}
	if m.Dir == "" {
		return "", fmt.Errorf("downloading %s@%s: the go command names no directory", module, version)
	}
	return m.Dir, nil
}
