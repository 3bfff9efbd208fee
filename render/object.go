package render

import (
	"strings"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// Object is one rendered Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Component is the unit of the mesh the object belongs to, such as
	// crds, control-plane or gateways/istio-ingress.
	Component string
	// Layer is the stage of the installation the component belongs to.
	Layer Layer
	// YAML is the object as a YAML document, without a "---" line.
	YAML []byte
}

// key is what install order sorts on.
func (o *Object) key() objects.Key {
	return objects.Key{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// identity is what an overlay target selects on.
func identity(k objects.Key) overlays.Identity {
	group, version, ok := strings.Cut(k.APIVersion, "/")
	if !ok {
		group, version = "", k.APIVersion
	}
	return overlays.Identity{Group: group, Version: version, Kind: k.Kind, Name: k.Name, Namespace: k.Namespace}
}

// namespacedName is namespace/name, or the name of a cluster-scoped object.
func namespacedName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
