package render

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/render/internal/naming"
)

// ImageNames lists the images a mesh uses, by the names
// spec.registry.digests takes as keys.
var ImageNames = []string{"pilot", "proxyv2"}

// Image returns the reference of the named image under the registry
// settings: hub/name@digest when a digest pins it, else
// hub/name:tag[-variant].
func (r Registry) Image(name string) string {
	if d, ok := r.Digests[name]; ok {
		return r.Hub + "/" + name + "@" + d
	}
	tag := r.Tag
	if r.Variant != "" {
		tag += "-" + r.Variant
	}
	return r.Hub + "/" + name + ":" + tag
}

// gatewayPlan is one ingress gateway as derived from a defaulted spec.
type gatewayPlan struct {
	// field is the spec field the gateway comes from, for errors.
	field     string
	namespace string
	class     string
	zone      string
	selector  map[string]string
	service   GatewayService
	min, max  int32
}

// gateways derives every ingress gateway of a defaulted mesh: the
// all-zone one, one per zone, then the same per exposure class, in spec
// order.
func gateways(m *Mesh) []gatewayPlan {
	s := &m.Spec
	in := &s.Ingress
	if !*in.Enabled {
		return nil
	}
	multiZone := len(s.Zones) > 1
	scale := int32(max(len(s.Zones), 1))
	lo, hi := derefOr(in.Replicas.Min, 1), derefOr(in.Replicas.Max, 1)
	overrides := map[string]ZoneServiceOverride{}
	for _, o := range in.ZoneOverrides {
		overrides[o.Zone] = o.Service
	}
	var out []gatewayPlan
	// service returns a gateway's Service settings in a zone ("" for the
	// all-zone gateway): the zone's override on top of spec.ingress, then
	// the exposure class's own settings on top of that, as in Gardener.
	service := func(class *ExposureClass, zone string) GatewayService {
		svc := in.Service
		if zone != "" {
			svc = withZoneOverride(svc, overrides[zone])
		}
		if class != nil {
			svc = classService(svc, class.Service)
		}
		// What only a LoadBalancer (or NodePort) takes is not inherited
		// by a Service of another type; Kubernetes would reject it.
		if svc.Type == corev1.ServiceTypeClusterIP {
			svc.ExternalTrafficPolicy = ""
		}
		if svc.Type != corev1.ServiceTypeLoadBalancer {
			svc.LoadBalancerClass = ""
		}
		return svc
	}
	add := func(field, base string, class *ExposureClass, zonal bool) {
		name, labels := "", map[string]string(nil)
		if class != nil {
			name, labels = class.Name, class.Labels
		}
		out = append(out, gatewayPlan{
			field: field, namespace: base, class: name,
			selector: naming.GatewayLabels(labels, name, ""),
			service:  service(class, ""), min: lo * scale, max: hi * scale,
		})
		if !multiZone || !zonal {
			return
		}
		for _, z := range s.Zones {
			out = append(out, gatewayPlan{
				field: fmt.Sprintf("%s (zone %s)", field, z), namespace: naming.ZonalNamespace(base, z), class: name, zone: z,
				selector: naming.GatewayLabels(labels, name, z),
				service:  service(class, z), min: lo, max: hi,
			})
		}
	}
	add("spec.ingress", in.Namespace, nil, *in.Zonal)
	for i := range s.ExposureClasses {
		c := &s.ExposureClasses[i]
		add(fmt.Sprintf("spec.exposureClasses[%d]", i), naming.ExposureClassNamespace(c.Name), c, derefOr(c.Zonal, *in.Zonal))
	}
	return out
}

// classService lays an exposure class's Service settings over base; the
// class's annotations win key by key.
func classService(base, class GatewayService) GatewayService {
	out := class
	if out.Type == "" {
		out.Type = base.Type
	}
	if out.ExternalTrafficPolicy == "" {
		out.ExternalTrafficPolicy = base.ExternalTrafficPolicy
	}
	if out.LoadBalancerClass == "" {
		out.LoadBalancerClass = base.LoadBalancerClass
	}
	out.Annotations = mergeStrings(base.Annotations, class.Annotations)
	return out
}

// withZoneOverride applies a zone's Service override.
func withZoneOverride(svc GatewayService, o ZoneServiceOverride) GatewayService {
	out := svc
	out.Annotations = mergeStrings(svc.Annotations, o.Annotations)
	if o.ExternalTrafficPolicy != "" {
		out.ExternalTrafficPolicy = o.ExternalTrafficPolicy
	}
	return out
}

func mergeStrings(a, b map[string]string) map[string]string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}
