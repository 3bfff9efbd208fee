// Package fn is meshrender's KRM function, for kustomize (generators and
// transformers with an exec function) and kpt (fn eval --exec). The
// function config is a Mesh; the function renders it and merges the
// objects into the ResourceList.
//
// Items the function does not own come back exactly as they came:
// content, comments and order. Objects the mesh renders are added, or
// replace in place the item an earlier run rendered (same apiVersion,
// kind, namespace and name, labelled app.kubernetes.io/managed-by:
// meshrender and app.kubernetes.io/instance: <mesh>); an item of the same
// name that is not meshrender's is an error, never overwritten. Items an
// earlier run rendered for the same mesh but this one no longer does are
// removed. Running the function over its own output
// therefore changes nothing. An invalid config gives one error result per
// problem, with its field path and the config's file, leaves the items
// untouched, and makes the process exit non-zero.
package fn

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshrender/meshrender/plugin/layout"
	"github.com/meshrender/meshrender/render"
)

// The annotations orchestrators set before the internal.config.kubernetes.io
// ones. kyaml deprecates them, but kpt's 1.0.0 beta releases still read
// and write them, so the function keeps honouring both.
const (
	legacyPathAnnotation  = "config.kubernetes.io/path"
	legacyIndexAnnotation = "config.kubernetes.io/index"
	legacyIDAnnotation    = "config.k8s.io/id"
)

// Processor renders the Mesh function config into the ResourceList.
var Processor framework.ResourceListProcessor = framework.ResourceListProcessorFunc(Process)

// Process is the function: it reads rl.FunctionConfig, renders it and
// merges the objects into rl.Items. On any problem it leaves rl.Items as
// they are, adds error results and returns them as the error.
func Process(rl *framework.ResourceList) error {
	ref, file := configIdentity(rl.FunctionConfig)
	fail := func(field, format string, args ...any) {
		r := &framework.Result{Message: fmt.Sprintf(format, args...), Severity: framework.Error, ResourceRef: ref}
		if field != "" {
			r.Field = &framework.Field{Path: field}
		}
		if file != "" {
			r.File = &framework.File{Path: file}
		}
		rl.Results = append(rl.Results, r)
	}
	objs, err := renderConfig(rl.FunctionConfig)
	if err != nil {
		var ve *render.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				fail(fe.Field, "%s", fe.Message)
			}
		} else {
			fail("", "%v", err)
		}
		return rl.Results
	}
	items, err := merge(rl.Items, objs, rl.FunctionConfig)
	if err != nil {
		fail("", "%v", err)
		return rl.Results
	}
	rl.Items = items
	return nil
}

// renderConfig decodes the function config as a Mesh and renders it.
func renderConfig(cfg *yaml.RNode) ([]render.Object, error) {
	if cfg == nil || cfg.IsNilOrEmpty() {
		return nil, fmt.Errorf("no function config: meshrender needs a %s %s as its function config", render.APIVersion, render.Kind)
	}
	text, err := cfg.String()
	if err != nil {
		return nil, err
	}
	m, err := render.Decode([]byte(text))
	if err != nil {
		return nil, err
	}
	return render.Render(m)
}

// configIdentity names the function config in results.
func configIdentity(cfg *yaml.RNode) (*yaml.ResourceIdentifier, string) {
	if cfg == nil || cfg.IsNilOrEmpty() {
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

func nodeIdentity(n *yaml.RNode) (identity, bool) {
	meta, err := n.GetMeta()
	if err != nil || meta.Kind == "" {
		return identity{}, false
	}
	return identity{meta.APIVersion, meta.Kind, meta.Namespace, meta.Name}, true
}

// merge puts the rendered objects into items: replacing the items they
// own in place, dropping stale ones, appending the rest in install order.
func merge(items []*yaml.RNode, objs []render.Object, cfg *yaml.RNode) ([]*yaml.RNode, error) {
	rendered := make(map[identity]*yaml.RNode, len(objs))
	paths := make(map[identity]string, len(objs))
	order := make([]identity, 0, len(objs))
	for _, o := range objs {
		n, err := yaml.Parse(string(o.YAML))
		if err != nil {
			return nil, fmt.Errorf("rendered %s %s: %w", o.Kind, o.Name, err)
		}
		id := identity{o.APIVersion, o.Kind, o.Namespace, o.Name}
		rendered[id] = n
		paths[id] = filePath(o)
		order = append(order, id)
	}
	instance := ""
	if meta, err := cfg.GetMeta(); err == nil {
		instance = meta.Name
		if instance == "" {
			instance = render.DefaultMeshName
		}
	}
	out := make([]*yaml.RNode, 0, len(items)+len(objs))
	placed := map[identity]bool{}
	for _, it := range items {
		id, ok := nodeIdentity(it)
		if !ok {
			out = append(out, it)
			continue
		}
		if n, rendersIt := rendered[id]; rendersIt {
			if labels := it.GetLabels(); !render.Owns(labels, instance) && !render.SharedByMeshes(labels) {
				// Someone else's object of the same name: replacing it
				// would lose their content, keeping it would leave the
				// mesh incomplete.
				return nil, fmt.Errorf("%s %s is in the input but not meshrender's (it lacks %s: %s and %s: %s); remove it, or move what it adds into spec.overlays", id.kind, namespacedName(id), render.LabelManagedBy, render.ManagedBy, render.LabelInstance, instance)
			}
			if err := keepOrchestratorAnnotations(it, n); err != nil {
				return nil, err
			}
			out = append(out, n)
			placed[id] = true
			continue
		}
		if render.Owns(it.GetLabels(), instance) {
			continue // rendered by an earlier run of this mesh, gone now
		}
		out = append(out, it)
	}
	for _, id := range order {
		if !placed[id] {
			n := rendered[id]
			// Where kpt writes a new object into a package; kustomize
			// drops the annotation from its output.
			for _, k := range []string{kioutil.PathAnnotation, legacyPathAnnotation} {
				if err := n.PipeE(yaml.SetAnnotation(k, paths[id])); err != nil {
					return nil, err
				}
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// filePath is the file a new object goes to in a kpt package: its
// component's folder under istio/, as in a GitOps tree.
func filePath(o render.Object) string {
	return path.Join("istio", layout.Folder(o), layout.FileName(o))
}

func namespacedName(id identity) string {
	if id.namespace == "" {
		return id.name
	}
	return id.namespace + "/" + id.name
}

// keepOrchestratorAnnotations copies the annotations kustomize and kpt use
// to track an item (path, index, ids) onto its replacement, so they see
// the same resource changed rather than one removed and another added.
func keepOrchestratorAnnotations(from, to *yaml.RNode) error {
	annotations := from.GetAnnotations()
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

// Execute runs the function over a ResourceList read from rw's reader,
// writing the result to its writer. The items are written back even when
// the config is invalid, so an orchestrator never loses them.
func Execute(rw *kio.ByteReadWriter) error {
	rw.KeepReaderAnnotations = true
	return framework.Execute(Processor, rw)
}
