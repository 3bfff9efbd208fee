// Package crds holds Istio's CustomResourceDefinitions, generated from the
// pinned istio.io/api module, as ready-to-print YAML documents.
//
// The files under istio/ are written by `go generate` and never edited by
// hand. They come from kubernetes/customresourcedefinitions.gen.yaml in
// istio.io/api (Copyright Istio Authors, Apache License 2.0); only their
// labels and annotations are changed.
package crds

//go:generate go run ./generate

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed istio/*.yaml
var files embed.FS

// CRD is one generated CustomResourceDefinition.
type CRD struct {
	// Name is the CRD's metadata.name, such as gateways.networking.istio.io.
	Name string
	// YAML is the whole object as a YAML document.
	YAML []byte
}

// All returns every Istio CRD, ordered by name.
func All() []CRD {
	entries, err := fs.ReadDir(files, "istio")
	if err != nil {
		panic(err) // fixed at build time
	}
	out := make([]CRD, 0, len(entries))
	for _, e := range entries {
		data, err := files.ReadFile("istio/" + e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, CRD{Name: strings.TrimSuffix(e.Name(), ".yaml"), YAML: data})
	}
	return out
}
