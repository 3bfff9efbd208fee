package render

import (
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/istiod"
	"github.com/meshrender/meshrender/render/internal/naming"
	"github.com/meshrender/meshrender/render/internal/netpol"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// topology is what the renderer derives from a defaulted mesh, once:
// the control planes with their Services, every gateway with its
// namespace, selector, set and control plane, and the namespaces
// meshrender owns with their Pod Security level. Validation, the
// planners and the policies they plan read it; nothing derives these
// facts a second time.
//
// It is computed before validation, so it holds for any defaulted mesh:
// a reference to a revision that does not exist leaves a gateway without
// a control plane, which validation reports and planning never sees.
type topology struct {
	mesh *Mesh
	spec *MeshSpec
	// planes are the control planes in spec order.
	planes []*controlPlane
	// defaultPlane is the control plane gateways follow unless they say
	// otherwise; nil in a mesh of several without a default tag.
	defaultPlane *controlPlane
	// clusterWide is the control plane that what the cluster has once
	// follows.
	clusterWide *controlPlane
	// meshConfig is spec.meshConfig as a mapping, read once.
	meshConfig map[string]any
	// trustDomain is the mesh's trust domain.
	trustDomain string
	// gateways are the ingress gateways (the all-zone one, one per zone,
	// then the same per exposure class, in spec order) and last the
	// egress gateway.
	gateways []*meshGateway
	// namespaces are the namespaces meshrender owns, in the order their
	// owners come: istiod's, istio-cni's, the gateways'.
	namespaces []*ownedNamespace
	// sets maps each gateway set to the namespaces of its gateways.
	sets map[string][]string
}

// controlPlane is one revision as the renderer sees it, whether it comes
// from spec.revisions or, without them, from spec.revision.
type controlPlane struct {
	// revision is "" for the control plane without a revision.
	revision string
	version  string
	digests  map[string]string
	// field is where the control plane comes from, for errors.
	field string
	// tags are the tags that name it, sorted.
	tags []string
	// names are its object and Service names.
	names istiod.Names
	// proxyConfig is the mesh's default proxy config for its proxies,
	// encoded once, when the first proxy that needs it is built.
	proxyConfig func() (string, error)
}

// meshGateway is one gateway of the mesh as derived from a defaulted
// spec.
type meshGateway struct {
	// field is the spec field the gateway comes from, for errors.
	field string
	// name is the gateway's Deployment and Service name.
	name      string
	namespace string
	zone      string
	selector  map[string]string
	service   GatewayService
	ports     []GatewayPort
	min, max  int32
	// ref is the revision or tag the gateway follows, and plane the
	// control plane it resolves to (nil when it resolves to none).
	ref   string
	plane *controlPlane
	// set is the gateway set it belongs to: "ingress", "egress" or its
	// exposure class.
	set string
	// jwt is its end-user authentication, if any.
	jwt *JWT
	// workload is how its pods run: spec.ingress's or spec.egress's.
	workload gatewayWorkload
}

// gatewayWorkload are the settings of a gateway's pods that every
// gateway of its kind shares.
type gatewayWorkload struct {
	targetCPU     *int32
	resources     *corev1.ResourceRequirements
	rollingUpdate RollingUpdate
	env           []corev1.EnvVar
}

// egress reports whether g is the egress gateway.
func (g *meshGateway) egress() bool { return g.set == GatewaySetEgress }

// ownedNamespace is a namespace meshrender renders and owns.
type ownedNamespace struct {
	namespaceSpec
	// field is the first owner's spec field, for errors.
	field string
	// conflicts are owners that ask for another Pod Security level.
	conflicts []FieldError
}

// newTopology derives the topology of a defaulted mesh.
func newTopology(m *Mesh) *topology {
	s := &m.Spec
	t := &topology{mesh: m, spec: s, meshConfig: s.MeshConfig.fields(), sets: map[string][]string{}}
	t.trustDomain = objects.TrustDomain
	if td, ok := t.meshConfig["trustDomain"].(string); ok && td != "" {
		t.trustDomain = td
	}
	t.planControlPlanes()
	t.deriveGateways()
	t.deriveNamespaces()
	return t
}

// planControlPlanes lists the control planes and finds the default and
// the cluster-wide one.
func (t *topology) planControlPlanes() {
	s := t.spec
	if !s.multiRevision() {
		t.planes = []*controlPlane{{revision: s.Revision, version: s.Version, field: "spec.revision"}}
	}
	for i, r := range s.Revisions {
		t.planes = append(t.planes, &controlPlane{revision: r.Name, version: r.Version, digests: r.Digests, field: fmt.Sprintf("spec.revisions[%d]", i)})
	}
	for _, cp := range t.planes {
		cp.names = istiod.Names{Revision: cp.revision, NS: s.Istiod.Namespace}
		cp.proxyConfig = sync.OnceValues(func() (string, error) { return proxyConfigJSON(t, cp) })
	}
	for _, tag := range sortedKeys(s.Tags) {
		for _, cp := range t.planes {
			if cp.revision != "" && cp.revision == s.Tags[tag] {
				cp.tags = append(cp.tags, tag)
			}
		}
	}
	if rev, ok := s.Tags[DefaultTag]; ok {
		for _, cp := range t.planes {
			if cp.revision == rev {
				t.defaultPlane = cp
			}
		}
	} else if len(t.planes) == 1 {
		t.defaultPlane = t.planes[0]
	}
	// What the cluster has once follows the default control plane, else
	// the one of the newest release: so installing a canary revision adds
	// its own objects and changes nothing the cluster runs, and moving
	// the default tag moves istio-cni too, in place, as upstream
	// upgrades it.
	t.clusterWide = t.defaultPlane
	if t.clusterWide == nil {
		for _, cp := range t.planes {
			if t.clusterWide == nil || slices.Index(IstioReleases, cp.version) > slices.Index(IstioReleases, t.clusterWide.version) {
				t.clusterWide = cp
			}
		}
	}
}

// resolve finds the control plane a revision or tag names; "" is the
// default control plane. It is nil when there is none.
func (t *topology) resolve(ref string) *controlPlane {
	if ref == "" {
		return t.defaultPlane
	}
	if rev, ok := t.spec.Tags[ref]; ok {
		ref = rev
	}
	for _, cp := range t.planes {
		if cp.revision != "" && cp.revision == ref {
			return cp
		}
	}
	return nil
}

// deriveGateways lists every gateway of the mesh and the namespaces of
// each gateway set.
func (t *topology) deriveGateways() {
	s := t.spec
	in := &s.Ingress
	if *in.Enabled {
		t.deriveIngress()
	}
	if e := &s.Egress; *e.Enabled {
		t.gateways = append(t.gateways, &meshGateway{
			field: "spec.egress", name: gateway.EgressName, namespace: e.Namespace,
			selector: egressSelector(), service: GatewayService{Type: corev1.ServiceTypeClusterIP}, ports: e.Ports,
			min: *e.Replicas.Min, max: *e.Replicas.Max, ref: e.Revision, plane: t.resolve(e.Revision),
			set:      GatewaySetEgress,
			workload: gatewayWorkload{e.Replicas.TargetCPUUtilization, e.Resources, e.RollingUpdate, e.Env},
		})
	}
	for _, g := range t.gateways {
		t.sets[g.set] = append(t.sets[g.set], g.namespace)
	}
}

// deriveIngress adds the ingress gateways: the all-zone one, one per
// zone, then the same per exposure class, in spec order.
func (t *topology) deriveIngress() {
	s := t.spec
	in := &s.Ingress
	multiZone := len(s.Zones) > 1
	scale := int32(max(len(s.Zones), 1))
	lo, hi := derefOr(in.Replicas.Min, 1), derefOr(in.Replicas.Max, 1)
	workload := gatewayWorkload{in.Replicas.TargetCPUUtilization, in.Resources, in.RollingUpdate, in.Env}
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
		plane := t.resolve(ref)
		t.gateways = append(t.gateways, &meshGateway{
			field: field, name: gateway.IngressName, namespace: base,
			selector: naming.GatewayLabels(labels, name, ""), ports: in.Ports,
			service: service(class, ""), min: lo * scale, max: hi * scale, ref: ref, plane: plane, set: set, jwt: jwt, workload: workload,
		})
		if !multiZone || !zonal {
			return
		}
		for _, z := range s.Zones {
			t.gateways = append(t.gateways, &meshGateway{
				field: fmt.Sprintf("%s (zone %s)", field, z), name: gateway.IngressName, namespace: naming.ZonalNamespace(base, z), zone: z,
				selector: naming.GatewayLabels(labels, name, z), ports: in.Ports,
				service: service(class, z), min: lo, max: hi, ref: ref, plane: plane, set: set, jwt: jwt, workload: workload,
			})
		}
	}
	add("spec.ingress", in.Namespace, nil, *in.Zonal)
	for i := range s.ExposureClasses {
		c := &s.ExposureClasses[i]
		add(fmt.Sprintf("spec.exposureClasses[%d]", i), naming.ExposureClassNamespace(c.Name), c, derefOr(c.Zonal, *in.Zonal))
	}
}

// ingress are the ingress gateways.
func (t *topology) ingress() []*meshGateway {
	if n := len(t.gateways); n > 0 && t.gateways[n-1].egress() {
		return t.gateways[:n-1]
	}
	return t.gateways
}

// egress is the egress gateway, or nil.
func (t *topology) egress() *meshGateway {
	if n := len(t.gateways); n > 0 && t.gateways[n-1].egress() {
		return t.gateways[n-1]
	}
	return nil
}

// deriveNamespaces lists the namespaces meshrender owns, each with its
// Pod Security level and the labels its owners give it.
func (t *topology) deriveNamespaces() {
	s := t.spec
	t.own("spec.istiod", namespaceSpec{Name: s.Istiod.Namespace, PodSecurity: podSecurityRestricted})
	if *s.CNI.Enabled && s.CNI.Namespace != DefaultCNINamespace {
		// kube-system is the cluster's; a namespace of its own is the
		// agent's, privileged as a node agent needs.
		t.own("spec.cni", namespaceSpec{Name: s.CNI.Namespace, PodSecurity: podSecurityPrivileged})
	}
	for _, g := range t.gateways {
		ns := namespaceSpec{Name: g.namespace, PodSecurity: podSecurityRestricted}
		if !g.egress() {
			ns.Labels = t.gatewayNamespaceLabels(g.selector)
		}
		t.own(g.field, ns)
	}
}

// own records a namespace an owner needs, merging its labels into those
// of the namespace's earlier owners.
func (t *topology) own(field string, ns namespaceSpec) {
	for _, o := range t.namespaces {
		if o.Name != ns.Name {
			continue
		}
		o.Labels = objects.Merge(o.Labels, ns.Labels)
		if o.PodSecurity != ns.PodSecurity {
			o.conflicts = append(o.conflicts, FieldError{Field: field, Message: fmt.Sprintf("namespace %q is Pod Security %s for %s but %s for %s; they cannot share it", ns.Name, o.PodSecurity, o.field, ns.PodSecurity, field)})
		}
		return
	}
	ns.Labels = objects.Merge(ns.Labels)
	t.namespaces = append(t.namespaces, &ownedNamespace{namespaceSpec: ns, field: field})
}

// owns reports whether meshrender owns the namespace.
func (t *topology) owns(name string) bool {
	return t.namespace(name) != nil
}

// namespace is the owned namespace of that name, or nil.
func (t *topology) namespace(name string) *ownedNamespace {
	for _, o := range t.namespaces {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// gatewayNamespaceLabels are the part of a gateway's selector that a
// namespace carries too, so policies can select gateway namespaces as
// Gardener's do, and with network isolation the label the application
// namespaces accept traffic from.
func (t *topology) gatewayNamespaceLabels(selector map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{naming.LabelIstio, naming.LabelRole, naming.LabelExposureClassName} {
		if v, ok := selector[k]; ok {
			out[k] = v
		}
	}
	if t.spec.networkPolicies() {
		out[netpol.IngressGatewayNamespaceLabel] = "true"
	}
	return out
}

// meta is what every object of the mesh is labelled with; version is
// the release the object comes from.
func (t *topology) meta(version string) objects.Meta {
	return objects.Meta{Instance: t.mesh.Metadata.Name, Version: version}
}

// image is the reference of one of a control plane's images: pinned by
// the revision's digest, else by spec.registry's, else tagged with
// spec.registry.tag or the revision's release.
func (t *topology) image(cp *controlPlane, name string) string {
	r := t.spec.Registry
	if d, ok := cp.digests[name]; ok {
		return r.Hub + "/" + name + "@" + d
	}
	r.Tag = t.imageTag(cp)
	return r.Image(name)
}

// imageTag is the tag of a control plane's images, when they are tagged.
func (t *topology) imageTag(cp *controlPlane) string {
	if t.spec.Registry.Tag != "" {
		return t.spec.Registry.Tag
	}
	return cp.version
}
