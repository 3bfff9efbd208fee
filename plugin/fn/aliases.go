package fn

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// MaxAliasExpansion is about how many bytes the YAML aliases of a
// ResourceList may add when they are expanded. An alias stands for a
// copy of what its anchor marks, so a list of a few KiB can expand to
// GiB: 9,000 aliases of a 100 KB string in a 200 KB list took 22 s and
// 3 GB to write back as 900 MB. Lists that share a few values between
// their items stay far below the limit.
const MaxAliasExpansion = 16 << 20

// nodeBytes is about what a node costs beyond its value, written out or
// held: indentation, a key's colon, a list's dash, the node itself.
const nodeBytes = 16

// aliasExpansion is about how many bytes the aliases under n add when
// expanded, counted up to a little past limit; each anchored value is
// measured once, so the count costs a walk of the tree as written, even
// for aliases of aliases that expand exponentially.
func aliasExpansion(n *yaml.Node, limit int) int {
	w := written(n)
	e := &expansion{most: w + limit + 1, sizes: map[*yaml.Node]int{}}
	return e.size(n) - w
}

type expansion struct {
	most  int                // where counting stops: past the limit
	sizes map[*yaml.Node]int // the expanded size of anchored values
}

// size is n's size with its aliases expanded, at most e.most.
func (e *expansion) size(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		if s, ok := e.sizes[n.Alias]; ok {
			return s
		}
		e.sizes[n.Alias] = e.most // an anchor inside itself, should the parser allow one
		s := e.size(n.Alias)
		e.sizes[n.Alias] = s
		return s
	}
	s := nodeBytes + len(n.Value)
	for _, c := range n.Content {
		s = min(s+e.size(c), e.most)
	}
	return s
}

// written is n's size as written, aliases unexpanded.
func written(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	s := nodeBytes + len(n.Value)
	for _, c := range n.Content {
		s += written(c)
	}
	return s
}

// deAnchor expands the aliases of a ResourceList, so that every item
// stands on its own wherever it goes, unless they expand it by more than
// MaxAliasExpansion: then nothing is expanded and the error says so. The
// function config keeps its anchors and aliases, which v1alpha1.Decode
// refuses in a Mesh, at their paths.
func deAnchor(root *yaml.RNode) error {
	fields := root.YNode().Content
	added := 0
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i].Value != "functionConfig" {
			added += aliasExpansion(fields[i+1], MaxAliasExpansion)
		}
	}
	if added > MaxAliasExpansion {
		return badInput("the input's YAML aliases expand it by more than %d MiB, the limit; write out fewer copies of the values they stand for", MaxAliasExpansion>>20)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i].Value == "functionConfig" {
			continue
		}
		v := yaml.NewRNode(fields[i+1])
		if err := v.DeAnchor(); err != nil {
			return badInput("the input's anchors cannot be resolved: %v", err)
		}
		fields[i+1] = v.YNode()
	}
	return nil
}
