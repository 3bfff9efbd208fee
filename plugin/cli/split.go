package cli

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/plugin/tree"
	"github.com/meshrender/meshrender/render"
)

// splitObjects puts each object in its own file, numbered in install
// order: 0001-customresourcedefinition-gateways.networking.istio.io.yaml.
func splitObjects(objs []render.Object) []tree.File {
	files := make([]tree.File, len(objs))
	for i, o := range objs {
		name := strings.ToLower(o.Kind) + "-" + o.Name
		if o.Namespace != "" {
			name = strings.ToLower(o.Kind) + "-" + o.Namespace + "-" + o.Name
		}
		files[i] = tree.File{Path: fmt.Sprintf("%04d-%s.yaml", i+1, name), Data: o.YAML}
	}
	return files
}

// splitComponents puts each component in one file, numbered in install
// order: 01-crds.yaml, 02-control-plane.yaml, then the gateways in the
// order they appear (03-gateways-istio-ingress.yaml, ...).
func splitComponents(objs []render.Object) []tree.File {
	var order []string
	streams := map[string]*bytes.Buffer{}
	for _, o := range objs {
		b, ok := streams[o.Component]
		if !ok {
			b = &bytes.Buffer{}
			streams[o.Component] = b
			order = append(order, o.Component)
		}
		b.WriteString("---\n")
		b.Write(o.YAML)
	}
	rank := func(c string) int {
		switch c {
		case render.ComponentCRDs:
			return 0
		case render.ComponentControlPlane:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(order, func(a, b string) int { return rank(a) - rank(b) })
	files := make([]tree.File, len(order))
	for i, c := range order {
		files[i] = tree.File{Path: fmt.Sprintf("%02d-%s.yaml", i+1, strings.ReplaceAll(c, "/", "-")), Data: streams[c].Bytes()}
	}
	return files
}
