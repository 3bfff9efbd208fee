// Package crds holds the CustomResourceDefinitions of each Istio minor
// release meshrender renders, as ready-to-print YAML documents: Istio's,
// generated from the istio.io/api version package istioapi names for it,
// and the Gateway API's standard channel, generated from the
// sigs.k8s.io/gateway-api release that minor's go.mod requires.
//
// The directories istio-MINOR and gateway-api-VERSION and
// zz_generated.go are written by `go generate` and never edited by hand;
// zz_generated.go records where each minor's CRDs come from and the
// sha256 of that source. Istio's come from
// kubernetes/customresourcedefinitions.gen.yaml in istio.io/api
// (Copyright Istio Authors, Apache License 2.0), the Gateway API's from
// config/crd/standard in sigs.k8s.io/gateway-api (Copyright The
// Kubernetes Authors, Apache License 2.0); only their labels and
// annotations are changed: app.kubernetes.io/version and the
// meshrender.dev/source annotation name the module version, and the
// Gateway API's keep their own annotations.
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

// release is one minor's generated CRDs.
type release struct {
	// minor is the Istio minor release, and version the version of the
	// module the CRDs come from.
	minor, version string
	// source is the file they come from, and sha256 its hash, in hex.
	source, sha256 string
	crds           []generatedCRD
}

// generatedCRD is one embedded CRD.
type generatedCRD struct {
	name string
	yaml *string
}

// Minors returns the Istio minor releases there are CRDs of, such as
// "1.30", oldest first.
func Minors() []string {
	out := make([]string, len(generated))
	for i, r := range generated {
		out[i] = r.minor
	}
	return out
}

// All returns every CRD of an Istio minor release, such as "1.31",
// ordered by name, without copying them: copying makes
// BenchmarkRenderDefault 15% slower and allocate 31% more. It returns nil
// for a minor that is not one of Minors: callers check the release first.
func All(minor string) []CRD { return find(generated, minor) }

// GatewayAPI returns the Gateway API's standard-channel CRDs that an
// Istio minor release, such as "1.31", requires, ordered by name, without
// copying them, or nil for a minor that is not one of Minors.
func GatewayAPI(minor string) []CRD { return find(generatedGatewayAPI, minor) }

// GatewayAPIVersion is the sigs.k8s.io/gateway-api release whose CRDs
// GatewayAPI returns for an Istio minor, or "".
func GatewayAPIVersion(minor string) string {
	for _, r := range generatedGatewayAPI {
		if r.minor == minor {
			return r.version
		}
	}
	return ""
}

func find(releases []release, minor string) []CRD {
	for _, r := range releases {
		if r.minor != minor {
			continue
		}
		out := make([]CRD, len(r.crds))
		for i, g := range r.crds {
			out[i] = CRD{Name: g.name, YAML: unsafe.Slice(unsafe.StringData(*g.yaml), len(*g.yaml))}
		}
		return out
	}
	return nil
}
