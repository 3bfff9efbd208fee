package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/internal/unidiff"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// diffContext is how many unchanged lines surround each change, as in
// diff -u.
const diffContext = 3

func newDiffCommand() *cobra.Command {
	var summary bool
	var briefKinds []string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show what changes between two meshes or rendered installations, object by object",
		Long: `Compare two installations object by object: what NEW adds, removes and changes
against OLD. Each of OLD and NEW is a Mesh config, which is rendered, or a
rendered YAML stream of Kubernetes objects (the output of meshrender render, or
any multi-document YAML). A file holding a single document of kind Mesh with
apiVersion ` + v1alpha1.APIVersion + ` is a Mesh config; anything else is a
stream, an empty file (/dev/null) one without objects. "-" reads stdin, for
one of the two.

Objects are identified by kind, namespace and name (and API group where two
kinds of one name meet). The output lists them in install order (a Mesh's
render order; a stream's own order), added, removed and changed:

  + Deployment istio-system/istiod-1-30-3
  - Deployment istio-system/istiod-1-30-2
  ~ ConfigMap istio-system/istio

then a unified diff of every changed object, with 3 lines of context. Both
sides are compared as sigs.k8s.io/yaml prints them (the YAML read as JSON,
then printed with its keys sorted), so key order, quoting and indentation
alone are no change. --brief-kind KIND lists changed objects of KIND without
their diff (CRDs, whose schemas change with every Istio minor release, are
the usual case).

Exit status, as diff(1): 0 when the two are the same, 1 when they differ, 2
when either cannot be read or rendered (an invalid Mesh prints every problem
with its field path on stderr) or the command line is wrong.`,
		Example: `  # What a change to the mesh does, for its pull request
  git show main:mesh.yaml | meshrender diff - mesh.yaml

  # A mesh against the rendering committed to Git
  meshrender diff istio.yaml mesh.yaml

  # Only the objects an upgrade adds, removes and changes
  meshrender diff --summary examples/canary/1-before/mesh.yaml \
    examples/canary/2-canary-installed/mesh.yaml

  # An upgrade across minor releases, without the CRDs' schema changes
  meshrender diff --brief-kind CustomResourceDefinition \
    examples/canary/1-before/mesh.yaml examples/canary/2-canary-installed/mesh.yaml

  # Everything a first install creates
  meshrender diff --summary /dev/null mesh.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("%q takes two arguments, OLD and NEW, got %d", cmd.CommandPath(), len(args))
			}
			if args[0] == "-" && args[1] == "-" {
				return usagef("only one of OLD and NEW can be - (stdin)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			tuneGCForRendering()
			before, err := readObjects(cmd, args[0])
			if err != nil {
				return exitError{ExitTrouble, err}
			}
			after, err := readObjects(cmd, args[1])
			if err != nil {
				return exitError{ExitTrouble, err}
			}
			differ, err := writeDiff(cmd.OutOrStdout(), before, after, diffOptions{summary: summary, briefKinds: briefKinds})
			switch {
			case err != nil:
				return exitError{ExitTrouble, err}
			case differ:
				return exitError{code: ExitDiffer}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&summary, "summary", false, "print only the lines of added, removed and changed objects")
	cmd.Flags().StringArrayVar(&briefKinds, "brief-kind", nil, "print no diff for changed objects of this kind, only their line (repeatable)")
	return cmd
}

// objectID identifies an object across both sides. The API version is
// left out, so an object moving from v1beta1 to v1 is changed, not
// replaced.
type objectID struct {
	group, kind, namespace, name string
}

// object is one object of either side, printed the same way on both.
type object struct {
	id   objectID
	yaml string
}

// readObjects reads the Mesh or the stream named by path and returns its
// objects in order, each normalised; its errors name the input.
func readObjects(cmd *cobra.Command, path string) ([]object, error) {
	data, name, err := readInput(cmd, path)
	if err != nil {
		return nil, describeError(name, err)
	}
	objs, err := parseObjects(data)
	if err != nil {
		return nil, describeError(name, err)
	}
	return objs, nil
}

// parseObjects reads a Mesh config, which it renders, or a stream.
func parseObjects(data []byte) ([]object, error) {
	docs, err := splitStream(data)
	if err != nil {
		return nil, err
	}
	if len(docs) == 1 && isMesh(docs[0].header) {
		return meshObjects(docs[0].raw)
	}
	objs := make([]object, len(docs))
	for i, d := range docs {
		h := d.header
		if h.Kind == "" || h.Metadata.Name == "" {
			return nil, fmt.Errorf("document %d: an object needs a kind and a metadata.name", d.index)
		}
		y, err := printYAML(d.json)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", d.index, err)
		}
		objs[i] = object{objectID{apiGroup(h.APIVersion), h.Kind, h.Metadata.Namespace, h.Metadata.Name}, y}
	}
	return objs, unique(objs)
}

// meshObjects decodes and renders a Mesh config.
func meshObjects(config []byte) ([]object, error) {
	m, err := v1alpha1.Decode(config)
	if err != nil {
		return nil, err
	}
	rendered, err := render.Render(m)
	if err != nil {
		return nil, err
	}
	objs := make([]object, len(rendered))
	for i, o := range rendered {
		id := objectID{apiGroup(o.APIVersion), o.Kind, o.Namespace, o.Name}
		// Printed again like a stream's objects, so a mesh and its own
		// rendering compare equal.
		j, err := yaml.YAMLToJSON(o.YAML)
		if err == nil {
			objs[i].yaml, err = printYAML(j)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label(id, nil), err)
		}
		objs[i].id = id
	}
	return objs, unique(objs)
}

// printYAML prints an object, given as JSON, the one way both sides are
// compared in: sigs.k8s.io/yaml's, keys sorted.
func printYAML(j []byte) (string, error) {
	y, err := yaml.JSONToYAML(j)
	return string(y), err
}

// document is one non-empty document of a YAML stream.
type document struct {
	index  int    // 1-based, in the stream
	raw    []byte // as written
	json   []byte // as JSON
	header header
}

// header is what identifies an object.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// splitStream cuts a YAML stream at its "---" lines, as kubectl does, and
// reads every document that holds more than comments.
func splitStream(data []byte) ([]document, error) {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []document
	for index := 1; ; index++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", index, err)
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue
		}
		var h header
		if !bytes.HasPrefix(bytes.TrimSpace(j), []byte("{")) || json.Unmarshal(j, &h) != nil {
			return nil, fmt.Errorf("document %d: not a Kubernetes object (a mapping with apiVersion, kind and metadata)", index)
		}
		docs = append(docs, document{index, raw, j, h})
	}
}

// isMesh reports a Mesh config: a document of kind Mesh in meshrender's
// API group, whatever its version, so Decode names a version it does not
// know rather than the document being read as a stream.
func isMesh(h header) bool {
	return h.Kind == v1alpha1.Kind && apiGroup(h.APIVersion) == apiGroup(v1alpha1.APIVersion)
}

// apiGroup is the group of an apiVersion, "" for the core group.
func apiGroup(apiVersion string) string {
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		return ""
	}
	return group
}

// unique refuses two objects of one identity on one side: which of them
// the other side's object should be compared with is anyone's guess.
func unique(objs []object) error {
	seen := make(map[objectID]bool, len(objs))
	for _, o := range objs {
		if seen[o.id] {
			return fmt.Errorf("%s is there twice", label(o.id, nil))
		}
		seen[o.id] = true
	}
	return nil
}

// diffOptions say how much of a difference writeDiff prints.
type diffOptions struct {
	// summary prints the lines of added, removed and changed objects only.
	summary bool
	// briefKinds are kinds whose changed objects get their line only.
	briefKinds []string
}

// writeDiff prints what changes from before to after, and reports whether
// anything does: the lines of added, removed and changed objects, then,
// unless summary, the unified diff of every changed object not of a brief
// kind.
func writeDiff(w io.Writer, before, after []object, opts diffOptions) (bool, error) {
	old := make(map[objectID]string, len(before))
	for _, o := range before {
		old[o.id] = o.yaml
	}
	current := make(map[objectID]bool, len(after))
	for _, o := range after {
		current[o.id] = true
	}
	var added, removed, changed []object
	for _, o := range after {
		if y, ok := old[o.id]; !ok {
			added = append(added, o)
		} else if y != o.yaml {
			changed = append(changed, o)
		}
	}
	for _, o := range before {
		if !current[o.id] {
			removed = append(removed, o)
		}
	}
	if len(added)+len(removed)+len(changed) == 0 {
		return false, nil
	}
	groups := kindGroups(before, after)
	var out strings.Builder
	for _, section := range []struct {
		mark string
		objs []object
	}{{"+", added}, {"-", removed}, {"~", changed}} {
		for _, o := range section.objs {
			fmt.Fprintf(&out, "%s %s\n", section.mark, label(o.id, groups))
		}
	}
	if !opts.summary {
		for _, o := range changed {
			if slices.Contains(opts.briefKinds, o.id.kind) {
				continue
			}
			l := label(o.id, groups)
			fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", l, l)
			out.WriteString(unidiff.Hunks(unidiff.Lines(old[o.id]), unidiff.Lines(o.yaml), diffContext))
		}
	}
	_, err := io.WriteString(w, out.String())
	return true, err
}

// kindGroups counts the API groups each kind appears in on either side.
func kindGroups(sides ...[]object) map[string]map[string]bool {
	groups := map[string]map[string]bool{}
	for _, side := range sides {
		for _, o := range side {
			if groups[o.id.kind] == nil {
				groups[o.id.kind] = map[string]bool{}
			}
			groups[o.id.kind][o.id.group] = true
		}
	}
	return groups
}

// label names an object as a person reads it: "Kind namespace/name",
// "Kind name" for a cluster-scoped one, and "Kind.group" where the kind
// is in more than one API group (Istio's Gateway and the Gateway API's).
func label(id objectID, groups map[string]map[string]bool) string {
	kind := id.kind
	if len(groups[id.kind]) > 1 && id.group != "" {
		kind += "." + id.group
	}
	if id.namespace == "" {
		return kind + " " + id.name
	}
	return kind + " " + id.namespace + "/" + id.name
}
