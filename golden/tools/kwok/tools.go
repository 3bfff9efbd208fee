//go:build tools

// Package tools pins kwok, which simulates the end-to-end tests' nodes
// and their pods' kubelets. It is a module of its own because kwok's
// dependencies are not the ones k8s.io/kubernetes v1.36.3 pins in
// golden/tools.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
