package cli

import (
	"fmt"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/profiles"
	"github.com/meshrender/meshrender/render"
)

func newProfilesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the built-in profiles",
		Long: `List the built-in profiles that spec.profile selects. A profile is merged under
the spec: every field the spec sets wins over the profile's.`,
		Example: `  meshrender profiles`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tDESCRIPTION")
			for _, p := range profiles.List() {
				fmt.Fprintf(w, "%s\t%s\n", p.Name, p.Description)
			}
			return w.Flush()
		},
	}
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the meshrender and Istio versions",
		Example: `  meshrender version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "meshrender %s\nIstio %s\n", moduleVersion(), render.IstioVersion)
			return nil
		},
	}
}

// moduleVersion is the version Go recorded for the main module: a tag
// when installed with go install, "(devel)" in a work tree.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
