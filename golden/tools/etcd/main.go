// Command etcd is the etcd server the end-to-end tests run beside
// kube-apiserver, built from the etcd version pinned by k8s.io/kubernetes.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
