//go:build tools

// Package tools pins the Istio 1.30 binaries the runtime tests run for
// meshes of an Istio 1.30 release: istiod (pilot-discovery) and the proxy
// agent (pilot-agent), built from the istio.io/istio module. The module
// proxy serves no tagged istio.io/istio release, so this pins a
// pseudo-version of master cut shortly after the 1.30 branch, built
// against the istio.io/api and istio.io/client-go v1.30.3 releases (the
// replace lines in go.mod); the README says what differs from 1.30.3.
// Some of its dependencies are missing from the checksum database: go.sum
// pins them and the Makefile builds with GONOSUMDB for those paths.
package tools

import (
	_ "istio.io/istio/pilot/cmd/pilot-agent"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
