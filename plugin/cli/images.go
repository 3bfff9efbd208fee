package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/render"
)

func newImagesCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "images [-f FILE|-]",
		Short: "List every image the mesh pulls, one per line",
		Long: `List every image reference the rendered mesh's pods run, one per line: the
registry settings (hub, tag, variant, digests) and any overlay applied. This is
the list to mirror into a private registry.`,
		Example: `  # Images of the default mesh
  meshrender images

  # Mirror an air-gapped mesh's images from docker.io
  meshrender images -f mesh.yaml | while read img; do
    crane copy "docker.io/istio/${img##*/}" "$img"
  done`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tuneGCForRendering()
			m, name, err := readMesh(cmd, file)
			if err != nil {
				return describeError(name, err)
			}
			objs, err := render.Render(m)
			if err != nil {
				return describeError(name, err)
			}
			images, err := render.Images(objs)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), strings.Join(images, "\n"))
			return err
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "Mesh config; - reads stdin")
	return cmd
}
