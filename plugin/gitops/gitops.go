// Package gitops writes a mesh as a Git repository tree for Flux or Argo
// CD: one object per file in layers (CRDs, control plane, gateways), a
// kustomization.yaml in every folder, and the Flux Kustomizations or Argo
// CD Applications that install the layers in order on an empty cluster
// without the drift that keeps upstream Istio OutOfSync.
//
// The tree for a mesh lives at <base>/<mesh name>/ and is written with
// plugin/tree: in one step, owning only the files it wrote.
package gitops

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"sigs.k8s.io/yaml"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/meshrender/meshrender/plugin/layout"
	"github.com/meshrender/meshrender/plugin/tree"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/ownership"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// Flavor is the GitOps tool the tree is for.
type Flavor string

// The supported flavors.
const (
	Flux   Flavor = "flux"
	ArgoCD Flavor = "argocd"
)

// Options say where the tree goes and how the GitOps tool finds it.
type Options struct {
	Flavor Flavor
	// RepoURL is the Git repository the tool reads, such as
	// https://git.example.com/platform/clusters.git.
	RepoURL string
	// Branch is the branch it follows (default main).
	Branch string
	// BasePath is the repository folder that holds one folder per
	// cluster (default clusters).
	BasePath string
	// ArgoCDPlugin also writes an Argo CD config management plugin that
	// runs meshrender in the repo server, for repositories that keep only
	// mesh.yaml.
	ArgoCDPlugin bool
	// SecretName names the Secret with Git credentials for Flux's
	// GitRepository; empty means a public repository.
	SecretName string
	// Applications are rendered with the mesh, each application
	// namespace a folder of the applications layer.
	Applications []v1alpha1.Application
}

// Defaults.
const (
	DefaultBranch   = "main"
	DefaultBasePath = "clusters"
	fluxNamespace   = "flux-system"
	argoNamespace   = "argocd"
	inCluster       = "https://kubernetes.default.svc"
)

func (o Options) withDefaults() Options {
	if o.Branch == "" {
		o.Branch = DefaultBranch
	}
	if o.BasePath == "" {
		o.BasePath = DefaultBasePath
	}
	// Cleaning keeps a leading slash, for Validate to refuse.
	o.BasePath = path.Clean(filepath.ToSlash(o.BasePath))
	return o
}

// Validate reports options that cannot make a tree, such as a repository
// URL Flux would reject or a base path outside the repository.
func (o Options) Validate() error {
	return o.withDefaults().validate()
}

// validate is Validate of options already defaulted.
func (o Options) validate() error {
	var problems []string
	if o.Flavor != Flux && o.Flavor != ArgoCD {
		problems = append(problems, fmt.Sprintf("flavor must be %s or %s, got %q", Flux, ArgoCD, o.Flavor))
	}
	if o.RepoURL == "" {
		problems = append(problems, "a repository URL is needed")
	} else if !strings.HasPrefix(o.RepoURL, "https://") && !strings.HasPrefix(o.RepoURL, "http://") && !strings.HasPrefix(o.RepoURL, "ssh://") {
		// Flux rejects scp-style addresses (git@host:org/repo).
		problems = append(problems, fmt.Sprintf("repository URL %q must start with https://, http:// or ssh:// (write git@host:org/repo as ssh://git@host/org/repo)", o.RepoURL))
	}
	if why := checkBasePath(o.BasePath); why != "" {
		problems = append(problems, fmt.Sprintf("base path %q %s", o.BasePath, why))
	}
	if o.ArgoCDPlugin && o.Flavor != ArgoCD {
		problems = append(problems, "the Argo CD plugin goes with the argocd flavor")
	}
	if len(problems) > 0 {
		return fmt.Errorf("gitops: %s", strings.Join(problems, "; "))
	}
	return nil
}

// checkBasePath says why base, cleaned and slash-separated, cannot hold
// the trees, or returns "".
func checkBasePath(base string) string {
	switch {
	case base == "." || base == ".." || strings.HasPrefix(base, "../") || path.IsAbs(base):
		return "must be a folder inside the repository"
	case strings.ContainsFunc(base, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "holds a control character, such as a newline"
	case strings.Contains(base, `\`):
		return "holds a backslash; separate folders with /"
	case slices.ContainsFunc(strings.Split(base, "/"), func(e string) bool { return strings.EqualFold(e, ".git") }):
		// Case-insensitive: on macOS and Windows .GIT is .git.
		return "is inside .git, Git's own folder"
	}
	return ""
}

// Write renders m and writes its tree into the repository checkout at
// repo, under <base>/<mesh name>/. Nothing is written unless m is valid.
// Every folder from repo down is a real one, made if missing: a symbolic
// link on the way is an error naming it, never followed out of repo.
func Write(repo string, m v1alpha1.Mesh, opts Options) error {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return err
	}
	tf, name, err := meshFiles(m, opts)
	if err != nil {
		return err
	}
	// Rooted at the checkout: no folder of the base path may be a link.
	return tree.Options{Root: repo}.Write(filepath.Join(repo, filepath.FromSlash(opts.BasePath), name), tf)
}

// WriteFleet renders every cluster of a fleet and writes the clusters'
// trees into the repository checkout at repo, each under
// <base>/<cluster name>/ as Write writes a Mesh, as one tree at <base>:
// a cluster removed from the fleet loses exactly its folder. Nothing is
// written unless every cluster is valid. opts.Applications are rendered
// with every cluster.
func WriteFleet(repo string, f v1alpha1.Fleet, opts Options) error {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return err
	}
	meshes, err := f.Meshes()
	if err != nil {
		return err
	}
	var all []tree.File
	for _, m := range meshes {
		tf, name, err := meshFiles(m, opts)
		if err != nil {
			return fmt.Errorf("cluster %s: %w", m.Metadata.Name, err)
		}
		for _, file := range tf {
			file.Path = name + "/" + file.Path
			all = append(all, file)
		}
	}
	return tree.Options{Root: repo}.Write(filepath.Join(repo, filepath.FromSlash(opts.BasePath)), all)
}

// meshFiles renders m and returns its tree's files, relative to its
// folder, and its name.
func meshFiles(m v1alpha1.Mesh, opts Options) ([]tree.File, string, error) {
	var mesh v1alpha1.Mesh
	renderOpts := []render.Option{render.Defaulted(&mesh), render.WithApplications(opts.Applications...)}
	if opts.Flavor == Flux {
		renderOpts = append(renderOpts, render.WithOverlays(fluxWebhookOverlay()))
	}
	objs, err := render.Render(m, renderOpts...)
	if err != nil {
		return nil, "", err
	}
	if err := checkName(mesh.Metadata.Name); err != nil {
		return nil, "", err
	}
	tf, err := files(mesh.Metadata.Name, objs, opts)
	return tf, mesh.Metadata.Name, err
}

// longestSuffix is the longest suffix a mesh name gets in a GitOps object
// name; Flux also copies the Kustomization name into a label value.
const longestSuffix = "-istio-control-plane"

// checkName makes sure the mesh name can name the folder and the Flux and
// Argo CD objects: a DNS label short enough for every suffix.
func checkName(name string) error {
	msgs := validation.IsDNS1123Label(name)
	if max := validation.DNS1123LabelMaxLength - len(longestSuffix); len(name) > max {
		msgs = append(msgs, fmt.Sprintf("must be at most %d characters, so that %s%s fits in 63", max, name, longestSuffix))
	}
	if len(msgs) == 0 {
		return nil
	}
	ve := &v1alpha1.ValidationError{}
	for _, m := range msgs {
		ve.Errors = append(ve.Errors, v1alpha1.FieldError{Field: "metadata.name", Message: fmt.Sprintf("%q cannot name GitOps objects: %s", name, m)})
	}
	return ve
}

// fluxWebhookOverlay lets istiod own the validating webhook after Flux
// creates it: istiod patches in its CA bundle and flips failurePolicy to
// Fail, and Flux would otherwise set it back to Ignore on every
// reconciliation.
func fluxWebhookOverlay() v1alpha1.Overlay {
	return v1alpha1.Overlay{
		Name:   "flux-leaves-the-webhook-to-istiod",
		Target: &v1alpha1.OverlayTarget{Kind: "ValidatingWebhookConfiguration"},
		Patch:  "metadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent\n",
	}
}

// Files returns the tree of one mesh, paths relative to its folder
// <base>/<name>/. objs is the rendered mesh, in install order. Each layer
// is a folder under istio/ and each component a folder in its layer
// (istio/gateways/istio-ingress/), one file per object; every folder has a
// kustomization.yaml listing its files and sub-folders.
func Files(name string, objs []render.Object, opts Options) ([]tree.File, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return files(name, objs, opts)
}

// files is Files with opts defaulted and valid.
func files(name string, objs []render.Object, opts Options) ([]tree.File, error) {
	var files []tree.File
	resources := map[string][]string{} // folder -> its files and sub-folders, in order
	var folders []string
	list := func(folder, entry string) {
		if _, ok := resources[folder]; !ok {
			folders = append(folders, folder)
		}
		if !slices.Contains(resources[folder], entry) {
			resources[folder] = append(resources[folder], entry)
		}
	}
	var layers []render.Layer
	parts := map[render.Layer][]string{} // each layer's component folders
	webhooks := map[render.Layer][]string{}
	health := layerHealth{}
	for _, o := range objs {
		if !slices.Contains(layers, o.Layer) {
			layers = append(layers, o.Layer)
		}
		folder := "istio/" + layout.Folder(o)
		if part, ok := strings.CutPrefix(o.Component, string(o.Layer)+"/"); ok && !slices.Contains(parts[o.Layer], part) {
			parts[o.Layer] = append(parts[o.Layer], part)
		}
		if strings.HasSuffix(o.Kind, "WebhookConfiguration") && !slices.Contains(webhooks[o.Layer], o.Kind) {
			webhooks[o.Layer] = append(webhooks[o.Layer], o.Kind)
		}
		if err := health.add(o); err != nil {
			return nil, err
		}
		file := layout.FileName(o)
		list(folder, file)
		files = append(files, tree.File{Path: path.Join(folder, file), Data: o.YAML})
	}
	slices.SortStableFunc(layers, func(a, b render.Layer) int { return a.Rank() - b.Rank() })
	for _, l := range layers {
		for _, part := range parts[l] {
			list("istio/"+string(l), part)
		}
	}
	for _, folder := range folders {
		k, err := kustomization(resources[folder])
		if err != nil {
			return nil, err
		}
		files = append(files, tree.File{Path: path.Join(folder, "kustomization.yaml"), Data: k})
	}
	var layerNames []string
	for _, l := range layers {
		layerNames = append(layerNames, string(l))
	}
	k, err := kustomization(layerNames)
	if err != nil {
		return nil, err
	}
	files = append(files, tree.File{Path: "istio/kustomization.yaml", Data: k})
	var tool []tree.File
	switch opts.Flavor {
	case Flux:
		tool, err = fluxFiles(name, layerNames, health, opts)
	case ArgoCD:
		tool, err = argoFiles(name, layerNames, webhooks, opts)
	}
	if err != nil {
		return nil, err
	}
	files = append(files, tool...)
	slices.SortFunc(files, func(a, b tree.File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// fileName is the file of a GitOps object: the same scheme as the mesh's
// own objects.
func fileName(kind, name string) string {
	return layout.FileName(render.Object{Kind: kind, Name: name})
}

// kustomization lists resources in a kustomization.yaml.
func kustomization(resources []string) ([]byte, error) {
	k := types.Kustomization{
		TypeMeta:  types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind},
		Resources: resources,
	}
	return yamlenc.AppendManifest(nil, k)
}

// repoPath is a folder of this mesh as a path in the repository.
func repoPath(name string, opts Options, folder string) string {
	return "./" + path.Join(opts.BasePath, name, folder)
}

// objectFiles prints objects, one file each, with a kustomization.yaml.
func objectFiles(folder string, objs []any, names []string) ([]tree.File, error) {
	var files []tree.File
	for i, o := range objs {
		data, err := yamlenc.AppendManifest(nil, o)
		if err != nil {
			return nil, err
		}
		files = append(files, tree.File{Path: path.Join(folder, names[i]), Data: data})
	}
	k, err := kustomization(names)
	if err != nil {
		return nil, err
	}
	return append(files, tree.File{Path: path.Join(folder, "kustomization.yaml"), Data: k}), nil
}

// fluxFiles are a GitRepository and one Kustomization per layer, each
// waiting for the one before: wait: true makes a Kustomization ready only
// when everything it applied is healthy (CRDs established, Deployments
// available), so the gateways wait for a running istiod, which waits for
// the CRDs.
func fluxFiles(name string, layers []string, health layerHealth, opts Options) ([]tree.File, error) {
	source := "meshrender-" + name
	repo := GitRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: "source.toolkit.fluxcd.io/v1", Kind: "GitRepository"},
		ObjectMeta: metav1.ObjectMeta{Name: source, Namespace: fluxNamespace, Labels: ownership.Labels(name)},
		Spec:       GitRepositorySpec{URL: opts.RepoURL, Ref: GitRepositoryRef{Branch: opts.Branch}, Interval: "5m"},
	}
	if opts.SecretName != "" {
		repo.Spec.SecretRef = &LocalReference{Name: opts.SecretName}
	}
	objs := []any{repo}
	names := []string{fileName("GitRepository", source)}
	previous := ""
	for _, layer := range layers {
		k := FluxKustomization{
			TypeMeta:   metav1.TypeMeta{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization"},
			ObjectMeta: metav1.ObjectMeta{Name: name + "-istio-" + layer, Namespace: fluxNamespace, Labels: ownership.Labels(name)},
			Spec: FluxKustomizationSpec{
				Interval: "10m", RetryInterval: "1m", Timeout: "5m",
				Path:  repoPath(name, opts, "istio/"+layer),
				Prune: true, Wait: true,
				SourceRef: SourceReference{Kind: "GitRepository", Name: source},
			},
		}
		if checks, ok := health.manual(render.Layer(layer)); ok {
			// A DaemonSet that replaces its pods only when they are
			// deleted is never fully updated after a change, which would
			// keep the Kustomization, and every layer after it, from
			// becoming ready: the layer's other workloads are checked
			// instead.
			k.Spec.Wait, k.Spec.HealthChecks = false, checks
		}
		if previous != "" {
			k.Spec.DependsOn = []DependsOn{{Name: previous}}
		}
		previous = k.Name
		objs = append(objs, k)
		names = append(names, fileName("Kustomization", k.Name))
	}
	return objectFiles("flux", objs, names)
}

// argoFiles are an Application per layer, in sync waves, under one root
// Application (app of apps) that is the only object applied by hand.
func argoFiles(name string, layers []string, webhooks map[render.Layer][]string, opts Options) ([]tree.File, error) {
	app := func(appName, folder string) Application {
		return Application{
			TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Application"},
			ObjectMeta: metav1.ObjectMeta{Name: appName, Namespace: argoNamespace, Labels: ownership.Labels(name)},
			Spec: ApplicationSpec{
				Project:     "default",
				Source:      ApplicationSource{RepoURL: opts.RepoURL, TargetRevision: opts.Branch, Path: strings.TrimPrefix(repoPath(name, opts, folder), "./")},
				Destination: ApplicationDestination{Server: inCluster},
				SyncPolicy: SyncPolicy{
					Automated: &SyncPolicyAutomated{Prune: true, SelfHeal: true},
					// Server-side apply: the CRDs are too large for the
					// last-applied annotation of a client-side apply.
					SyncOptions: []string{"ServerSideApply=true", "RespectIgnoreDifferences=true"},
					// A layer retries until the one before it is healthy.
					Retry: &RetryStrategy{Limit: 10, Backoff: &Backoff{Duration: "10s", Factor: new(int64(2)), MaxDuration: "5m"}},
				},
			},
		}
	}
	var objs []any
	var names []string
	for i, layer := range layers {
		a := app(name+"-istio-"+layer, "istio/"+layer)
		a.Annotations = map[string]string{"argocd.argoproj.io/sync-wave": fmt.Sprint(i)}
		// istiod patches its CA bundle into its webhooks and flips the
		// validating webhook's failurePolicy to Fail once it serves;
		// neither is drift.
		for _, kind := range webhooks[render.Layer(layer)] {
			a.Spec.IgnoreDifferences = append(a.Spec.IgnoreDifferences, ResourceIgnoreDiffs{
				Group: "admissionregistration.k8s.io", Kind: kind,
				JQPathExpressions: []string{".webhooks[]?.clientConfig.caBundle", ".webhooks[]?.failurePolicy"},
			})
		}
		objs = append(objs, a)
		names = append(names, fileName("Application", a.Name))
	}
	files, err := objectFiles("argocd/apps", objs, names)
	if err != nil {
		return nil, err
	}
	root := app(name+"-istio", "argocd/apps")
	rootFiles, err := objectFiles("argocd", []any{root}, []string{fileName("Application", root.Name)})
	if err != nil {
		return nil, err
	}
	files = append(files, rootFiles...)
	if opts.ArgoCDPlugin {
		plugin, err := pluginFiles(name)
		if err != nil {
			return nil, err
		}
		files = append(files, plugin...)
	}
	return files, nil
}

// pluginFiles are the config management plugin that renders mesh.yaml in
// Argo CD's repo server, as a ConfigMap to mount into the sidecar.
func pluginFiles(name string) ([]tree.File, error) {
	plugin := ConfigManagementPlugin{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "ConfigManagementPlugin"},
		ObjectMeta: metav1.ObjectMeta{Name: "meshrender"},
		Spec: PluginSpec{
			Discover: PluginDiscover{FileName: "./mesh.yaml"},
			// A non-zero exit fails the sync: an invalid mesh never
			// renders to an empty manifest that would prune everything.
			Generate: PluginCommand{Command: []string{"meshrender", "render", "-f", "mesh.yaml"}},
		},
	}
	data, err := yamlenc.AppendManifest(nil, plugin)
	if err != nil {
		return nil, err
	}
	cm := corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "meshrender-cmp-plugin", Namespace: argoNamespace, Labels: ownership.Labels(name)},
		Data:       map[string]string{"plugin.yaml": string(data)},
	}
	return objectFiles("argocd/cmp", []any{cm}, []string{fileName("ConfigMap", cm.Name)})
}

// layerHealth are each layer's workloads, for Flux's health checks, and
// whether any of them is a DaemonSet updated only OnDelete.
type layerHealth map[render.Layer]*workloads

type workloads struct {
	refs     []HealthCheck
	onDelete bool
}

// add records a rendered object that is a workload.
func (h layerHealth) add(o render.Object) error {
	if o.Kind != "Deployment" && o.Kind != "DaemonSet" {
		return nil
	}
	l := h[o.Layer]
	if l == nil {
		l = &workloads{}
		h[o.Layer] = l
	}
	// Only a DaemonSet can be OnDelete; a Deployment's YAML, the largest
	// of a mesh, is not parsed.
	if o.Kind == "DaemonSet" {
		var w struct {
			Spec struct {
				UpdateStrategy struct {
					Type string `json:"type"`
				} `json:"updateStrategy"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(o.YAML, &w); err != nil {
			return fmt.Errorf("%s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
		}
		if w.Spec.UpdateStrategy.Type == "OnDelete" {
			l.onDelete = true
			return nil
		}
	}
	l.refs = append(l.refs, HealthCheck{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace})
	return nil
}

// manual returns the health checks of a layer with an OnDelete
// DaemonSet: its other workloads.
func (h layerHealth) manual(l render.Layer) ([]HealthCheck, bool) {
	w := h[l]
	if w == nil || !w.onDelete {
		return nil, false
	}
	return w.refs, true
}
