//go:build tools

// Package tools pins the kpt CLI the end-to-end tests run meshrender
// under. kpt's newer releases are not served by the module proxy; this is
// the newest one it serves whole. Its checksums are in go.sum; the
// checksum database does not list this module path, so the Makefile
// builds it with GONOSUMDB for it.
package tools

import (
	_ "github.com/GoogleContainerTools/kpt"
)
