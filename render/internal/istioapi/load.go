package istioapi

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// mustLoad loads an embedded descriptor set, which the tests load too: a
// set that does not load is a broken build, not a broken mesh.
func mustLoad(minor string, set []byte) *protoregistry.Files {
	files, err := load(set)
	if err != nil {
		panic(fmt.Sprintf("istioapi: Istio %s's descriptors do not load: %v", minor, err))
	}
	return files
}

// load builds a registry of a google.protobuf.FileDescriptorSet's files,
// in any order. Files it imports but lacks must be well-known types
// (google/protobuf/*), taken from protoregistry.GlobalFiles, which every
// binary that uses protobuf has; any other missing file is an error, so
// that no descriptor of the compiled, newest release mixes in.
func load(set []byte) (*protoregistry.Files, error) {
	var fds descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(set, &fds); err != nil {
		return nil, err
	}
	byPath := make(map[string]*descriptorpb.FileDescriptorProto, len(fds.File))
	for _, f := range fds.File {
		if byPath[f.GetName()] != nil {
			return nil, fmt.Errorf("%s is in the set twice", f.GetName())
		}
		byPath[f.GetName()] = f
	}
	files := new(protoregistry.Files)
	adding := map[string]bool{}
	var add func(path string) error
	add = func(path string) error {
		if _, err := files.FindFileByPath(path); err == nil {
			return nil
		}
		fdp := byPath[path]
		if fdp == nil {
			if !strings.HasPrefix(path, "google/protobuf/") {
				return fmt.Errorf("%s is imported but not in the set", path)
			}
			f, err := protoregistry.GlobalFiles.FindFileByPath(path)
			if err != nil {
				return fmt.Errorf("well-known %s: %w", path, err)
			}
			return files.RegisterFile(f)
		}
		if adding[path] {
			return fmt.Errorf("%s imports itself", path)
		}
		adding[path] = true
		for _, dep := range fdp.GetDependency() {
			if err := add(dep); err != nil {
				return err
			}
		}
		f, err := protodesc.NewFile(fdp, files)
		if err != nil {
			return err
		}
		return files.RegisterFile(f)
	}
	for _, f := range fds.File {
		if err := add(f.GetName()); err != nil {
			return nil, err
		}
	}
	return files, nil
}
