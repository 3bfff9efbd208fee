//go:build tools

// Package tools pins the Istio 1.31 binaries the runtime tests run for
// meshes of an Istio 1.31 release: istiod (pilot-discovery) and the proxy
// agent (pilot-agent), built from the istio.io/istio module. The module
// proxy serves no tagged istio.io/istio release, so this pins the
// pseudo-version of the commit tagged 1.31.0, on the release-1.31 branch,
// built against the istio.io/api and istio.io/client-go v1.31.4 releases
// (the replace lines in go.mod); the README (Testing) says what
// differs from 1.31.4. Some of its dependencies are missing from the
// checksum database: go.sum pins them and the Makefile builds with
// GONOSUMDB for those paths.
package tools

import (
	_ "istio.io/istio/pilot/cmd/pilot-agent"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
