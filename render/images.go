package render

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"sigs.k8s.io/yaml"
)

// Images returns every image the rendered objects' pods run, the proxy
// image every sidecar injector injects, and the images its injection
// templates name as they are (Istio's grpc-simple template runs
// busybox:1.28), sorted and without repeats: the list to mirror into a
// private registry. Reading the objects rather than the registry settings
// keeps it right when an overlay changes an image.
func Images(objs []Object) ([]string, error) {
	var out []string
	for _, o := range objs {
		switch o.Kind {
		case "Deployment", "DaemonSet", "StatefulSet", "Job":
		case "ConfigMap":
			images, err := injectedImages(o)
			if err != nil {
				return nil, err
			}
			out = append(out, images...)
			continue
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

// injectedImages are the images a sidecar injector's ConfigMap makes
// istiod inject: the proxy, built as istiod builds it from the values the
// templates read (global.proxy.image as it is when it is a full
// reference, else <global.hub>/<global.proxy.image>:<global.tag>[-<global.variant>]),
// and every image a template names literally. It is nothing for any
// other ConfigMap.
func injectedImages(o Object) ([]string, error) {
	if !strings.HasPrefix(o.Name, "istio-sidecar-injector") {
		return nil, nil
	}
	var cm struct {
		Data struct {
			Values string `json:"values"`
			Config string `json:"config"`
		} `json:"data"`
	}
	if err := yaml.Unmarshal(o.YAML, &cm); err != nil || cm.Data.Values == "" {
		return nil, err
	}
	var values struct {
		Global struct {
			Hub, Tag, Variant string
			Proxy             struct{ Image string } `json:"proxy"`
		} `json:"global"`
	}
	if err := json.Unmarshal([]byte(cm.Data.Values), &values); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: values: %w", o.Namespace, o.Name, err)
	}
	g := values.Global
	proxy := g.Proxy.Image
	if !strings.Contains(proxy, "/") {
		proxy = v1alpha1.Registry{Hub: g.Hub, Tag: g.Tag, Variant: g.Variant}.Image(proxy)
	}
	var config struct {
		Templates map[string]string `json:"templates"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data.Config), &config); err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: config: %w", o.Namespace, o.Name, err)
	}
	out := []string{proxy}
	for _, name := range slices.Sorted(maps.Keys(config.Templates)) {
		for _, m := range literalImage.FindAllStringSubmatch(config.Templates[name], -1) {
			out = append(out, strings.Trim(m[1], `"'`))
		}
	}
	return out, nil
}

// literalImage matches an image a template names as it is, not through
// a template expression.
var literalImage = regexp.MustCompile(`(?m)^\s*-?\s*image:\s*("[^"{}]+"|'[^'{}]+'|[^\s"'{}]+)\s*$`)
