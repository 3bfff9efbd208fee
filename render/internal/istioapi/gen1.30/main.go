// Command gen1.30 writes the protobuf descriptors of Istio 1.30's mesh
// config, from the istio.io/api module its go.mod pins, for package
// istioapi to embed: a google.protobuf.FileDescriptorSet of the
// mesh/v1alpha1 files and every file they import, directly or not, except
// the well-known types under google/protobuf/, which every binary links
// already; and a SOURCE note naming the module and the set's sha256.
//
// Usage, from this directory (go generate in ../ runs it so):
//
//	go run . -o ../descriptors
//
// It writes DIR/1.30.binpb and DIR/1.30.SOURCE. The output depends only on
// the pinned modules: files are sorted by path and marshalled
// deterministically, so running it again writes the same bytes.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

// minor is the Istio minor release the pinned istio.io/api belongs to.
const minor = "1.30"

// module is the module the descriptors come from.
const module = "istio.io/api"

func main() {
	dir := flag.String("o", "", "directory to write "+minor+".binpb and "+minor+".SOURCE into")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run . -o DIR")
		os.Exit(2)
	}
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen"+minor+":", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	version, modules, err := pinned()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(version, "v"+minor+".") {
		return fmt.Errorf("go.mod pins %s %s, not a %s release", module, version, minor)
	}
	files := closure(meshFiles())
	set := &descriptorpb.FileDescriptorSet{}
	for _, f := range files {
		set.File = append(set.File, protodesc.ToFileDescriptorProto(f))
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, minor+".binpb"), data, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, minor+".SOURCE"), source(modules, files, data), 0o644)
}

// pinned returns the istio.io/api version this program is built with, and
// every module it is built with as "path version sum" lines.
func pinned() (version string, modules []string, err error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", nil, fmt.Errorf("no build information: run it with go run")
	}
	for _, d := range info.Deps {
		if d.Replace != nil {
			return "", nil, fmt.Errorf("%s is replaced by %s", d.Path, d.Replace.Path)
		}
		if d.Path == module {
			version = d.Version
		}
		modules = append(modules, d.Path+" "+d.Version+" "+d.Sum)
	}
	if version == "" {
		return "", nil, fmt.Errorf("%s is not a dependency", module)
	}
	return version, modules, nil
}

// meshFiles are the files of istio.mesh.v1alpha1: MeshConfig's, and
// those of the other messages of the package (ProxyConfig, MeshNetworks).
func meshFiles() []protoreflect.FileDescriptor {
	pkg := (&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor().ParentFile().Package()
	var out []protoreflect.FileDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage(pkg, func(f protoreflect.FileDescriptor) bool {
		out = append(out, f)
		return true
	})
	return out
}

// wellKnown tells the files left out of the set: they are resolved, when
// the set is loaded, from the binary that loads it.
func wellKnown(path string) bool { return strings.HasPrefix(path, "google/protobuf/") }

// closure returns roots and every file they import, directly or not, but
// the well-known types', sorted by path.
func closure(roots []protoreflect.FileDescriptor) []protoreflect.FileDescriptor {
	seen := map[string]protoreflect.FileDescriptor{}
	var visit func(f protoreflect.FileDescriptor)
	visit = func(f protoreflect.FileDescriptor) {
		if wellKnown(f.Path()) || seen[f.Path()] != nil {
			return
		}
		seen[f.Path()] = f
		imports := f.Imports()
		for i := range imports.Len() {
			visit(imports.Get(i).FileDescriptor)
		}
	}
	for _, f := range roots {
		visit(f)
	}
	out := make([]protoreflect.FileDescriptor, 0, len(seen))
	for _, p := range slices.Sorted(maps.Keys(seen)) {
		out = append(out, seen[p])
	}
	return out
}

// source is the provenance note of the set.
func source(modules []string, files []protoreflect.FileDescriptor, data []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s.binpb: the protobuf descriptors of Istio %s's mesh config, a\n", minor, minor)
	fmt.Fprintf(&b, "google.protobuf.FileDescriptorSet (Copyright Istio Authors and Google LLC,\n")
	fmt.Fprintf(&b, "Apache License 2.0), written by gen%s (go generate); do not edit.\n\n", minor)
	fmt.Fprintf(&b, "sha256: %x\n", sha256.Sum256(data))
	fmt.Fprintf(&b, "size: %d bytes\n", len(data))
	b.WriteString("built with:\n")
	for _, m := range modules {
		fmt.Fprintf(&b, "  %s\n", m)
	}
	b.WriteString("files:\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  %s\n", f.Path())
	}
	b.WriteString("not included, resolved from the loading binary: google/protobuf/*\n")
	return []byte(b.String())
}
