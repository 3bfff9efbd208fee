package cli

import (
	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/plugin/gitops"
)

func newGitOpsCommand() *cobra.Command {
	var files []string
	var repo string
	var opts gitops.Options
	var flavor string
	cmd := &cobra.Command{
		Use:   "gitops -f FILE -o REPO --flavor flux|argocd --repo-url URL",
		Short: "Write the mesh as a Git repository tree for Flux or Argo CD",
		Long: `Write the mesh into a Git checkout as a tree Flux or Argo CD applies in order on
an empty cluster: <base>/<mesh name>/istio/{crds,control-plane,gateways/<namespace>}/,
one object per file, a kustomization.yaml in every folder, and

  flux:    flux/: a GitRepository and one Kustomization per layer, each
           depending on the one before, with wait and prune;
  argocd:  argocd/: a root Application (app of apps) and one Application per
           layer in sync waves, server-side apply, and ignoreDifferences for what
           istiod changes at run time (the webhook's caBundle and failurePolicy).

With a Fleet, every cluster is written into one tree at <base>, each in the
folder of its name with its own entry point: a cluster removed from the
fleet loses exactly its folder.

The writer owns only what it wrote (listed in .meshrender-files): running it
again with the same mesh changes no byte, a smaller mesh removes exactly the
files no longer rendered, files you add are never touched, and a failure leaves
the previous tree as it was.`,
		Example: `  # Flux
  meshrender gitops -f mesh.yaml -o . --flavor flux \
    --repo-url https://git.example.com/platform/clusters.git
  kubectl apply -k clusters/eu1/flux

  # Argo CD, with the plugin that renders mesh.yaml in the repo server
  meshrender gitops -f mesh.yaml -o . --flavor argocd --argocd-plugin \
    --repo-url https://git.example.com/platform/clusters.git --branch main
  kubectl apply -k clusters/eu1/argocd`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 || repo == "" || flavor == "" || opts.RepoURL == "" {
				return usagef("gitops needs -f FILE, -o REPO, --flavor and --repo-url")
			}
			opts.Flavor = gitops.Flavor(flavor)
			if opts.Flavor != gitops.Flux && opts.Flavor != gitops.ArgoCD {
				return usagef("--flavor must be flux or argocd, got %q", flavor)
			}
			if err := opts.Validate(); err != nil {
				return usageError{err}
			}
			tuneGCForRendering()
			in, err := readInputs(cmd, files)
			if err != nil {
				return describeError(in.name, err)
			}
			opts.Applications = in.apps
			write := func() error { return gitops.Write(repo, *in.mesh, opts) }
			if in.fleet != nil {
				write = func() error { return gitops.WriteFleet(repo, *in.fleet, opts) }
			}
			if err := warnLeftovers(cmd, write()); err != nil {
				return describeError(in.name, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&files, "filename", "f", nil, "Mesh config, - reads stdin; again for a file or folder of Applications")
	f.StringVarP(&repo, "output-dir", "o", "", "the repository checkout to write into")
	f.StringVar(&flavor, "flavor", "", "flux or argocd")
	f.StringVar(&opts.RepoURL, "repo-url", "", "the repository URL the GitOps tool reads (https://, http:// or ssh://)")
	f.StringVar(&opts.Branch, "branch", gitops.DefaultBranch, "the branch it follows")
	f.StringVar(&opts.BasePath, "base-path", gitops.DefaultBasePath, "the folder holding one folder per cluster")
	f.StringVar(&opts.SecretName, "git-secret", "", "flux: Secret with the repository's credentials")
	f.BoolVar(&opts.ArgoCDPlugin, "argocd-plugin", false, "argocd: also write the config management plugin")
	return cmd
}
