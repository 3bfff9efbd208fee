// Package crds holds Istio's CustomResourceDefinitions, generated from the
// pinned istio.io/api module, as ready-to-print YAML documents.
//
// The files under istio/ and zz_generated.go are written by `go generate`
// and never edited by hand. The CRDs come from
// kubernetes/customresourcedefinitions.gen.yaml in istio.io/api
// (Copyright Istio Authors, Apache License 2.0); only their labels and
// annotations are changed.
package crds

//go:generate go run ./generate

import "unsafe"

// CRD is one generated CustomResourceDefinition.
type CRD struct {
	// Name is the CRD's metadata.name, such as gateways.networking.istio.io.
	Name string
	// YAML is the whole object as a YAML document. It is the binary's
	// read-only data itself, not a copy: writing to it crashes.
	YAML []byte
}

// All returns every Istio CRD, ordered by name, without copying them:
// copying makes BenchmarkRenderDefault 15% slower and allocate 31% more.
func All() []CRD {
	out := make([]CRD, len(generated))
	for i, g := range generated {
		out[i] = CRD{Name: g.name, YAML: unsafe.Slice(unsafe.StringData(*g.yaml), len(*g.yaml))}
	}
	return out
}
