// Package objects holds what every rendered component shares: the object
// interface, standard labels, hardened security contexts, image
// references and the install order.
package objects

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Object is a typed Kubernetes object with its TypeMeta filled in.
type Object interface {
	runtime.Object
	metav1.Object
}

// Standard label keys put on every object.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelVersion   = "app.kubernetes.io/version"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelName      = "app.kubernetes.io/name"
	LabelRev       = "istio.io/rev"
	// LabelTag marks what belongs to a revision tag.
	LabelTag = "istio.io/tag"

	ManagedBy = "meshrender"
	PartOf    = "istio"
)

// TrustDomain and ClusterID are upstream's single-cluster defaults, which
// istiod and every proxy must agree on.
const (
	TrustDomain = "cluster.local"
	ClusterID   = "Kubernetes"
)

// Printed is an object that was printed ahead of time, such as a CRD
// embedded as YAML: the pipeline passes its YAML through as it is.
type Printed struct {
	metav1.TypeMeta
	metav1.ObjectMeta
	// YAML is the whole object as a YAML document.
	YAML []byte
}

// DeepCopyObject returns a copy that shares only the read-only YAML.
func (p *Printed) DeepCopyObject() runtime.Object {
	c := *p
	p.ObjectMeta.DeepCopyInto(&c.ObjectMeta)
	return &c
}

// Meta describes the labels every object of one mesh carries.
type Meta struct {
	// Instance is the mesh name.
	Instance string
	// Version is the Istio release.
	Version string
}

// Labels returns the standard labels for an object of the named app
// merged with extra; extra wins.
func (m Meta) Labels(name string, extra map[string]string) map[string]string {
	out := make(map[string]string, 5+len(extra))
	out[LabelManagedBy] = ManagedBy
	out[LabelPartOf] = PartOf
	out[LabelVersion] = m.Version
	out[LabelInstance] = m.Instance
	if name != "" {
		out[LabelName] = name
	}
	maps.Copy(out, extra)
	return out
}

// ObjectMeta returns metadata with the standard labels.
func (m Meta) ObjectMeta(name, namespace, app string, extra map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: m.Labels(app, extra)}
}

// Merge returns the union of label maps, later ones winning.
func Merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// Workload is what istiod and a gateway share: the image, how it is
// pulled, how far it scales, how it rolls out and what it may use.
type Workload struct {
	Image       string
	PullSecrets []string
	MinReplicas int32
	MaxReplicas int32
	// TargetCPU is the average CPU use, in percent of the request, the
	// autoscaler keeps; 0 means upstream's 80.
	TargetCPU int32
	Resources corev1.ResourceRequirements
	// MaxSurge and MaxUnavailable bound a rolling update; unset means
	// upstream's 100% and 25%.
	MaxSurge, MaxUnavailable *intstr.IntOrString
	// Env is added to the main container's environment after
	// meshrender's own.
	Env []corev1.EnvVar
}

// Strategy is the workload's rolling update.
func (w Workload) Strategy() appsv1.DeploymentStrategy {
	surge, unavailable := intstr.FromString("100%"), intstr.FromString("25%")
	if w.MaxSurge != nil {
		surge = *w.MaxSurge
	}
	if w.MaxUnavailable != nil {
		unavailable = *w.MaxUnavailable
	}
	return appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
	}
}

// ProxyUID is the user and group Istio's images run as.
const ProxyUID = 1337

// RestrictedPod returns a pod security context that passes Pod Security
// "restricted": non-root, Istio's UID and GID, RuntimeDefault seccomp.
// fsGroup makes projected tokens readable by that user.
func RestrictedPod() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsUser:      new(int64(ProxyUID)),
		RunAsGroup:     new(int64(ProxyUID)),
		RunAsNonRoot:   new(true),
		FSGroup:        new(int64(ProxyUID)),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// RestrictedContainer returns a container security context with no
// privileges, no capabilities and a read-only root file system.
func RestrictedContainer() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: new(false),
		Privileged:               new(false),
		ReadOnlyRootFilesystem:   new(true),
		RunAsNonRoot:             new(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// PullSecrets turns secret names into references.
func PullSecrets(names []string) []corev1.LocalObjectReference {
	if len(names) == 0 {
		return nil
	}
	out := make([]corev1.LocalObjectReference, len(names))
	for i, n := range names {
		out[i] = corev1.LocalObjectReference{Name: n}
	}
	return out
}

// FieldEnv returns an environment variable read from a pod field.
func FieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}}
}

// ResourceEnv returns an environment variable read from a container's
// resources, in whole units.
func ResourceEnv(name, resource string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: resource, Divisor: resourceOne}}}
}

var resourceOne = resource.MustParse("1")

// Env returns a plain environment variable.
func Env(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

// IstioTokenVolume is the projected service account token, audience
// istio-ca, that istiod and proxies use to authenticate to the CA.
func IstioTokenVolume() corev1.Volume {
	return corev1.Volume{Name: "istio-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
			Audience: "istio-ca", ExpirationSeconds: new(int64(43200)), Path: "istio-token",
		}}},
	}}}
}

// SpreadOverHosts is a soft topology spread over nodes; pod-template-hash
// in matchLabelKeys keeps a rollout from counting old pods.
func SpreadOverHosts(selector map[string]string) corev1.TopologySpreadConstraint {
	return corev1.TopologySpreadConstraint{
		MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector: &metav1.LabelSelector{MatchLabels: selector}, MatchLabelKeys: []string{"pod-template-hash"},
	}
}

// SpreadOverZones is a hard topology spread over zones: with minDomains
// the scheduler leaves pods pending rather than pile them into fewer zones
// than the cluster has.
func SpreadOverZones(selector map[string]string, zones int, maxReplicas int32) corev1.TopologySpreadConstraint {
	return corev1.TopologySpreadConstraint{
		MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
		MinDomains:    new(min(int32(zones), maxReplicas)),
		LabelSelector: &metav1.LabelSelector{MatchLabels: selector}, MatchLabelKeys: []string{"pod-template-hash"},
	}
}

// PinToZone requires nodes in the given zone.
func PinToZone(zone string) *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{zone}}},
		}}},
	}}
}

// IntStr returns an intstr holding a port number.
func IntStr(i int32) intstr.IntOrString { return intstr.FromInt32(i) }

// MergeMappings returns top deep-merged over base: mappings merge key by key,
// anything else in top replaces what base has.
func MergeMappings(base, top map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(top))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range top {
		bm, bok := out[k].(map[string]any)
		tm, tok := v.(map[string]any)
		if bok && tok {
			out[k] = MergeMappings(bm, tm)
			continue
		}
		out[k] = v
	}
	return out
}
