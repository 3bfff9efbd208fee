//go:build tools

// Package tools pins the end-to-end test binaries (kube-apiserver and etcd)
// to the Kubernetes release meshrender supports.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
