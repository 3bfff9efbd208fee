// Package thirdparty reads the CustomResourceDefinitions of the tools
// meshrender's output is used with (Flux, Argo CD, cert-manager, the
// External Secrets Operator) from
// those projects' own Go modules: golden/tools/crds pins their versions
// and checksums, and `go mod download` brings them into the module cache.
// Nothing is copied into this repository.
package thirdparty

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// CRD is one CustomResourceDefinition file in a pinned module.
type CRD struct {
	// Module is the module path, as golden/tools/crds/go.mod requires it.
	Module string
	// Path is the file in the module.
	Path string
}

// The CRDs the tests install.
var (
	FluxGitRepository = CRD{"github.com/fluxcd/source-controller", "config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml"}
	FluxKustomization = CRD{"github.com/fluxcd/kustomize-controller", "config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"}
	// FluxSourceKinds are the CRDs of every other kind source-controller
	// reconciles and kustomize-controller watches: the controllers do not
	// start without them.
	FluxSourceKinds = []CRD{
		{"github.com/fluxcd/source-controller", "config/crd/bases/source.toolkit.fluxcd.io_buckets.yaml"},
		{"github.com/fluxcd/source-controller", "config/crd/bases/source.toolkit.fluxcd.io_externalartifacts.yaml"},
		{"github.com/fluxcd/source-controller", "config/crd/bases/source.toolkit.fluxcd.io_helmcharts.yaml"},
		{"github.com/fluxcd/source-controller", "config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml"},
		{"github.com/fluxcd/source-controller", "config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml"},
	}
	ArgoCDApplication = CRD{"github.com/argoproj/argo-cd/v3", "manifests/crds/application-crd.yaml"}
	ArgoCDAppProject  = CRD{"github.com/argoproj/argo-cd/v3", "manifests/crds/appproject-crd.yaml"}
	CertManagerIssuer = CRD{"github.com/cert-manager/cert-manager", "deploy/crds/cert-manager.io_issuers.yaml"}
	// CertManagerClusterIssuer is cert-manager's cluster-scoped issuer.
	CertManagerClusterIssuer = CRD{"github.com/cert-manager/cert-manager", "deploy/crds/cert-manager.io_clusterissuers.yaml"}
	// CertManagerCertificate is cert-manager's Certificate.
	CertManagerCertificate = CRD{"github.com/cert-manager/cert-manager", "deploy/crds/cert-manager.io_certificates.yaml"}
	// ExternalSecret is the External Secrets Operator's ExternalSecret, of
	// which remote secrets and a plugged-in CA are.
	ExternalSecret = CRD{"github.com/external-secrets/external-secrets", "config/crds/bases/external-secrets.io_externalsecrets.yaml"}
	// GatewayAPIGateway is the Gateway API's Gateway, of which waypoints
	// are.
	GatewayAPIGateway = CRD{"sigs.k8s.io/gateway-api", "config/crd/standard/gateway.networking.k8s.io_gateways.yaml"}
)

// Reader finds modules through the module at Dir (golden/tools/crds, or
// the tools module of a program the tests run, for that release's CRDs).
type Reader struct {
	Dir string
	// Env is added to the go command's environment, such as the
	// toolchain Dir's module needs.
	Env []string

	mu   sync.Mutex
	dirs map[string]string // module path -> its directory in the cache
}

// Read returns the contents of the files, in order.
func (r *Reader) Read(crds ...CRD) ([][]byte, error) {
	out := make([][]byte, len(crds))
	for i, c := range crds {
		dir, err := r.moduleDir(c.Module)
		if err != nil {
			return nil, err
		}
		if out[i], err = os.ReadFile(filepath.Join(dir, filepath.FromSlash(c.Path))); err != nil {
			return nil, fmt.Errorf("%s@%s: %w", c.Module, dir, err)
		}
	}
	return out, nil
}

// moduleDir downloads a module at the version Dir's go.mod pins, checked
// against its go.sum, and returns where the module cache holds it.
func (r *Reader) moduleDir(module string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if dir, ok := r.dirs[module]; ok {
		return dir, nil
	}
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = r.Dir
	// go.sum is the authority, as for a build: the module is never added
	// or changed here.
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=readonly"), r.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s in %s: %v\n%s%s", module, r.Dir, err, stdout.String(), stderr.String())
	}
	var info struct {
		Dir, Error string
	}
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", module, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", module, info.Error)
	}
	if r.dirs == nil {
		r.dirs = map[string]string{}
	}
	r.dirs[module] = info.Dir
	return info.Dir, nil
}
