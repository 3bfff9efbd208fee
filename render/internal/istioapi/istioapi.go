// Package istioapi is what each Istio minor release meshrender renders
// takes from the istio.io/api module: the version of the module its data
// is generated from, and the protobuf descriptors of the mesh config its
// istiod reads, so that a mesh config is checked against the release that
// reads it rather than against the newest.
//
// The newest minor's descriptors are those of the Go types compiled in,
// from the istio.io/api that go.mod requires. Each older minor's are a
// google.protobuf.FileDescriptorSet under descriptors/, written by
// `go generate` with a nested module of its own (gen1.30 for 1.30) that
// pins that minor's istio.io/api; descriptors/MINOR.SOURCE tells where
// the set comes from and its sha256. A set is loaded the first time one of
// its descriptors is asked for, so a mesh that needs none costs nothing.
package istioapi

//go:generate go run -C gen1.30 . -o ../descriptors

import (
	_ "embed"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

// Full names of the messages the package gives descriptors of.
const (
	meshConfigName  protoreflect.FullName = "istio.mesh.v1alpha1.MeshConfig"
	proxyConfigName protoreflect.FullName = "istio.mesh.v1alpha1.ProxyConfig"
)

//go:embed descriptors/1.30.binpb
var set130 []byte

// release is one minor release.
type release struct {
	minor string
	// module is the istio.io/api version the minor's data comes from.
	module string
	// files holds the minor's descriptors, loaded once on first use, or
	// is nil for the newest minor, whose Go types are compiled in.
	files func() *protoregistry.Files
}

// releases are the minors, oldest first: the one place that says which
// istio.io/api version each minor's data is generated from. The newest
// must be the version go.mod requires, an older one the version its
// nested module pins (its tests check both).
var releases = []release{
	{minor: "1.30", module: "v1.30.8", files: sync.OnceValue(func() *protoregistry.Files { return mustLoad("1.30", set130) })},
	{minor: "1.31", module: "v1.31.4"},
}

// Minors returns the Istio minor releases, such as "1.30", oldest first.
func Minors() []string {
	out := make([]string, len(releases))
	for i, r := range releases {
		out[i] = r.minor
	}
	return out
}

// ModuleVersion returns the version of istio.io/api, such as "v1.30.8",
// that the data of an Istio minor release ("1.30") is generated from, or
// "" for a minor that is not one of Minors.
func ModuleVersion(minor string) string {
	if r := find(minor); r != nil {
		return r.module
	}
	return ""
}

// MeshConfig returns the descriptor of istio.mesh.v1alpha1.MeshConfig as
// an Istio minor release ("1.30") has it, or nil for a minor that is not
// one of Minors (callers check the release first). An older minor's
// descriptor is not a compiled Go type's: it suits protoreflect and
// dynamicpb, not a type assertion.
func MeshConfig(minor string) protoreflect.MessageDescriptor {
	return message(minor, meshConfigName, (*meshv1alpha1.MeshConfig)(nil))
}

// ProxyConfig returns the descriptor of istio.mesh.v1alpha1.ProxyConfig,
// the mesh config's defaultConfig, as MeshConfig does.
func ProxyConfig(minor string) protoreflect.MessageDescriptor {
	return message(minor, proxyConfigName, (*meshv1alpha1.ProxyConfig)(nil))
}

// message returns a message's descriptor in a minor: compiled's for the
// newest minor, else the one in the minor's descriptor set.
func message(minor string, name protoreflect.FullName, compiled interface {
	ProtoReflect() protoreflect.Message
}) protoreflect.MessageDescriptor {
	r := find(minor)
	switch {
	case r == nil:
		return nil
	case r.files == nil:
		return compiled.ProtoReflect().Descriptor()
	}
	d, err := r.files().FindDescriptorByName(name)
	if err != nil {
		panic("istioapi: Istio " + minor + "'s descriptors have no " + string(name) + ": " + err.Error())
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		panic("istioapi: " + string(name) + " in Istio " + minor + "'s descriptors is not a message")
	}
	return md
}

func find(minor string) *release {
	for i := range releases {
		if releases[i].minor == minor {
			return &releases[i]
		}
	}
	return nil
}
