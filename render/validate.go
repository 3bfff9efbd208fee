package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/profiles"
)

// Validate reports every problem that keeps m from rendering, each with
// its field path. Call it after Default; Render does both.
func (m *Mesh) Validate() error {
	var p problems
	if m.APIVersion != APIVersion {
		p.add("apiVersion", "must be %q, got %q", APIVersion, m.APIVersion)
	}
	if m.Kind != Kind {
		p.add("kind", "must be %q, got %q", Kind, m.Kind)
	}
	for _, msg := range validation.IsValidLabelValue(m.Metadata.Name) {
		p.add("metadata.name", "%q is not a valid name: %s", m.Metadata.Name, msg)
	}
	if m.Metadata.Name == "" {
		p.add("metadata.name", "must not be empty")
	}
	s := &m.Spec
	if s.Profile != ProfileDefault {
		if _, ok := profiles.Get(s.Profile); !ok {
			p.add("spec.profile", "unknown profile %q; built-in profiles are %q", s.Profile, profiles.Names())
		}
	}
	if s.Version != IstioVersion {
		p.add("spec.version", "Istio %q is not supported; this meshrender renders Istio %s", s.Version, IstioVersion)
	}
	validateRevision(&p, s.Revision)
	validateRegistry(&p, &s.Registry)
	if s.MTLS.Mode != MTLSStrict && s.MTLS.Mode != MTLSPermissive {
		p.add("spec.mtls.mode", "must be %s or %s, got %q", MTLSStrict, MTLSPermissive, s.MTLS.Mode)
	}
	validateZones(&p, s.Zones)
	validateNamespaceName(&p, "spec.istiod.namespace", s.Istiod.Namespace)
	validateReplicas(&p, "spec.istiod.replicas", s.Istiod.Replicas, 1)
	validateResources(&p, "spec.istiod.resources", s.Istiod.Resources)
	validateIngress(&p, s)
	validateExposureClasses(&p, s)
	validateGatewayNamespaces(&p, m)
	validateMeshConfig(&p, &s.MeshConfig)
	validateOverlays(&p, s.Overlays)
	return p.err()
}

var (
	// hubPattern follows the image reference grammar: a registry host with
	// an optional port, then lower-case path components.
	hubPattern = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$`)
	// tagPattern leaves the 128-character limit to validTag: a counted
	// repetition would compile into a program hundreds of states long.
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	digestPattern = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

func validTag(tag string) bool { return len(tag) <= 128 && tagPattern.MatchString(tag) }

func validateRevision(p *problems, rev string) {
	if rev == "" {
		return
	}
	if rev == "default" {
		p.add("spec.revision", `"default" names the unrevisioned control plane; leave the revision empty instead`)
		return
	}
	for _, msg := range validation.IsDNS1123Label(rev) {
		p.add("spec.revision", "%q is not a DNS label: %s", rev, msg)
	}
	// istiod-<revision> is a Service name, a DNS label of at most 63.
	if len(rev) > 56 {
		p.add("spec.revision", "%q is longer than 56 characters; istiod-%s would not be a valid Service name", rev, rev)
	}
}

func validateRegistry(p *problems, r *Registry) {
	if !hubPattern.MatchString(r.Hub) {
		p.add("spec.registry.hub", "%q is not a registry and repository path such as docker.io/istio", r.Hub)
	}
	if !validTag(r.Tag) {
		p.add("spec.registry.tag", "%q is not a valid image tag", r.Tag)
	}
	if r.Variant != "" && !validTag(r.Tag+"-"+r.Variant) {
		p.add("spec.registry.variant", "%q does not make a valid image tag", r.Variant)
	}
	seen := map[string]bool{}
	for i, s := range r.PullSecrets {
		f := fmt.Sprintf("spec.registry.pullSecrets[%d]", i)
		for _, msg := range validation.IsDNS1123Subdomain(s) {
			p.add(f, "%q is not a Secret name: %s", s, msg)
		}
		if seen[s] {
			p.add(f, "duplicate pull secret %q", s)
		}
		seen[s] = true
	}
	for _, name := range sortedKeys(r.Digests) {
		f := fmt.Sprintf("spec.registry.digests[%s]", name)
		if !slices.Contains(ImageNames, name) {
			p.add(f, "unknown image %q; images are %q", name, ImageNames)
		}
		if d := r.Digests[name]; !digestPattern.MatchString(d) {
			p.add(f, "%q is not a digest of the form sha256:<64 hex digits>", d)
		}
	}
}

func validateZones(p *problems, zones []string) {
	seen := map[string]int{}
	for i, z := range zones {
		f := fmt.Sprintf("spec.zones[%d]", i)
		if z == "" {
			p.add(f, "zone must not be empty")
			continue
		}
		// Nodes carry their zone as a label value; anything else never
		// matches a node.
		for _, msg := range validation.IsValidLabelValue(z) {
			p.add(f, "%q cannot be a topology.kubernetes.io/zone label value: %s", z, msg)
		}
		if j, ok := seen[z]; ok {
			p.add(f, "duplicate zone %q (also spec.zones[%d])", z, j)
			continue
		}
		seen[z] = i
	}
}

// systemNamespaces belong to the cluster: meshrender would label them Pod
// Security restricted, which stops the system pods there.
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

func validateNamespaceName(p *problems, field, ns string) {
	if ns == "" {
		p.add(field, "must not be empty")
		return
	}
	if slices.Contains(systemNamespaces, ns) {
		p.add(field, "%q is a system namespace; meshrender owns its namespaces and labels them Pod Security restricted", ns)
		return
	}
	for _, msg := range validation.IsDNS1123Label(ns) {
		p.add(field, "%q is not a namespace name: %s", ns, msg)
	}
}

// maxReplicas keeps zone-scaled replica counts well inside int32.
const maxReplicas = 10000

func validateReplicas(p *problems, field string, r Replicas, scale int) {
	lo, hi := derefOr(r.Min, 1), derefOr(r.Max, 1)
	if lo < 1 {
		p.add(field+".min", "must be at least 1, got %d", lo)
	}
	if hi < lo {
		p.add(field+".max", "must be at least min (%d), got %d", lo, hi)
	}
	if int64(hi)*int64(max(scale, 1)) > maxReplicas {
		p.add(field+".max", "%d replicas times %d zones is more than %d", hi, scale, maxReplicas)
	}
}

func validateResources(p *problems, field string, r *corev1.ResourceRequirements) {
	if r == nil {
		return
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := r.Requests[name]
		lim, hasLim := r.Limits[name]
		if hasReq && hasLim && req.Cmp(lim) > 0 {
			p.add(fmt.Sprintf("%s.requests.%s", field, name), "request %s is more than the limit %s", req.String(), lim.String())
		}
	}
}

// reservedPorts are ports the proxy itself listens on.
var reservedPorts = map[int32]string{
	15000: "Envoy admin", 15001: "outbound capture", 15004: "debug", 15006: "inbound capture", 15008: "HBONE",
	15009: "HBONE", 15020: "merged metrics", 15021: "health checks", 15053: "DNS", 15090: "Envoy metrics",
}

func validateIngress(p *problems, s *MeshSpec) {
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
	names, ports := map[string]int{}, map[int32]int{}
	for i, port := range in.Ports {
		f := fmt.Sprintf("spec.ingress.ports[%d]", i)
		for _, msg := range validation.IsValidPortName(port.Name) {
			p.add(f+".name", "%q is not a port name: %s", port.Name, msg)
		}
		if port.Name == "status-port" {
			p.add(f+".name", `"status-port" is the health check port every gateway has`)
		}
		if j, ok := names[port.Name]; ok {
			p.add(f+".name", "duplicate port name %q (also spec.ingress.ports[%d])", port.Name, j)
		}
		names[port.Name] = i
		if port.Port < 1 || port.Port > 65535 {
			p.add(f+".port", "must be between 1 and 65535, got %d", port.Port)
		}
		if port.Port == 15021 {
			p.add(f+".port", "15021 is the health check port every gateway has")
		}
		if j, ok := ports[port.Port]; ok {
			p.add(f+".port", "duplicate port %d (also spec.ingress.ports[%d])", port.Port, j)
		}
		ports[port.Port] = i
		switch {
		case port.TargetPort < 1024 || port.TargetPort > 65535:
			p.add(f+".targetPort", "must be between 1024 and 65535, got %d: the proxy runs without privileges and cannot bind lower ports", port.TargetPort)
		case reservedPorts[port.TargetPort] != "":
			p.add(f+".targetPort", "%d is the proxy's %s port", port.TargetPort, reservedPorts[port.TargetPort])
		}
	}
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
		validateTrafficPolicy(p, f+".service.externalTrafficPolicy", o.Service.ExternalTrafficPolicy, in.Service.Type)
	}
}

func validateService(p *problems, field string, svc GatewayService) {
	switch svc.Type {
	case corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort, corev1.ServiceTypeClusterIP, "":
	default:
		p.add(field+".type", "must be LoadBalancer, NodePort or ClusterIP, got %q", svc.Type)
	}
	validateTrafficPolicy(p, field+".externalTrafficPolicy", svc.ExternalTrafficPolicy, svc.Type)
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

func validateTrafficPolicy(p *problems, field string, policy corev1.ServiceExternalTrafficPolicy, typ corev1.ServiceType) {
	switch policy {
	case "":
	case corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal:
		if typ == corev1.ServiceTypeClusterIP {
			p.add(field, "a ClusterIP Service has no external traffic policy")
		}
	default:
		p.add(field, "must be Cluster or Local, got %q", policy)
	}
}

func validateAnnotations(p *problems, field string, annotations map[string]string) {
	for _, k := range sortedKeys(annotations) {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			p.add(field, "%q is not a valid annotation key: %s", k, msg)
		}
	}
}

func validateLabels(p *problems, field string, labels map[string]string) {
	for _, k := range sortedKeys(labels) {
		for _, msg := range validation.IsQualifiedName(k) {
			p.add(field, "%q is not a valid label key: %s", k, msg)
		}
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			p.add(field+"["+k+"]", "%q is not a valid label value: %s", labels[k], msg)
		}
	}
}

func validateExposureClasses(p *problems, s *MeshSpec) {
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
		seen[c.Name] = i
		validateLabels(p, f+".labels", c.Labels)
		for _, k := range []string{"app", "gardener.cloud/role", "handler.exposureclass.gardener.cloud/name", "istio"} {
			if _, ok := c.Labels[k]; ok {
				p.add(f+".labels", "%q identifies the gateway and is set by meshrender", k)
			}
		}
		validateService(p, f+".service", c.Service)
	}
}

// validateGatewayNamespaces checks the derived namespaces: each fits in
// 63 characters and no two gateways share one.
func validateGatewayNamespaces(p *problems, m *Mesh) {
	if len(*p) > 0 {
		// Names derive from fields that already failed; the messages
		// would only repeat them.
		return
	}
	owner := map[string]string{}
	for _, g := range gateways(m) {
		for _, msg := range validation.IsDNS1123Label(g.namespace) {
			p.add(g.field, "gateway namespace %q is not valid even with the zone hashed: %s", g.namespace, msg)
		}
		if other, ok := owner[g.namespace]; ok {
			p.add(g.field, "gateway namespace %q is already used by the gateway of %s", g.namespace, other)
			continue
		}
		owner[g.namespace] = g.field
	}
}

var exportToPattern = regexp.MustCompile(`^(\*|\.|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`)

func validateMeshConfig(p *problems, mc *MeshConfig) {
	if mc.OutboundTrafficPolicy != OutboundAllowAny && mc.OutboundTrafficPolicy != OutboundRegistryOnly {
		p.add("spec.meshConfig.outboundTrafficPolicy", "must be %s or %s, got %q", OutboundAllowAny, OutboundRegistryOnly, mc.OutboundTrafficPolicy)
	}
	if strings.ContainsAny(mc.AccessLogFile, "\n\r\x00") {
		p.add("spec.meshConfig.accessLogFile", "must be a single file path such as /dev/stdout")
	}
	for _, kind := range []struct {
		name string
		list []string
	}{{"services", mc.ExportTo.Services}, {"virtualServices", mc.ExportTo.VirtualServices}, {"destinationRules", mc.ExportTo.DestinationRules}} {
		list := kind.list
		for i, e := range list {
			f := fmt.Sprintf("spec.meshConfig.exportTo.%s[%d]", kind.name, i)
			if !exportToPattern.MatchString(e) {
				p.add(f, "%q must be \"*\", \".\", \"~\" or a namespace name", e)
			}
			if e == "~" && len(list) > 1 {
				p.add(f, `"~" (export nowhere) cannot be combined with other entries`)
			}
		}
	}
}

func validateOverlays(p *problems, patches []Overlay) {
	_, errs := overlays.Compile(patches)
	for _, e := range errs {
		p.add(overlayField(e), "%s", overlayMessage(e))
	}
}

// overlayField is the field path of an overlay problem.
func overlayField(e *overlays.Error) string {
	return fmt.Sprintf("spec.overlays[%d].%s", e.Index, e.Field)
}

// overlayMessage names the overlay when it has a name.
func overlayMessage(e *overlays.Error) string {
	if e.Name != "" {
		return fmt.Sprintf("overlay %q %s", e.Name, e.Message)
	}
	return e.Message
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
