// Package fn is meshrender's KRM function, for kustomize (generators and
// transformers with an exec function) and kpt (fn eval --exec). The
// function config is a Mesh; the function renders it and merges the
// objects into the ResourceList.
//
// Items the function does not own come back with their content, comments
// and order; their YAML is re-indented in the two-space style kustomize
// writes, so the spacing before a line comment becomes one space and
// anchors are expanded (up to MaxAliasExpansion; the function config's
// are refused, as in any Mesh), but every value, its quoting style and
// every comment stay. Objects the mesh renders are added, or replace in place
// the item an earlier run rendered (same apiVersion, kind, namespace and
// name, labelled app.kubernetes.io/managed-by: meshrender and
// app.kubernetes.io/instance: <mesh>); an item of the same name that is
// not meshrender's is an error, never overwritten. Items an earlier run
// rendered for the same mesh but this one no longer does are removed.
// Running the function over its own output therefore changes nothing.
//
// Application items (apiVersion meshrender.dev/v1alpha1, kind
// Application) are rendered with the Mesh, as
// `meshrender render -f mesh.yaml -f apps/` renders the files of apps/.
// They stay in the list, marked config.kubernetes.io/local-config: "true"
// (the only change made to them): kustomize leaves local config out of
// what it builds, so no cluster is sent an object it has no type for,
// and kpt keeps them in the package, where they are the teams' source,
// but never applies them. An invalid Application is reported like an
// invalid config, each problem with its field path in the item and the
// item's file and index where the orchestrator gives them.
//
// Every input gets a ResourceList back. An invalid config, or input that
// is not one ResourceList of objects, gives one error result per problem
// (with its field path and the config's file, where there is one), leaves
// the items untouched, and makes Run return an error.
package fn

import (
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshrender/meshrender/plugin/layout"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/ownership"
)

// The annotations orchestrators set before the internal.config.kubernetes.io
// ones. kyaml deprecates them, but kpt's 1.0.0 beta releases still read
// and write them, so the function keeps honouring both.
const (
	legacyPathAnnotation  = "config.kubernetes.io/path"
	legacyIndexAnnotation = "config.kubernetes.io/index"
	legacyIDAnnotation    = "config.k8s.io/id"
)

// Run reads a ResourceList from in, renders its Mesh function config,
// merges the objects into its items and writes the ResourceList to out.
// Whatever the input, out gets a ResourceList; when the function reports
// errors, they are its results and Run returns them as its error.
func Run(in io.Reader, out io.Writer) error {
	rl, err := readResourceList(in)
	ref, file := configIdentity(rl.functionConfig)
	config := source{ref: ref, file: file}
	var results framework.Results
	report := func(src source, field, format string, args ...any) {
		r := &framework.Result{Message: fmt.Sprintf(format, args...), Severity: framework.Error, ResourceRef: src.ref}
		if field != "" {
			r.Field = &framework.Field{Path: field}
		}
		if src.file != "" {
			r.File = &framework.File{Path: src.file, Index: src.index}
		}
		results = append(results, r)
	}
	var p *placement
	if err != nil {
		report(config, "", "%v", err)
	} else {
		apps, problems := readApplications(rl.items)
		for _, pr := range problems {
			report(pr.src, pr.field, "%s", pr.message)
		}
		if len(problems) > 0 {
			// The mesh's own problems are reported too.
			apps = applications{}
		}
		objs, mesh, err := renderConfig(rl.functionConfig, apps.apps)
		switch {
		case err != nil:
			var ve *v1alpha1.ValidationError
			if !errors.As(err, &ve) {
				report(config, "", "%v", err)
				break
			}
			twice := map[string]int{}
			for _, fe := range ve.Errors {
				if src, field, ok := apps.attribute(fe.Field, twice); ok {
					report(src, field, "%s", fe.Message)
				} else {
					report(config, fe.Field, "%s", fe.Message)
				}
			}
		case len(problems) > 0:
		default:
			if p, err = place(rl.items, objs, mesh.Metadata.Name); err != nil {
				report(config, "", "%v", err)
			}
		}
	}
	w := &writer{out: out}
	w.start(rl.apiVersion)
	if p == nil { // set only when nothing failed
		for _, it := range rl.items {
			w.item(it)
		}
	} else if err := p.write(w); err != nil {
		return err
	}
	ours, err := resultNodes(results)
	if err != nil {
		return err
	}
	w.finish(rl.functionConfig, append(rl.results, ours...))
	if w.err != nil {
		return fmt.Errorf("writing the ResourceList: %w", w.err)
	}
	if len(results) > 0 {
		return results
	}
	return nil
}

// renderConfig decodes the function config as a Mesh and renders it with
// the applications, returning its objects and the defaulted mesh.
func renderConfig(cfg *yaml.RNode, apps []v1alpha1.Application) ([]render.Object, v1alpha1.Mesh, error) {
	var mesh v1alpha1.Mesh
	if cfg == nil || cfg.IsNilOrEmpty() {
		return nil, mesh, fmt.Errorf("no function config: meshrender needs a %s %s as its function config", v1alpha1.APIVersion, v1alpha1.Kind)
	}
	text, err := cfg.String()
	if err != nil {
		return nil, mesh, err
	}
	m, err := v1alpha1.Decode([]byte(text))
	if err != nil {
		return nil, mesh, err
	}
	objs, err := render.Render(m, render.Defaulted(&mesh), render.WithApplications(apps...))
	return objs, mesh, err
}

// configIdentity names the function config in results.
func configIdentity(cfg *yaml.RNode) (*yaml.ResourceIdentifier, string) {
	if cfg == nil || cfg.IsNilOrEmpty() || cfg.YNode().Kind != yaml.MappingNode {
		return nil, ""
	}
	meta, err := cfg.GetMeta()
	if err != nil {
		return nil, ""
	}
	ref := &yaml.ResourceIdentifier{TypeMeta: meta.TypeMeta, NameMeta: meta.ObjectMeta.NameMeta}
	file := meta.Annotations[kioutil.PathAnnotation]
	if file == "" {
		file = meta.Annotations[legacyPathAnnotation]
	}
	return ref, file
}

// identity of an object for ownership.
type identity struct{ apiVersion, kind, namespace, name string }

// nodeIdentity is n's identity; with no metadata to read, it is empty,
// and checkItems refuses the item.
func nodeIdentity(n *yaml.RNode) identity {
	meta, err := n.GetMeta()
	if err != nil {
		return identity{}
	}
	return identity{meta.APIVersion, meta.Kind, meta.Namespace, meta.Name}
}

func namespacedName(id identity) string {
	if id.namespace == "" {
		return id.name
	}
	return id.namespace + "/" + id.name
}

// placement says where each rendered object goes among the items:
// replacing in place the item an earlier run rendered, or appended in
// install order; and which stale items of this mesh are dropped.
type placement struct {
	items    []*item
	objs     []render.Object
	replaces map[int]int // item -> the object that replaces it
	// labels are someone else's items, application namespaces, that get
	// the labels of the namespace meshrender renders for them, parsed.
	labels  map[int]*yaml.RNode
	dropped map[int]bool
	// local are Application items to mark as local config.
	local    map[int]bool
	appended []int // objects with no item to replace, in install order
}

// place works out the placement from identities alone: no rendered object
// is parsed until it is written, but for a namespace the input holds
// someone else's item of, whose annotations tell whether it is an
// application namespace; that one is parsed once, here. instance is the
// name of the mesh rendered.
func place(items []*item, objs []render.Object, instance string) (*placement, error) {
	index := make(map[identity]int, len(objs))
	for i, o := range objs {
		index[identity{o.APIVersion, o.Kind, o.Namespace, o.Name}] = i
	}
	p := &placement{items: items, objs: objs, replaces: map[int]int{}, labels: map[int]*yaml.RNode{}, dropped: map[int]bool{}, local: map[int]bool{}}
	placed := make([]bool, len(objs))
	for i, it := range items {
		// checkItems passed every item: each has an apiVersion and kind.
		id, labels := it.id, it.labels
		if it.isApplication() {
			// Rendered with the mesh, and kept as the input's own.
			p.local[i] = !it.isLocalConfig()
			continue
		}
		// An earlier run's application namespace carries only the
		// annotation that marks it.
		ours := ownership.Owns(labels, instance) || it.annotations[ownership.AnnotationNamespaceLabels] == instance
		if j, rendersIt := index[id]; rendersIt && !placed[j] {
			if ours || ownership.SharedByMeshes(labels) {
				p.replaces[i] = j
			} else if ns := labelsOnly(objs[j]); ns != nil {
				// An application namespace the input holds: it keeps
				// everything but the injection label meshrender sets.
				p.labels[i] = ns
			} else {
				// Someone else's object of the same name: replacing it
				// would lose their content, keeping it would leave the
				// mesh incomplete.
				return nil, fmt.Errorf("%s %s is in the input but not meshrender's (it lacks %s: %s and %s: %s); remove it, or move what it adds into spec.overlays", id.kind, namespacedName(id), ownership.LabelManagedBy, ownership.ManagedBy, ownership.LabelInstance, instance)
			}
			placed[j] = true
			continue
		}
		if ours {
			p.dropped[i] = true // rendered by an earlier run of this mesh, gone now
		}
	}
	for j := range objs {
		if !placed[j] {
			p.appended = append(p.appended, j)
		}
	}
	return p, nil
}

// write writes the merged items.
func (p *placement) write(w *writer) error {
	for i, it := range p.items {
		if p.dropped[i] {
			continue
		}
		if p.local[i] {
			n, err := it.parse()
			if err != nil {
				return err
			}
			if err := n.PipeE(yaml.SetAnnotation(localConfigAnnotation, "true")); err != nil {
				return err
			}
			// The comment above the item stays above it, not after its
			// dash.
			y := n.YNode()
			above := y.HeadComment
			y.HeadComment = ""
			if len(y.Content) > 0 && above == "" {
				above = y.Content[0].HeadComment
				y.Content[0].HeadComment = ""
			}
			w.startItems()
			w.encode(&yaml.Node{Kind: yaml.SequenceNode, HeadComment: above, Content: []*yaml.Node{y}})
			continue
		}
		if ns, ok := p.labels[i]; ok {
			n, err := withInjectionLabel(it, ns)
			if err != nil {
				return err
			}
			w.node(n)
			continue
		}
		j, replaced := p.replaces[i]
		if !replaced {
			w.item(it)
			continue
		}
		n, err := parseObject(p.objs[j])
		if err != nil {
			return err
		}
		if err := keepOrchestratorAnnotations(it.annotations, n); err != nil {
			return err
		}
		sortAnnotations(n)
		w.node(n)
	}
	for _, j := range p.appended {
		n, err := parseObject(p.objs[j])
		if err != nil {
			return err
		}
		// Where kpt writes a new object into a package; kustomize drops
		// the annotation from its output.
		for _, k := range []string{kioutil.PathAnnotation, legacyPathAnnotation} {
			if err := n.PipeE(yaml.SetAnnotation(k, filePath(p.objs[j]))); err != nil {
				return err
			}
		}
		sortAnnotations(n)
		w.node(n)
	}
	return nil
}

// labelsOnly returns o, parsed, if it is an object meshrender sets only
// the labels of, an application namespace; otherwise nil. The caller
// keeps the parsed namespace, to take the labels from.
func labelsOnly(o render.Object) *yaml.RNode {
	if o.Kind != "Namespace" {
		return nil
	}
	n, err := parseObject(o)
	if err != nil || !ownership.LabelsOnly(n.GetAnnotations()) {
		return nil
	}
	return n
}

// withInjectionLabel is an application namespace of the input with the
// injection label of rendered, the one meshrender renders for it: that
// label set, the other removed, everything else of the item as it was.
func withInjectionLabel(it *item, rendered *yaml.RNode) (*yaml.RNode, error) {
	n, err := it.parse()
	if err != nil {
		return nil, err
	}
	want := rendered.GetLabels()
	for _, key := range []string{ownership.LabelRevision, ownership.LabelIstioInjection} {
		v, set := want[key]
		if !set {
			if _, err := n.Pipe(yaml.Lookup(yaml.MetadataField, yaml.LabelsField), yaml.Clear(key)); err != nil {
				return nil, err
			}
			continue
		}
		if err := n.PipeE(yaml.SetLabel(key, v)); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func parseObject(o render.Object) (*yaml.RNode, error) {
	n, err := yaml.Parse(string(o.YAML))
	if err != nil {
		return nil, fmt.Errorf("rendered %s %s: %w", o.Kind, o.Name, err)
	}
	return n, nil
}

// filePath is the file a new object goes to in a kpt package: its
// component's folder under istio/, as in a GitOps tree.
func filePath(o render.Object) string {
	return path.Join("istio", layout.Folder(o), layout.FileName(o))
}

// keepOrchestratorAnnotations copies the annotations kustomize and kpt use
// to track an item (path, index, ids) onto its replacement, so they see
// the same resource changed rather than one removed and another added.
func keepOrchestratorAnnotations(annotations map[string]string, to *yaml.RNode) error {
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		if isOrchestratorAnnotation(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // map order would make the output differ run to run
	for _, k := range keys {
		if err := to.PipeE(yaml.SetAnnotation(k, annotations[k])); err != nil {
			return err
		}
	}
	return nil
}

// sortAnnotations orders a rendered object's annotations by key, as the
// renderer prints them, so the annotations added here land in the same
// place however they were added: a run over the function's own output
// gives the same bytes.
func sortAnnotations(n *yaml.RNode) {
	a, err := n.Pipe(yaml.Lookup(yaml.MetadataField, yaml.AnnotationsField))
	if err != nil || a == nil || a.YNode().Kind != yaml.MappingNode {
		return
	}
	c := a.YNode().Content
	pairs := make([][2]*yaml.Node, 0, len(c)/2)
	for i := 0; i+1 < len(c); i += 2 {
		pairs = append(pairs, [2]*yaml.Node{c[i], c[i+1]})
	}
	slices.SortStableFunc(pairs, func(x, y [2]*yaml.Node) int { return strings.Compare(x[0].Value, y[0].Value) })
	for i, pr := range pairs {
		c[2*i], c[2*i+1] = pr[0], pr[1]
	}
}

func isOrchestratorAnnotation(k string) bool {
	for _, p := range []string{"internal.config.kubernetes.io/", "kustomize.config.k8s.io/"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	switch k {
	case legacyPathAnnotation, legacyIndexAnnotation, legacyIDAnnotation:
		return true
	}
	return false
}
