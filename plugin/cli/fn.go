package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/plugin/fn"
)

func newFnCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "fn",
		Short: "Run as a KRM function: a ResourceList on stdin, the rendered mesh merged into it on stdout",
		Long: `Run as a KRM function for kustomize and kpt. The ResourceList on stdin carries
a Mesh as its functionConfig; the rendered objects are added to its items, or
replace the items they own in place, and the list is written to stdout. Items
meshrender does not own come back unchanged. An invalid Mesh gives one error
result per problem and exit code 1. Run without arguments and with stdin not a
terminal, meshrender behaves the same, which is how kustomize calls it.`,
		Example: `  # kustomize: list a Mesh under generators: or transformers: with
  #   config.kubernetes.io/function: |
  #     exec:
  #       path: ../bin/meshrender
  kustomize build --enable-alpha-plugins --enable-exec examples/kustomize/generator

  # kpt
  kpt fn eval pkg/ --exec "meshrender fn" --fn-config mesh.yaml

  # by hand
  meshrender fn < resourcelist.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFunction(cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}

// runFunction runs the KRM function between in and out.
func runFunction(in io.Reader, out io.Writer) error {
	if err := fn.Run(in, out); err != nil {
		return fmt.Errorf("meshrender fn: %w", err)
	}
	return nil
}

// stdinIsPiped reports whether in is something other than a terminal: a
// pipe or a file, as when kustomize or kpt run meshrender.
func stdinIsPiped(in io.Reader) bool {
	f, ok := in.(*os.File)
	if !ok {
		return true
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice == 0
}
