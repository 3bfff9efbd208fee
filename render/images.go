package render

import (
	"slices"

	"sigs.k8s.io/yaml"
)

// Images returns every image the rendered objects' pods run, sorted and
// without repeats: the list to mirror into a private registry. Reading the
// objects rather than the registry settings keeps it right when an
// overlay changes an image.
func Images(objs []Object) ([]string, error) {
	var out []string
	for _, o := range objs {
		switch o.Kind {
		case "Deployment", "DaemonSet", "StatefulSet", "Job":
		default:
			continue
		}
		var w struct {
			Spec struct {
				Template struct {
					Spec struct {
						InitContainers []struct{ Image string } `json:"initContainers"`
						Containers     []struct{ Image string } `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(o.YAML, &w); err != nil {
			return nil, err
		}
		for _, c := range slices.Concat(w.Spec.Template.Spec.InitContainers, w.Spec.Template.Spec.Containers) {
			if c.Image != "" {
				out = append(out, c.Image)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
