// Package upstream reads the CRDs meshrender renders, Istio's and the
// Gateway API's, from pinned versions of their modules and turns them
// into the documents package crds embeds.
package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/render/yamlenc"
)

// SourceAnnotation records Source on each generated CRD.
const SourceAnnotation = "meshrender.dev/source"

// Transform turns the set's CRDs, as Read returns them, into one YAML
// document per CRD, keyed by name. Upstream's installer labels (Helm's
// chart, heritage, release) give way to the set's Labels, and its Source
// is noted in an annotation. Everything under spec is kept byte for byte
// in meaning.
func (s Set) Transform(upstream []byte) (map[string][]byte, error) {
	labels, source := s.Labels(), s.Source()
	out := map[string][]byte{}
	for i, doc := range bytes.Split(upstream, []byte("\n---")) {
		raw, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			continue
		}
		kind, _ := obj["kind"].(string)
		if slices.Contains(s.Skip, kind) {
			continue
		}
		if kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("document %d is a %v, not a CustomResourceDefinition", i, obj["kind"])
		}
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		if name == "" {
			return nil, fmt.Errorf("document %d has no name", i)
		}
		meta["labels"] = labels
		annotations := map[string]any{}
		if kept, ok := meta["annotations"].(map[string]any); ok && s.KeepAnnotations {
			annotations = kept
		}
		annotations[SourceAnnotation] = source
		meta["annotations"] = annotations
		j, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		y, err := yamlenc.FromJSON(nil, j)
		if err != nil {
			return nil, err
		}
		out[name] = y
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no CRDs found")
	}
	return out, nil
}

// Names returns the keys of a Transform result, sorted.
func Names(m map[string][]byte) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
