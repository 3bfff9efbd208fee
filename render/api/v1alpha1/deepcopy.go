package v1alpha1

// The config types' DeepCopy and DeepCopyInto methods, which Kubernetes
// code expects of API types, are generated into zz_generated.deepcopy.go
// for every type tagged +k8s:deepcopy-gen=true.
//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.36.3 --output-file zz_generated.deepcopy.go .
