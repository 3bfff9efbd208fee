package cli

import (
	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/schema"
)

func newSchemaCommand() *cobra.Command {
	var kind string
	cmd := &cobra.Command{
		Use:   "schema [--kind Mesh|Application|Fleet]",
		Short: "Print the JSON Schema of the Mesh config, an Application or a Fleet",
		Long: `Print the JSON Schema (draft-07) of the Mesh config, or with --kind Application
of an Application, for editors that validate and complete mesh.yaml and the
teams' application files. With the YAML language server, start mesh.yaml with

  # yaml-language-server: $schema=mesh.schema.json`,
		Example: `  meshrender schema > mesh.schema.json
  meshrender schema --kind Application > application.schema.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := schema.JSON
			switch kind {
			case v1alpha1.Kind:
			case v1alpha1.ApplicationKind:
				out = schema.ApplicationJSON
			case v1alpha1.FleetKind:
				out = schema.FleetJSON
			default:
				return usagef("--kind must be %s, %s or %s, got %q", v1alpha1.Kind, v1alpha1.ApplicationKind, v1alpha1.FleetKind, kind)
			}
			_, err := cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&kind, "kind", v1alpha1.Kind, "the document kind: "+v1alpha1.Kind+", "+v1alpha1.ApplicationKind+" or "+v1alpha1.FleetKind)
	return cmd
}
