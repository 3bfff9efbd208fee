// Package layout maps rendered objects to files, with one naming scheme
// for every way meshrender writes them:
//
//   - a folder per component (GitOps trees, kpt packages): the
//     component's name is the folder ("control-plane",
//     "gateways/istio-ingress") and each object is <kind>-<name>.yaml,
//     the kind in lower case;
//   - one flat directory (render -o --split object): the same name with
//     the namespace added, since objects of every namespace share the
//     folder, and a number that sorts the files in install order:
//     0001-<kind>-<namespace>-<name>.yaml;
//   - one stream per component (render -o --split component), numbered in
//     layer order: 01-crds.yaml, 02-control-plane.yaml,
//     03-gateways-istio-ingress.yaml.
package layout

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/plugin/tree"
	"github.com/meshrender/meshrender/render"
)

// FileName is the object's file in its component's folder:
// <kind>-<name>.yaml.
func FileName(o render.Object) string {
	return stem(o.Kind, o.Name) + ".yaml"
}

// Folder is the object's component folder, slash-separated.
func Folder(o render.Object) string {
	return o.Component
}

// stem is the one name every object file is built from.
func stem(kind, name string) string {
	return strings.ToLower(kind) + "-" + name
}

// Flat puts each object in its own file, numbered in install order:
// 0001-customresourcedefinition-gateways.networking.istio.io.yaml,
// 0017-deployment-istio-system-istiod.yaml.
func Flat(objs []render.Object) []tree.File {
	files := make([]tree.File, len(objs))
	for i, o := range objs {
		name := stem(o.Kind, o.Name)
		if o.Namespace != "" {
			name = stem(o.Kind, o.Namespace+"-"+o.Name)
		}
		files[i] = tree.File{Path: fmt.Sprintf("%04d-%s.yaml", i+1, name), Data: o.YAML}
	}
	return files
}

// ByComponent puts each component in one YAML stream, numbered in layer
// order and, within a layer, in the order the components first appear.
func ByComponent(objs []render.Object) []tree.File {
	type stream struct {
		component string
		layer     render.Layer
		buf       bytes.Buffer
	}
	var order []*stream
	streams := map[string]*stream{}
	for _, o := range objs {
		s, ok := streams[o.Component]
		if !ok {
			s = &stream{component: o.Component, layer: o.Layer}
			streams[o.Component] = s
			order = append(order, s)
		}
		s.buf.WriteString("---\n")
		s.buf.Write(o.YAML)
	}
	slices.SortStableFunc(order, func(a, b *stream) int { return a.layer.Rank() - b.layer.Rank() })
	files := make([]tree.File, len(order))
	for i, s := range order {
		files[i] = tree.File{Path: fmt.Sprintf("%02d-%s.yaml", i+1, strings.ReplaceAll(s.component, "/", "-")), Data: s.buf.Bytes()}
	}
	return files
}
