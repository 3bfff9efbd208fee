package overlays

// Patch and Target get DeepCopy and DeepCopyInto, which the Mesh's deep
// copy calls, generated into zz_generated.deepcopy.go.
//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.36.3 --output-file zz_generated.deepcopy.go .
