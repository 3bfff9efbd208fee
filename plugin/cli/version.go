package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/spf13/cobra"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the meshrender and Istio versions",
		Example: `  meshrender version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "meshrender %s\nIstio %s (renders %s)\n", moduleVersion(), v1alpha1.IstioVersion, v1alpha1.ReleaseRanges())
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
