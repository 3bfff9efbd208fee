package cli

import (
	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/render/schema"
)

func newSchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the Mesh config",
		Long: `Print the JSON Schema (draft-07) of the Mesh config, for editors that validate
and complete mesh.yaml. With the YAML language server, start mesh.yaml with

  # yaml-language-server: $schema=mesh.schema.json`,
		Example: `  meshrender schema > mesh.schema.json`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(schema.JSON)
			return err
		},
	}
}
