package certmanager

// The types' DeepCopy methods and DeepCopyObject, which makes Issuer and
// Certificate runtime.Objects, are generated.
//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.36.3 --output-file zz_generated.deepcopy.go .
