// Package v1alpha1 is meshrender's config API, meshrender.dev/v1alpha1:
// the Mesh and its parts, how a Mesh is read (Decode), defaulted
// (Default, with the profile it names merged under it) and validated
// (Validate, every problem with its field path), and what a defaulted
// mesh means (Topology: its control planes, gateways and owned
// namespaces, derived once).
//
// The package renders nothing: package render turns a valid Mesh into
// Kubernetes objects. A field of the API lives in a file of its own with
// its defaults and validation, as Egress does in egress.go.
package v1alpha1
