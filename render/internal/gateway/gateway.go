// Package gateway builds one Istio gateway, ingress or egress: the proxy
// running in router mode, its Services, RBAC for TLS secrets, autoscaler
// and disruption budget.
package gateway

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Gateway names, the same in every gateway namespace: the Deployment,
// Service, autoscaler and disruption budget carry the name, and the other
// objects names derived from it.
const (
	IngressName = "istio-ingressgateway"
	EgressName  = "istio-egressgateway"
	// EastWestName names the east-west gateway of a network.
	EastWestName = "istio-eastwestgateway"
)

// Ports every gateway has.
const (
	StatusPort     = 15021
	prometheusPort = 15090
)

// EnvNames are the environment variables meshrender sets on a gateway's
// proxy; extra variables may not set them again. They are read off the
// proxy's own list, so the two cannot drift apart.
var EnvNames = envNames()

// envNames lists the variables env sets, in its order. Which variables
// it sets does not depend on the values, so empty ones do.
func envNames() []string {
	var names []string
	for _, e := range (builder{}).env() {
		names = append(names, e.Name)
	}
	return names
}

// sdsSecretsGroup is the API group of the secrets a gateway reads.
const sdsSecretsGroup = ""

// InternalName is the name of the gateway's ClusterIP Service for
// clients in the cluster.
func InternalName(name string) string { return name + "-internal" }

// ServiceAccountName is the name of the gateway's ServiceAccount.
func ServiceAccountName(name string) string { return name + "-service-account" }

// SDSRoleName is the name of the Role (and binding) that lets the gateway
// read TLS secrets.
func SDSRoleName(name string) string { return name + "-sds" }

// Values is everything one gateway is built from.
type Values struct {
	Meta objects.Meta
	// Name is IngressName or EgressName.
	Name      string
	Namespace string
	// Selector identifies the gateway's pods; Istio Gateway resources
	// select on it.
	Selector map[string]string
	// Zone pins the gateway to one zone; empty spreads it over Zones.
	Zone  string
	Zones []string
	// Revision is the istio.io/rev value of the control plane: its
	// revision, or "default" for the default one; never empty.
	Revision string
	objects.Workload
	Service Service
	// Ingress marks the gateway clients outside the cluster reach through
	// a load balancer, as upstream's ingress: its Service lists the status
	// port first for the balancer's health checks, and a second, ClusterIP
	// Service keeps clients inside the cluster in their zone. Upstream's
	// egress has neither.
	Ingress bool
	Ports   []Port
	// DiscoveryAddress is istiod's xDS and CA address.
	DiscoveryAddress string
	// TrustDomain is the mesh's trust domain, as the renderer resolves
	// it (cluster.local unless the mesh config says otherwise).
	TrustDomain string
	// MeshID, ClusterID and Network place the gateway in a mesh of
	// several clusters; Network is empty on a mesh of one network.
	MeshID, ClusterID, Network string
	// ProxyConfig is the mesh's default proxy config as JSON. A gateway
	// gets it in PROXY_CONFIG, as istiod's gateway injection template
	// gives it: the mesh ConfigMap is only in istiod's namespace, and a
	// proxy that reads none falls back to built-in defaults.
	ProxyConfig string
}

// Service configures the gateway's LoadBalancer Service.
type Service struct {
	Type                  corev1.ServiceType
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy
	Annotations           map[string]string
	LoadBalancerClass     string
}

// Port is one Service port and the container port behind it.
type Port struct {
	Name       string
	Port       int32
	TargetPort int32
}

// Objects returns the gateway's objects.
func Objects(v Values) []objects.Object {
	b := builder{v: v, serviceAccountName: ServiceAccountName(v.Name), sdsRole: SDSRoleName(v.Name)}
	b.objectLabels = v.Meta.Labels(v.Name, b.labels())
	objs := []objects.Object{
		b.serviceAccount(),
		b.role(),
		b.roleBinding(),
		b.service(),
	}
	if v.Ingress {
		objs = append(objs, b.internalService())
	}
	objs = append(objs,
		b.deployment(),
		objects.CPUAutoscaler(b.meta(v.Name), v.Workload),
	)
	if pdb := objects.DisruptionBudget(b.meta(v.Name), v.Selector, v.MinReplicas); pdb != nil {
		objs = append(objs, pdb)
	}
	return objs
}

// builder builds one gateway's objects. They share label and selector
// maps: rendered objects are printed, never modified, so sharing is safe
// and saves allocating the same maps for every object.
type builder struct {
	v Values
	// objectLabels are the metadata labels of every object.
	objectLabels map[string]string
	// The names of the gateway's objects.
	serviceAccountName, sdsRole string
}

func (b builder) labels() map[string]string {
	return objects.Merge(b.v.Selector, map[string]string{objects.LabelRev: b.v.Revision})
}

func (b builder) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: b.v.Namespace, Labels: b.objectLabels}
}

func (b builder) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:         metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:       b.meta(b.serviceAccountName),
		ImagePullSecrets: objects.PullSecrets(b.v.PullSecrets),
	}
}

// role lets the gateway read TLS secrets for Gateway credentialName (SDS).
func (b builder) role() *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: b.meta(b.sdsRole),
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{sdsSecretsGroup}, Resources: []string{"secrets"}, Verbs: []string{"get", "watch", "list"}}},
	}
}

func (b builder) roleBinding() *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: b.meta(b.sdsRole),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: b.sdsRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: b.serviceAccountName, Namespace: b.v.Namespace}},
	}
}

func (b builder) servicePorts() []corev1.ServicePort {
	var ports []corev1.ServicePort
	if b.v.Ingress {
		ports = append(ports, corev1.ServicePort{Name: "status-port", Port: StatusPort, TargetPort: intstr.FromInt32(StatusPort), Protocol: corev1.ProtocolTCP})
	}
	for _, p := range b.v.Ports {
		ports = append(ports, corev1.ServicePort{Name: p.Name, Port: p.Port, TargetPort: intstr.FromInt32(p.TargetPort), Protocol: corev1.ProtocolTCP})
	}
	return ports
}

// service is the gateway's entry point from outside the cluster.
func (b builder) service() *corev1.Service {
	s := b.v.Service
	meta := b.meta(b.v.Name)
	if len(s.Annotations) > 0 {
		meta.Annotations = maps.Clone(s.Annotations)
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{
			Type:                  s.Type,
			Ports:                 b.servicePorts(),
			Selector:              b.v.Selector,
			ExternalTrafficPolicy: s.ExternalTrafficPolicy,
		},
	}
	if s.LoadBalancerClass != "" {
		svc.Spec.LoadBalancerClass = new(s.LoadBalancerClass)
	}
	return svc
}

// internalService reaches the same pods from inside the cluster, keeping
// traffic in the client's zone when the gateway has endpoints there.
func (b builder) internalService() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: b.meta(InternalName(b.v.Name)),
		Spec: corev1.ServiceSpec{
			Type:                corev1.ServiceTypeClusterIP,
			Ports:               b.servicePorts(),
			Selector:            b.v.Selector,
			TrafficDistribution: new(corev1.ServiceTrafficDistributionPreferSameZone),
		},
	}
}

// deployment runs proxyv2 in router mode. It is upstream's gateway
// Deployment with the legacy file-mounted certificate volumes left out
// (gateways get certificates over SDS), a restricted pod, topology written
// into the manifest, and no replicas field: the autoscaler owns it.
func (b builder) deployment() *appsv1.Deployment {
	v := b.v
	podLabels := objects.Merge(b.labels(), map[string]string{
		"service.istio.io/canonical-name":     v.Name,
		"service.istio.io/canonical-revision": canonicalRevision(v.Revision),
		"sidecar.istio.io/inject":             "false",
		"istio.io/dataplane-mode":             "none",
	})
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: b.meta(v.Name),
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: v.Selector},
			Strategy: v.Strategy(),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: v.Meta.Labels(v.Name, podLabels),
					Annotations: map[string]string{
						objects.LabelRev:          v.Revision,
						"prometheus.io/path":      "/stats/prometheus",
						"prometheus.io/port":      "15020",
						"prometheus.io/scrape":    "true",
						"sidecar.istio.io/inject": "false",
					},
				},
				Spec: corev1.PodSpec{
					ServiceAccountName:        b.serviceAccountName,
					SecurityContext:           objects.RestrictedPod(),
					ImagePullSecrets:          objects.PullSecrets(v.PullSecrets),
					Affinity:                  b.affinity(),
					TopologySpreadConstraints: b.spread(),
					Containers:                []corev1.Container{b.proxy()},
					Volumes:                   b.volumes(),
				},
			},
		},
	}
}

// canonicalRevision is the service.istio.io/canonical-revision of the
// gateway's pods: its control plane's revision, or upstream's "latest" for
// the default one.
func canonicalRevision(rev string) string {
	if rev == "default" {
		return "latest"
	}
	return rev
}

// affinity pins a zonal gateway to its zone in the manifest itself, so no
// admission webhook is needed to keep its traffic in the zone. In a mesh
// with a single zone every gateway is pinned to it, as Gardener does.
func (b builder) affinity() *corev1.Affinity {
	switch {
	case b.v.Zone != "":
		return objects.PinToZone(b.v.Zone)
	case len(b.v.Zones) == 1:
		return objects.PinToZone(b.v.Zones[0])
	}
	return nil
}

// spread spreads replicas over hosts and, for a gateway that spans two or
// more zones, evenly over the zones.
func (b builder) spread() []corev1.TopologySpreadConstraint {
	out := []corev1.TopologySpreadConstraint{objects.SpreadOverHosts(b.v.Selector)}
	if b.v.Zone == "" && len(b.v.Zones) > 1 {
		out = append(out, objects.SpreadOverZones(b.v.Selector, len(b.v.Zones), b.v.MaxReplicas))
	}
	return out
}

func (b builder) proxy() corev1.Container {
	v := b.v
	tcp := corev1.ProtocolTCP
	var ports []corev1.ContainerPort
	if v.Ingress {
		ports = append(ports, corev1.ContainerPort{Name: "status-port", ContainerPort: StatusPort, Protocol: tcp})
	}
	seen := map[int32]bool{StatusPort: true}
	for _, p := range v.Ports {
		if !seen[p.TargetPort] {
			seen[p.TargetPort] = true
			ports = append(ports, corev1.ContainerPort{ContainerPort: p.TargetPort, Protocol: tcp})
		}
	}
	ports = append(ports, corev1.ContainerPort{Name: "http-envoy-prom", ContainerPort: prometheusPort, Protocol: tcp})
	return corev1.Container{
		Name:            "istio-proxy",
		Image:           v.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args: []string{
			"proxy", "router",
			"--domain", "$(POD_NAMESPACE).svc." + objects.TrustDomain,
			"--proxyLogLevel=warning",
			"--proxyComponentLogLevel=misc:error",
			"--log_output_level=default:info",
		},
		Env:   b.env(),
		Ports: ports,
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz/ready", Port: intstr.FromInt32(StatusPort), Scheme: corev1.URISchemeHTTP}},
			InitialDelaySeconds: 1, PeriodSeconds: 2, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 30,
		},
		Resources:       *v.Resources.DeepCopy(),
		SecurityContext: objects.RestrictedContainer(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: "workload-socket", MountPath: "/var/run/secrets/workload-spiffe-uds"},
			{Name: "credential-socket", MountPath: "/var/run/secrets/credential-uds"},
			{Name: "workload-certs", MountPath: "/var/run/secrets/workload-spiffe-credentials"},
			{Name: "istio-envoy", MountPath: "/etc/istio/proxy"},
			{Name: "istiod-ca-cert", MountPath: "/var/run/secrets/istio"},
			{Name: "istio-token", MountPath: "/var/run/secrets/tokens", ReadOnly: true},
			{Name: "istio-data", MountPath: "/var/lib/istio/data"},
			{Name: "podinfo", MountPath: "/etc/istio/pod"},
		},
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
}

func (b builder) env() []corev1.EnvVar {
	v := b.v
	env := []corev1.EnvVar{
		objects.Env("PILOT_CERT_PROVIDER", "istiod"),
		objects.Env("CA_ADDR", v.DiscoveryAddress),
		objects.Env("PROXY_CONFIG", v.ProxyConfig),
		objects.FieldEnv("NODE_NAME", "spec.nodeName"),
		objects.FieldEnv("POD_NAME", "metadata.name"),
		objects.FieldEnv("POD_NAMESPACE", "metadata.namespace"),
		objects.FieldEnv("INSTANCE_IP", "status.podIP"),
		objects.FieldEnv("HOST_IP", "status.hostIP"),
		objects.ResourceEnv("ISTIO_CPU_LIMIT", "limits.cpu"),
		objects.FieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
		objects.Env("ISTIO_META_WORKLOAD_NAME", v.Name),
		objects.Env("ISTIO_META_OWNER", "kubernetes://apis/apps/v1/namespaces/"+v.Namespace+"/deployments/"+v.Name),
		objects.Env("ISTIO_META_MESH_ID", v.MeshID),
		objects.Env("TRUST_DOMAIN", v.TrustDomain),
		objects.Env("ISTIO_META_UNPRIVILEGED_POD", "true"),
		objects.Env("ISTIO_META_CLUSTER_ID", v.ClusterID),
		objects.FieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName"),
	}
	if v.Network != "" {
		env = append(env, objects.Env("ISTIO_META_NETWORK", v.Network))
	}
	return append(env, v.Env...)
}

func (b builder) volumes() []corev1.Volume {
	empty := func(name string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	}
	field := func(path, file string) corev1.DownwardAPIVolumeFile {
		return corev1.DownwardAPIVolumeFile{Path: file, FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}
	}
	return []corev1.Volume{
		empty("workload-socket"),
		empty("credential-socket"),
		empty("workload-certs"),
		// Written by istiod into every namespace; the proxy waits for it.
		{Name: "istiod-ca-cert", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "istio-ca-root-cert"},
		}}},
		{Name: "podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{field("metadata.labels", "labels"), field("metadata.annotations", "annotations")},
		}}},
		empty("istio-envoy"),
		empty("istio-data"),
		objects.IstioTokenVolume(),
	}
}
