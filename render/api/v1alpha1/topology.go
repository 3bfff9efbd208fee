package v1alpha1

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/istiod"
	"github.com/meshrender/meshrender/render/internal/naming"
	"github.com/meshrender/meshrender/render/internal/netpol"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// Topology is what a defaulted mesh means, derived from it once: the
// control planes with their Services, every gateway with its namespace,
// selector, set and control plane, the namespaces meshrender owns with
// their Pod Security level, and the compiled overlays. Validation reads
// it, and the renderer plans every component from it; nothing derives
// these facts a second time.
//
// Check returns the topology of a valid mesh. NewTopology derives one
// for any defaulted mesh, valid or not: a reference to a revision that
// does not exist then leaves a gateway without a control plane, which
// validation reports.
type Topology struct {
	// Mesh is the defaulted mesh.
	Mesh *Mesh
	spec *MeshSpec
	// Planes are the control planes in spec order.
	Planes []*ControlPlane
	// DefaultPlane is the control plane gateways follow unless they say
	// otherwise; nil in a mesh of several without a default tag.
	DefaultPlane *ControlPlane
	// ClusterWide is the control plane that what the cluster has once
	// (namespaces, the mesh-wide policy, istio-cni) follows.
	ClusterWide *ControlPlane
	// Newest is the control plane of the newest release, whose minor's
	// CRDs the cluster gets: Istio's CRDs are backward compatible.
	Newest *ControlPlane
	// MeshConfig is spec.meshConfig as a mapping, read once; it must not
	// be changed.
	MeshConfig map[string]any
	// TrustDomain is the mesh's trust domain.
	TrustDomain string
	// MeshID is what proxies report as their mesh: spec.multiCluster's
	// meshID, or the trust domain.
	MeshID string
	// Gateways are the ingress gateways (the all-zone one, one per zone,
	// then the same per exposure class, in spec order) and last the
	// egress gateway.
	Gateways []*Gateway
	// Namespaces are the namespaces meshrender owns, in the order their
	// owners come: istiod's, istio-cni's, the gateways'.
	Namespaces []*OwnedNamespace
	// owned indexes Namespaces by name.
	owned map[string]*OwnedNamespace
	// Sets maps each gateway set to the namespaces of its gateways.
	Sets map[string][]string
	// Overlays are spec.overlays and those the caller added, compiled;
	// nil when there are none.
	Overlays *overlays.Set
}

// ControlPlane is one revision as the renderer sees it, whether it comes
// from spec.revisions or, without them, from spec.revision.
type ControlPlane struct {
	// Revision is "" for the control plane without a revision.
	Revision string
	// Version is its Istio release.
	Version string
	// CompatibilityVersion is the minor release whose behaviour it keeps,
	// or "".
	CompatibilityVersion string
	// Digests pin its images by name.
	Digests map[string]string
	// Field is where the control plane comes from, for errors.
	Field string
	// Tags are the tags that name it, sorted.
	Tags  []string
	names istiod.Names
}

// Minor is the minor release of its Istio release: "1.31" for "1.31.4".
func (cp *ControlPlane) Minor() string { return MinorOf(cp.Version) }

// RevisionLabel is the istio.io/rev value of what the control plane
// serves: its revision, or "default".
func (cp *ControlPlane) RevisionLabel() string { return cp.names.RevLabel() }

// DiscoveryAddress is where its proxies reach istiod: its Service's
// host and port.
func (cp *ControlPlane) DiscoveryAddress() string { return cp.names.DiscoveryAddress() }

// Gateway is one gateway of the mesh.
type Gateway struct {
	// Field is the spec field the gateway comes from, for errors.
	Field string
	// Name is the gateway's Deployment and Service name.
	Name      string
	Namespace string
	// Zone is the zone a zonal gateway is pinned to, or "".
	Zone string
	// Selector are its pods' identifying labels.
	Selector map[string]string
	Service  GatewayService
	Ports    []GatewayPort
	// Min and Max bound its autoscaler.
	Min, Max int32
	// Ref is the revision or tag the gateway follows, and Plane the
	// control plane it resolves to (nil when it resolves to none).
	Ref   string
	Plane *ControlPlane
	// Set is the gateway set it belongs to: "ingress", "egress" or its
	// exposure class.
	Set string
	// JWT is its end-user authentication, if any.
	JWT *JWT
	// Workload is how its pods run: spec.ingress's or spec.egress's.
	Workload GatewayWorkload
}

// Egress reports whether g is the egress gateway.
func (g *Gateway) Egress() bool { return g.Set == GatewaySetEgress }

// GatewayWorkload are the settings of a gateway's pods that every
// gateway of its kind shares.
type GatewayWorkload struct {
	TargetCPU     *int32
	Resources     *corev1.ResourceRequirements
	RollingUpdate RollingUpdate
	Env           []corev1.EnvVar
}

// OwnedNamespace is a namespace meshrender renders and owns.
type OwnedNamespace struct {
	Name string
	// PodSecurity is the level it enforces, warns about and audits.
	PodSecurity PodSecurity
	// Labels are what its owners add, such as the identity of the
	// gateway it holds, for policies that select namespaces.
	Labels map[string]string
	// Field is the first owner's spec field.
	Field string
	// conflicts are owners that ask for another Pod Security level.
	conflicts []FieldError
}

// PodSecurity is a Pod Security Standards level, enforced on a namespace
// by its pod-security.kubernetes.io labels.
type PodSecurity string

// The Pod Security levels a rendered namespace may have.
const (
	PodSecurityRestricted PodSecurity = "restricted"
	PodSecurityBaseline   PodSecurity = "baseline"
	PodSecurityPrivileged PodSecurity = "privileged"
)

// NewTopology derives the topology of a defaulted mesh.
func NewTopology(m *Mesh) *Topology {
	s := &m.Spec
	t := &Topology{Mesh: m, spec: s, MeshConfig: s.MeshConfig.fields(), Sets: map[string][]string{}, owned: map[string]*OwnedNamespace{}}
	t.TrustDomain = objects.TrustDomain
	if td, ok := t.MeshConfig["trustDomain"].(string); ok && td != "" {
		t.TrustDomain = td
	}
	t.MeshID = s.MultiCluster.MeshID
	if t.MeshID == "" {
		t.MeshID = t.TrustDomain
	}
	t.planControlPlanes()
	t.deriveGateways()
	t.deriveNamespaces()
	return t
}

// planControlPlanes lists the control planes and finds the default and
// the cluster-wide one.
func (t *Topology) planControlPlanes() {
	s := t.spec
	if !s.MultiRevision() {
		t.Planes = []*ControlPlane{{Revision: s.Revision, Version: s.Version, CompatibilityVersion: s.CompatibilityVersion, Field: "spec.revision"}}
	}
	for i, r := range s.Revisions {
		t.Planes = append(t.Planes, &ControlPlane{Revision: r.Name, Version: r.Version, CompatibilityVersion: r.CompatibilityVersion, Digests: r.Digests, Field: fmt.Sprintf("spec.revisions[%d]", i)})
	}
	for _, cp := range t.Planes {
		cp.names = istiod.Names{Revision: cp.Revision, NS: s.Istiod.Namespace}
	}
	for _, tag := range sortedKeys(s.Tags) {
		for _, cp := range t.Planes {
			if cp.Revision != "" && cp.Revision == s.Tags[tag] {
				cp.Tags = append(cp.Tags, tag)
			}
		}
	}
	if rev, ok := s.Tags[DefaultTag]; ok {
		for _, cp := range t.Planes {
			if cp.Revision == rev {
				t.DefaultPlane = cp
			}
		}
	} else if len(t.Planes) == 1 {
		t.DefaultPlane = t.Planes[0]
	}
	// What the cluster has once follows the default control plane, else
	// the one of the newest release: so installing a canary revision adds
	// its own objects and changes nothing the cluster runs, and moving
	// the default tag moves istio-cni too, in place, as upstream
	// upgrades it.
	for _, cp := range t.Planes {
		if t.Newest == nil || slices.Index(IstioReleases, cp.Version) > slices.Index(IstioReleases, t.Newest.Version) {
			t.Newest = cp
		}
	}
	t.ClusterWide = t.DefaultPlane
	if t.ClusterWide == nil {
		t.ClusterWide = t.Newest
	}
}

// Resolve finds the control plane a revision or tag names; "" is the
// default control plane. It is nil when there is none.
func (t *Topology) Resolve(ref string) *ControlPlane {
	if ref == "" {
		return t.DefaultPlane
	}
	if rev, ok := t.spec.Tags[ref]; ok {
		ref = rev
	}
	for _, cp := range t.Planes {
		if cp.Revision != "" && cp.Revision == ref {
			return cp
		}
	}
	return nil
}

// deriveGateways lists every gateway of the mesh and the namespaces of
// each gateway set.
func (t *Topology) deriveGateways() {
	s := t.spec
	in := &s.Ingress
	if *in.Enabled {
		t.deriveIngress()
	}
	if s.EastWestEnabled() {
		t.deriveEastWest()
	}
	if e := &s.Egress; *e.Enabled {
		t.Gateways = append(t.Gateways, &Gateway{
			Field: "spec.egress", Name: gateway.EgressName, Namespace: e.Namespace,
			Selector: egressSelector(), Service: GatewayService{Type: corev1.ServiceTypeClusterIP}, Ports: e.Ports,
			Min: *e.Replicas.Min, Max: *e.Replicas.Max, Ref: e.Revision, Plane: t.Resolve(e.Revision),
			Set:      GatewaySetEgress,
			Workload: GatewayWorkload{e.Replicas.TargetCPUUtilization, e.Resources, e.RollingUpdate, e.Env},
		})
	}
	for _, g := range t.Gateways {
		t.Sets[g.Set] = append(t.Sets[g.Set], g.Namespace)
	}
}

// deriveIngress adds the ingress gateways: the all-zone one, one per
// zone, then the same per exposure class, in spec order.
func (t *Topology) deriveIngress() {
	s := t.spec
	in := &s.Ingress
	multiZone := len(s.Zones) > 1
	scale := int32(max(len(s.Zones), 1))
	lo, hi := derefOr(in.Replicas.Min, 1), derefOr(in.Replicas.Max, 1)
	workload := GatewayWorkload{in.Replicas.TargetCPUUtilization, in.Resources, in.RollingUpdate, in.Env}
	overrides := map[string]ZoneServiceOverride{}
	for _, o := range in.ZoneOverrides {
		overrides[o.Zone] = o.Service
	}
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
		name, labels, ref, set, jwt := "", map[string]string(nil), in.Revision, GatewaySetIngress, in.JWT
		if class != nil {
			name, labels, set, jwt = class.Name, class.Labels, class.Name, class.JWT
			if class.Revision != "" {
				ref = class.Revision
			}
		}
		plane := t.Resolve(ref)
		t.Gateways = append(t.Gateways, &Gateway{
			Field: field, Name: gateway.IngressName, Namespace: base,
			Selector: naming.GatewayLabels(labels, name, ""), Ports: in.Ports,
			Service: service(class, ""), Min: lo * scale, Max: hi * scale, Ref: ref, Plane: plane, Set: set, JWT: jwt, Workload: workload,
		})
		if !multiZone || !zonal {
			return
		}
		for _, z := range s.Zones {
			t.Gateways = append(t.Gateways, &Gateway{
				Field: fmt.Sprintf("%s (zone %s)", field, z), Name: gateway.IngressName, Namespace: naming.ZonalNamespace(base, z), Zone: z,
				Selector: naming.GatewayLabels(labels, name, z), Ports: in.Ports,
				Service: service(class, z), Min: lo, Max: hi, Ref: ref, Plane: plane, Set: set, JWT: jwt, Workload: workload,
			})
		}
	}
	add("spec.ingress", in.Namespace, nil, *in.Zonal)
	for i := range s.ExposureClasses {
		c := &s.ExposureClasses[i]
		add(fmt.Sprintf("spec.exposureClasses[%d]", i), naming.ExposureClassNamespace(c.Name), c, derefOr(c.Zonal, *in.Zonal))
	}
}

// deriveEastWest adds the east-west gateway, after the ingress gateways:
// the ingress gateway's pods in sni-dnat router mode, on the cluster's
// network, with upstream's ports.
func (t *Topology) deriveEastWest() {
	s := t.spec
	e := &s.MultiCluster.EastWestGateway
	in := &s.Ingress
	t.Gateways = append(t.Gateways, &Gateway{
		Field: "spec.multiCluster.eastWestGateway", Name: gateway.EastWestName, Namespace: e.Namespace,
		Selector: map[string]string{naming.LabelApp: gateway.EastWestName, naming.LabelIstio: "eastwestgateway", LabelNetwork: s.MultiCluster.Network},
		Service:  e.Service, Ports: eastWestPorts(),
		Min: *e.Replicas.Min, Max: *e.Replicas.Max, Ref: in.Revision, Plane: t.Resolve(in.Revision), Set: GatewaySetEastWest,
		Workload: GatewayWorkload{e.Replicas.TargetCPUUtilization, in.Resources, in.RollingUpdate, []corev1.EnvVar{
			// Traffic is routed by SNI to the cluster's services.
			{Name: "ISTIO_META_ROUTER_MODE", Value: "sni-dnat"},
			{Name: "ISTIO_META_REQUESTED_NETWORK_VIEW", Value: s.MultiCluster.Network},
		}},
	})
}

// eastWestPorts are upstream's east-west gateway ports beside the status
// port: mutual TLS passed through to the services, and istiod's xDS and
// webhook ports for remote clusters.
func eastWestPorts() []GatewayPort {
	return []GatewayPort{
		{Name: "tls", Port: EastWestPort, TargetPort: EastWestPort},
		{Name: "tls-istiod", Port: 15012, TargetPort: 15012},
		{Name: "tls-webhook", Port: 15017, TargetPort: 15017},
	}
}

// EastWestPort is where the east-west gateway passes mutual TLS through
// to the services of its cluster, by SNI.
const EastWestPort = 15443

// Ingress are the ingress gateways.
func (t *Topology) Ingress() []*Gateway {
	var out []*Gateway
	for _, g := range t.Gateways {
		if g.Set != GatewaySetEgress && g.Set != GatewaySetEastWest {
			out = append(out, g)
		}
	}
	return out
}

// EastWest is the east-west gateway, or nil.
func (t *Topology) EastWest() *Gateway {
	for _, g := range t.Gateways {
		if g.Set == GatewaySetEastWest {
			return g
		}
	}
	return nil
}

// Egress is the egress gateway, or nil.
func (t *Topology) Egress() *Gateway {
	if n := len(t.Gateways); n > 0 && t.Gateways[n-1].Egress() {
		return t.Gateways[n-1]
	}
	return nil
}

// deriveNamespaces lists the namespaces meshrender owns, each with its
// Pod Security level and the labels its owners give it.
func (t *Topology) deriveNamespaces() {
	s := t.spec
	istiodNamespace := &OwnedNamespace{Name: s.Istiod.Namespace, PodSecurity: PodSecurityRestricted}
	if n := s.MultiCluster.Network; n != "" {
		// istiod reads its cluster's network from its namespace.
		istiodNamespace.Labels = map[string]string{LabelNetwork: n}
	}
	t.own("spec.istiod", istiodNamespace)
	if *s.CNI.Enabled && s.CNI.Namespace != DefaultCNINamespace {
		// kube-system is the cluster's; a namespace of its own is the
		// agent's, privileged as a node agent needs.
		t.own("spec.cni", &OwnedNamespace{Name: s.CNI.Namespace, PodSecurity: PodSecurityPrivileged})
	}
	for _, g := range t.Gateways {
		ns := &OwnedNamespace{Name: g.Namespace, PodSecurity: PodSecurityRestricted}
		if !g.Egress() {
			ns.Labels = t.gatewayNamespaceLabels(g.Selector)
		}
		t.own(g.Field, ns)
	}
	for _, ns := range t.Namespaces {
		if level, ok := s.PodSecurity[ns.Name]; ok {
			ns.PodSecurity = PodSecurity(level)
		}
	}
}

// own records a namespace an owner needs, merging its labels into those
// of the namespace's earlier owners.
func (t *Topology) own(field string, ns *OwnedNamespace) {
	if o, ok := t.owned[ns.Name]; ok {
		o.Labels = objects.Merge(o.Labels, ns.Labels)
		if o.PodSecurity != ns.PodSecurity {
			o.conflicts = append(o.conflicts, FieldError{Field: field, Message: fmt.Sprintf("namespace %q is Pod Security %s for %s but %s for %s; they cannot share it", ns.Name, o.PodSecurity, o.Field, ns.PodSecurity, field)})
		}
		return
	}
	ns.Labels = objects.Merge(ns.Labels)
	ns.Field = field
	t.Namespaces = append(t.Namespaces, ns)
	t.owned[ns.Name] = ns
}

// Owns reports whether meshrender owns the namespace.
func (t *Topology) Owns(name string) bool {
	return t.Namespace(name) != nil
}

// Namespace is the owned namespace of that name, or nil.
func (t *Topology) Namespace(name string) *OwnedNamespace {
	return t.owned[name]
}

// gatewayNamespaceLabels are the part of a gateway's selector that a
// namespace carries too, so policies can select gateway namespaces as
// Gardener's do, and with network isolation the label the application
// namespaces accept traffic from.
func (t *Topology) gatewayNamespaceLabels(selector map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{naming.LabelIstio, naming.LabelRole, naming.LabelExposureClassName} {
		if v, ok := selector[k]; ok {
			out[k] = v
		}
	}
	if t.spec.IsolatesNetwork() {
		out[netpol.IngressGatewayNamespaceLabel] = "true"
	}
	return out
}

// Image is the reference of one of a control plane's images: pinned by
// the revision's digest, else by spec.registry's, else tagged with
// spec.registry.tag or the revision's release.
func (t *Topology) Image(cp *ControlPlane, name string) string {
	r := t.spec.Registry
	if d, ok := cp.Digests[name]; ok {
		return r.Hub + "/" + name + "@" + d
	}
	r.Tag = t.ImageTag(cp)
	return r.Image(name)
}

// ImageTag is the tag of a control plane's images, when they are tagged.
func (t *Topology) ImageTag(cp *ControlPlane) string {
	if t.spec.Registry.Tag != "" {
		return t.spec.Registry.Tag
	}
	return cp.Version
}
