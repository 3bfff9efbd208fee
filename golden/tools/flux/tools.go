//go:build tools

// Package tools pins Flux's source-controller and kustomize-controller,
// which the end-to-end tests run against their API server to reconcile
// the GitOps trees meshrender writes. The releases are the ones whose
// CRDs golden/tools/crds pins, and the newest that build from the module
// proxy with Go 1.26: both controllers' v1.10 releases need Go 1.27, and
// source-controller v1.9.4 to v1.9.6 need github.com/fluxcd/pkg/artifact
// v0.18.2 or v0.18.3, which the module proxy does not serve. Both upstream modules replace
// github.com/opencontainers/go-digest (for BLAKE3) and pin kustomize and
// yaml.v3 with replace directives, which apply only in a main module;
// go.mod repeats them. The checksum database does not list
// fluxcd/kustomize-controller; go.sum pins it, and the Makefile builds
// with GONOSUMDB for it.
package tools

import (
	_ "github.com/fluxcd/kustomize-controller"
	_ "github.com/fluxcd/source-controller"
)
