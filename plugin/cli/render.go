package cli

import (
	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/render"
)

func newRenderCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "render [-f FILE|-]",
		Short: "Print the rendered mesh as YAML",
		Long: `Render a Mesh config and print every object as one YAML stream, in install order.
Without -f the default mesh is rendered. Nothing is printed unless the whole
mesh renders: an invalid config prints every problem, with its field path, on
stderr and exits 1.`,
		Example: `  # The default mesh
  meshrender render

  # A mesh from a file, or from stdin
  meshrender render -f mesh.yaml
  cat mesh.yaml | meshrender render -f -

  # Apply it
  meshrender render -f mesh.yaml | kubectl apply --server-side -f -`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, name, err := readMesh(cmd, file)
			if err != nil {
				return describeError(name, err)
			}
			// Write validates the whole config before it writes a byte.
			if err := render.Write(cmd.OutOrStdout(), m); err != nil {
				return describeError(name, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "Mesh config to render; - reads stdin")
	return cmd
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%q takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
