// Package upstream reads Istio's CRDs from a pinned version of the
// istio.io/api module and turns them into the documents package crds
// embeds.
package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/render/yamlenc"
)

// SourceAnnotation records Source on each generated CRD.
const SourceAnnotation = "meshrender.dev/source"

// Transform turns the multi-document CRD file of an istio.io/api version
// into one YAML document per CRD, keyed by name. Upstream's installer
// labels (Helm's chart, heritage, release) give way to Labels(version),
// and Source(version) is noted in an annotation. Everything under spec is
// kept byte for byte in meaning.
func Transform(upstream []byte, version string) (map[string][]byte, error) {
	labels, source := Labels(version), Source(version)
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
		if obj["kind"] != "CustomResourceDefinition" {
			return nil, fmt.Errorf("document %d is a %v, not a CustomResourceDefinition", i, obj["kind"])
		}
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		if name == "" {
			return nil, fmt.Errorf("document %d has no name", i)
		}
		meta["labels"] = labels
		meta["annotations"] = map[string]any{SourceAnnotation: source}
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
