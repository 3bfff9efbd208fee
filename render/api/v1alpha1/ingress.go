package v1alpha1

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/naming"
)

// Ingress configures the default ingress gateway. With two or more zones
// and Zonal left true, every zone also gets a gateway pinned to it.
//
// +k8s:deepcopy-gen=true
type Ingress struct {
	// Enabled renders the ingress gateways (default true).
	Enabled *bool `json:"enabled,omitempty"`
	// Namespace of the all-zone gateway (default istio-ingress); zonal
	// gateways run in <namespace>--<zone>.
	Namespace string `json:"namespace,omitempty"`
	// Zonal adds one gateway per zone when there are two or more zones
	// (default true).
	Zonal *bool `json:"zonal,omitempty"`
	// Service configures the LoadBalancer Service of every gateway.
	Service GatewayService `json:"service,omitzero"`
	// ZoneOverrides change the Service of one zone's gateway.
	ZoneOverrides []ZoneOverride `json:"zoneOverrides,omitempty"`
	// Replicas bounds the autoscaler of each zonal gateway; the all-zone
	// gateway gets both bounds multiplied by the number of zones.
	Replicas Replicas `json:"replicas,omitzero"`
	// Ports are the Service ports besides the status port 15021
	// (default http2 80->8080 and https 443->8443).
	Ports []GatewayPort `json:"ports,omitempty"`
	// Resources of the istio-proxy container.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// RollingUpdate bounds each gateway's rollouts (default 100% surge,
	// 25% unavailable).
	RollingUpdate RollingUpdate `json:"rollingUpdate,omitzero"`
	// Env is added to every gateway's istio-proxy environment.
	Env []corev1.EnvVar `json:"env,omitempty"`
	// Revision is the revision or tag the gateways follow: their proxy
	// runs its release and connects to its istiod (default the tag
	// "default", or the one control plane). Changing it upgrades the
	// gateways in place.
	Revision string `json:"revision,omitempty"`
	// JWT requires a valid end-user token of every request to these
	// gateways (not the exposure classes', which have their own).
	JWT *JWT `json:"jwt,omitempty"`
}

// GatewayService configures a gateway's LoadBalancer Service.
//
// +k8s:deepcopy-gen=true
type GatewayService struct {
	// Type is LoadBalancer (default), NodePort or ClusterIP.
	Type corev1.ServiceType `json:"type,omitempty"`
	// ExternalTrafficPolicy is Cluster or Local; empty leaves the
	// Kubernetes default (Cluster).
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`
	// Annotations are added to the Service, for cloud load balancer
	// settings.
	Annotations map[string]string `json:"annotations,omitempty"`
	// LoadBalancerClass selects a load balancer implementation.
	LoadBalancerClass string `json:"loadBalancerClass,omitempty"`
}

// GatewayPort is one Service port of a gateway.
//
// +k8s:deepcopy-gen=true
type GatewayPort struct {
	Name       string `json:"name"`
	Port       int32  `json:"port"`
	TargetPort int32  `json:"targetPort,omitempty"`
}

// ZoneOverride changes the Service of the gateways pinned to one zone.
//
// +k8s:deepcopy-gen=true
type ZoneOverride struct {
	Zone    string              `json:"zone"`
	Service ZoneServiceOverride `json:"service,omitzero"`
}

// ZoneServiceOverride holds the Service settings a zone may change.
// Annotations are merged over the gateway's; the policy replaces it.
//
// +k8s:deepcopy-gen=true
type ZoneServiceOverride struct {
	Annotations           map[string]string                   `json:"annotations,omitempty"`
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`
}

// ExposureClass is a network a control plane can be exposed on, served by
// its own ingress gateway in istio-ingress-handler-<name>.
//
// +k8s:deepcopy-gen=true
type ExposureClass struct {
	// Name is a DNS label; it names the gateway namespace and the
	// handler.exposureclass.gardener.cloud/name label.
	Name string `json:"name"`
	// Labels are added to the gateway pods and used in its selector.
	Labels map[string]string `json:"labels,omitempty"`
	// Service configures this class's LoadBalancer Service; unset fields
	// fall back to spec.ingress.service.
	Service GatewayService `json:"service,omitzero"`
	// Zonal adds one gateway per zone for this class (default: the value
	// of spec.ingress.zonal).
	Zonal *bool `json:"zonal,omitempty"`
	// Revision is the revision or tag this class's gateways follow
	// (default: the one spec.ingress.revision names).
	Revision string `json:"revision,omitempty"`
	// JWT requires a valid end-user token of every request to this
	// class's gateways.
	JWT *JWT `json:"jwt,omitempty"`
}

// DefaultIngressNamespace is where the all-zone ingress gateway runs
// unless spec.ingress.namespace says otherwise.
const DefaultIngressNamespace = "istio-ingress"

func (s *MeshSpec) setIngressDefaults() {
	in := &s.Ingress
	if in.Enabled == nil {
		in.Enabled = ptr(true)
	}
	if in.Namespace == "" {
		in.Namespace = DefaultIngressNamespace
	}
	if in.Zonal == nil {
		in.Zonal = ptr(true)
	}
	if in.Service.Type == "" {
		in.Service.Type = corev1.ServiceTypeLoadBalancer
	}
	defaultReplicas(&in.Replicas, 2, 5)
	if in.Ports == nil {
		in.Ports = []GatewayPort{{Name: "http2", Port: 80, TargetPort: 8080}, {Name: "https", Port: 443, TargetPort: 8443}}
	}
	defaultTargetPorts(in.Ports)
	if in.Resources == nil {
		in.Resources = gatewayResources()
	}
	for i := range s.ExposureClasses {
		if s.ExposureClasses[i].Zonal == nil {
			s.ExposureClasses[i].Zonal = ptr(*in.Zonal)
		}
	}
}

// gatewayResources are upstream's gateway requests and limits.
func gatewayResources() *corev1.ResourceRequirements {
	return resources("100m", "128Mi", "2000m", "1024Mi")
}

// defaultTargetPorts sends each port to the same container port unless it
// says otherwise.
func defaultTargetPorts(ports []GatewayPort) {
	for i := range ports {
		if ports[i].TargetPort == 0 {
			ports[i].TargetPort = ports[i].Port
		}
	}
}

func (t *Topology) validateIngress(p *problems) {
	s := t.spec
	in := &s.Ingress
	if in.Enabled != nil && !*in.Enabled {
		// Nothing below would be rendered; say so rather than drop it.
		if len(s.ExposureClasses) > 0 {
			p.add("spec.exposureClasses", "exposure classes need ingress gateways, but spec.ingress.enabled is false")
		}
		if len(in.ZoneOverrides) > 0 {
			p.add("spec.ingress.zoneOverrides", "zone overrides need ingress gateways, but spec.ingress.enabled is false")
		}
	}
	validateNamespaceName(p, "spec.ingress.namespace", in.Namespace)
	validateService(p, "spec.ingress.service", in.Service)
	validateReplicas(p, "spec.ingress.replicas", in.Replicas, len(s.Zones))
	validateResources(p, "spec.ingress.resources", in.Resources)
	validatePorts(p, "spec.ingress.ports", in.Ports)
	validateRollingUpdate(p, "spec.ingress.rollingUpdate", in.RollingUpdate)
	validateEnv(p, "spec.ingress.env", in.Env, gateway.EnvNames)
	if *in.Enabled {
		t.validateFollowedRevision(p, "spec.ingress.revision", in.Revision)
	}
	validateJWT(p, "spec.ingress.jwt", in.JWT)
	zones := map[string]bool{}
	for _, z := range s.Zones {
		zones[z] = true
	}
	overridden := map[string]int{}
	for i, o := range in.ZoneOverrides {
		f := fmt.Sprintf("spec.ingress.zoneOverrides[%d]", i)
		if !zones[o.Zone] {
			p.add(f+".zone", "unknown zone %q; spec.zones lists %q", o.Zone, s.Zones)
		}
		if j, ok := overridden[o.Zone]; ok {
			p.add(f+".zone", "zone %q is already overridden by spec.ingress.zoneOverrides[%d]", o.Zone, j)
		}
		overridden[o.Zone] = i
		validateAnnotations(p, f+".service.annotations", o.Service.Annotations)
		validateTrafficPolicy(p, f+".service.externalTrafficPolicy", "ZoneServiceOverride.ExternalTrafficPolicy", o.Service.ExternalTrafficPolicy, in.Service.Type)
	}
}

// reservedPorts are ports the proxy itself listens on.
var reservedPorts = map[int32]string{
	15000: "Envoy admin", 15001: "outbound capture", 15004: "debug", 15006: "inbound capture", 15008: "HBONE",
	15009: "HBONE", 15020: "merged metrics", 15021: "health checks", 15053: "DNS", 15090: "Envoy metrics",
}

// validatePorts checks a gateway's Service ports: unique, in range, clear
// of the status port and of what the unprivileged proxy cannot bind.
func validatePorts(p *problems, field string, ports []GatewayPort) {
	names, numbers := map[string]int{}, map[int32]int{}
	for i, port := range ports {
		f := fmt.Sprintf("%s[%d]", field, i)
		for _, msg := range validation.IsValidPortName(port.Name) {
			p.add(f+".name", "%q is not a port name: %s", port.Name, msg)
		}
		if port.Name == "status-port" {
			p.add(f+".name", `"status-port" is the health check port every gateway has`)
		}
		if j, ok := names[port.Name]; ok {
			p.add(f+".name", "duplicate port name %q (also %s[%d])", port.Name, field, j)
		}
		names[port.Name] = i
		if port.Port < 1 || port.Port > 65535 {
			p.add(f+".port", "must be between 1 and 65535, got %d", port.Port)
		}
		if port.Port == gateway.StatusPort {
			p.add(f+".port", "15021 is the health check port every gateway has")
		}
		if j, ok := numbers[port.Port]; ok {
			p.add(f+".port", "duplicate port %d (also %s[%d])", port.Port, field, j)
		}
		numbers[port.Port] = i
		switch {
		case port.TargetPort < 1024 || port.TargetPort > 65535:
			p.add(f+".targetPort", "must be between 1024 and 65535, got %d: the proxy runs without privileges and cannot bind lower ports", port.TargetPort)
		case reservedPorts[port.TargetPort] != "":
			p.add(f+".targetPort", "%d is the proxy's %s port", port.TargetPort, reservedPorts[port.TargetPort])
		}
	}
}

func validateService(p *problems, field string, svc GatewayService) {
	if svc.Type != "" {
		p.checkEnum(field+".type", "GatewayService.Type", string(svc.Type))
	}
	validateTrafficPolicy(p, field+".externalTrafficPolicy", "GatewayService.ExternalTrafficPolicy", svc.ExternalTrafficPolicy, svc.Type)
	validateAnnotations(p, field+".annotations", svc.Annotations)
	if svc.LoadBalancerClass != "" {
		if svc.Type != "" && svc.Type != corev1.ServiceTypeLoadBalancer {
			p.add(field+".loadBalancerClass", "only a LoadBalancer Service takes a load balancer class")
		}
		for _, msg := range validation.IsQualifiedName(svc.LoadBalancerClass) {
			p.add(field+".loadBalancerClass", "%q is not a qualified name: %s", svc.LoadBalancerClass, msg)
		}
	}
}

func validateTrafficPolicy(p *problems, field, enum string, policy corev1.ServiceExternalTrafficPolicy, typ corev1.ServiceType) {
	if policy == "" {
		return
	}
	p.checkEnum(field, enum, string(policy))
	if typ == corev1.ServiceTypeClusterIP && (policy == corev1.ServiceExternalTrafficPolicyCluster || policy == corev1.ServiceExternalTrafficPolicyLocal) {
		p.add(field, "a ClusterIP Service has no external traffic policy")
	}
}

// identityLabels are the label keys that identify a gateway; they are
// meshrender's to set.
var identityLabels = []string{naming.LabelApp, naming.LabelRole, naming.LabelExposureClassName, naming.LabelIstio}

func (t *Topology) validateExposureClasses(p *problems) {
	s := t.spec
	if len(s.ExposureClasses) > MaxExposureClasses {
		p.add("spec.exposureClasses", "%d exposure classes are more than the %d meshrender renders", len(s.ExposureClasses), MaxExposureClasses)
		return
	}
	seen := map[string]int{}
	for i, c := range s.ExposureClasses {
		f := fmt.Sprintf("spec.exposureClasses[%d]", i)
		if c.Name == "" {
			p.add(f+".name", "must not be empty")
		} else {
			for _, msg := range validation.IsDNS1123Label(c.Name) {
				p.add(f+".name", "%q is not a DNS label: %s", c.Name, msg)
			}
			// "--" separates a namespace from its zone; a class named
			// a--b would share istio-ingress-handler-a--b with class a's
			// gateway in zone b.
			if strings.Contains(c.Name, "--") {
				p.add(f+".name", "%q must not contain \"--\", which separates a gateway namespace from its zone", c.Name)
			}
		}
		if j, ok := seen[c.Name]; ok && c.Name != "" {
			p.add(f+".name", "duplicate exposure class %q (also spec.exposureClasses[%d])", c.Name, j)
		}
		if slices.Contains([]string{GatewaySetIngress, GatewaySetEgress, GatewaySetEastWest}, c.Name) {
			// A class's gateways are the set of its name.
			p.add(f+".name", "%q names the gateway set of spec.%s; choose another name", c.Name, map[string]string{GatewaySetIngress: "ingress", GatewaySetEgress: "egress", GatewaySetEastWest: "multiCluster.eastWestGateway"}[c.Name])
		}
		seen[c.Name] = i
		validateLabels(p, f+".labels", c.Labels)
		for _, k := range identityLabels {
			if _, ok := c.Labels[k]; ok {
				p.add(f+".labels", "%q identifies the gateway and is set by meshrender", k)
			}
		}
		validateService(p, f+".service", c.Service)
		if c.Revision != "" {
			t.validateFollowedRevision(p, f+".revision", c.Revision)
		}
		validateJWT(p, f+".jwt", c.JWT)
	}
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
