//go:build tools

// Package tools pins the end-to-end test binaries (kube-apiserver,
// kube-scheduler, kube-controller-manager and etcd) to the Kubernetes
// release meshrender supports.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
