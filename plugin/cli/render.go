package cli

import (
	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/plugin/layout"
	"github.com/meshrender/meshrender/plugin/tree"
	"github.com/meshrender/meshrender/render"
)

func newRenderCommand() *cobra.Command {
	var files []string
	var outDir, split, cluster string
	cmd := &cobra.Command{
		Use:   "render [-f FILE|-] [--cluster NAME] [-f APPLICATIONS]... [-o DIR [--split object|component]]",
		Short: "Render the mesh as YAML, to stdout or into a directory",
		Long: `Render a Mesh config and print every object as one YAML stream, in install order.
Without -f the default mesh is rendered. Every -f after the first names a
file, or a folder of *.yaml, *.yml and *.json files, of Applications, which are
rendered with the mesh and checked against it. The first file may be a Fleet
instead: --cluster then names the cluster whose Mesh is rendered.

With -o DIR the objects are written into DIR instead: one file per object
(--split object, the default) or per component (--split component), named so
that they sort in install order. DIR is replaced in one step, and only the
files meshrender wrote before are replaced or removed; files you add to DIR are
left alone. On an empty cluster apply the CRDs first and wait for them to be
established: kubectl maps every object of a run before it applies any.

Nothing is written unless the whole mesh renders: an invalid config prints every
problem, with its field path, on stderr and exits 1.`,
		Example: `  # The default mesh
  meshrender render

  # A mesh from a file, or from stdin
  meshrender render -f mesh.yaml
  cat mesh.yaml | meshrender render -f -

  # A mesh with the applications its teams wrote
  meshrender render -f mesh.yaml -f apps/

  # One cluster of a fleet
  meshrender render -f fleet.yaml --cluster eu1

  # Apply it to an empty cluster: CRDs first
  meshrender render -f mesh.yaml -o istio/ --split component
  kubectl apply --server-side -f istio/01-crds.yaml
  kubectl wait --for condition=Established crd --all
  kubectl apply --server-side -R -f istio/

  # One file per object, or per component, in a directory
  meshrender render -f mesh.yaml -o out/
  meshrender render -f mesh.yaml -o out/ --split component`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if split != "object" && split != "component" {
				return usagef("--split must be object or component, got %q", split)
			}
			if outDir == "" && cmd.Flags().Changed("split") {
				return usagef("--split needs -o DIR")
			}
			tuneGCForRendering()
			in, err := readInputs(cmd, files)
			if err != nil {
				return describeError(in.name, err)
			}
			m, err := in.clusterMesh(cluster)
			if err != nil {
				return err
			}
			name := in.name
			withApps := render.WithApplications(in.apps...)
			if outDir == "" {
				// Write validates the whole config before it writes a byte.
				if err := render.Write(cmd.OutOrStdout(), m, withApps); err != nil {
					return describeError(name, err)
				}
				return nil
			}
			objs, err := render.Render(m, withApps)
			if err != nil {
				return describeError(name, err)
			}
			files := layout.Flat(objs)
			if split == "component" {
				files = layout.ByComponent(objs)
			}
			return warnLeftovers(cmd, tree.Write(outDir, files))
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "Mesh config to render, - reads stdin; again for a file or folder of Applications")
	cmd.Flags().StringVarP(&outDir, "output-dir", "o", "", "write files into this directory instead of printing")
	cmd.Flags().StringVar(&split, "split", "object", "with -o: one file per object or per component")
	cmd.Flags().StringVar(&cluster, "cluster", "", "with a Fleet: the cluster to render")
	return cmd
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%q takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
