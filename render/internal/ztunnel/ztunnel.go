// Package ztunnel builds ztunnel: the node proxy of Istio's ambient data
// plane, which carries the traffic of every ambient pod on its node over
// HBONE (mutual TLS on port 15008) and enforces L4 policy.
//
// The objects are those of upstream's ztunnel chart as istioctl's ambient
// profile renders it at Istio 1.30.3 and 1.31: a ServiceAccount and a
// DaemonSet, no RBAC (ztunnel reads everything it needs from istiod over
// xDS, and proves its identity to istiod's CA with a projected token). The
// differences, each documented where it is made: meshrender's standard
// labels in place of Helm's, a namespace other than istiod's (see
// Values.Namespace), a memory limit, and the update strategy the mesh
// chooses.
package ztunnel

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Name is the ServiceAccount, the DaemonSet and the app label. istiod
// trusts node certificates requested with this ServiceAccount's token in
// the namespace it is told (CA_TRUSTED_NODE_ACCOUNTS).
const Name = "ztunnel"

// ImageName is the image ztunnel runs, by the name spec.registry.digests
// takes.
const ImageName = "ztunnel"

// Update strategies of the DaemonSet.
const (
	// RollingUpdate replaces one node's ztunnel at a time, surging a new
	// one beside the old before it stops: connections the old one carries
	// are reset when it exits.
	RollingUpdate = "RollingUpdate"
	// OnDelete replaces a node's ztunnel only when its pod is deleted,
	// for example when the node is drained: the operator decides when
	// connections are reset.
	OnDelete = "OnDelete"
)

// Ports of ztunnel, as upstream's.
const (
	statsPort     = 15020
	readinessPort = 15021
	// HBONEPort is where ztunnel, and every proxy that speaks HBONE,
	// accepts tunnelled connections.
	HBONEPort = 15008
)

// socketDir is the host directory istio-cni hands ambient pods' network
// namespaces to ztunnel through; the CNI agent mounts it too.
const socketDir = "/var/run/ztunnel"

// terminationGracePeriod is upstream's, also told to ztunnel so it drains
// connections within it.
const terminationGracePeriod = 30

// Values is everything ztunnel is built from.
type Values struct {
	// Meta gives every object meshrender's standard labels.
	Meta objects.Meta
	// Namespace is where ztunnel runs: a privileged namespace, istio-cni's
	// (upstream: istio-system, which meshrender keeps restricted).
	Namespace string
	// Image is the full ztunnel image reference.
	Image string
	// PullSecrets go on the ServiceAccount, as upstream.
	PullSecrets []string
	// IstiodAddress is the host:port of the istiod that signs ztunnel's
	// workload certificates and serves its xDS.
	IstiodAddress string
	// ClusterID is the cluster's name as istiod knows it (upstream:
	// Kubernetes).
	ClusterID string
	// Network is the cluster's network, or "" for a mesh of one.
	Network string
	// Minor is the Istio minor release, whose chart decides the env.
	Minor string
	// Resources are the container's; DefaultResources unless the mesh
	// sets them.
	Resources corev1.ResourceRequirements
	// UpdateStrategy is RollingUpdate or OnDelete.
	UpdateStrategy string
}

// DefaultMemoryLimit is the memory limit DefaultResources adds.
const DefaultMemoryLimit = "2Gi"

// DefaultResources are upstream's requests, 200m CPU and 512Mi, and a
// memory limit of DefaultMemoryLimit.
//
// Difference from upstream, which sets no limits: a leaking node proxy
// would otherwise take the node's memory from every pod on it; four times
// the request leaves room for the connection bursts ztunnel buffers.
// There is no CPU limit: a throttled ztunnel slows every ambient pod on
// its node.
func DefaultResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("200m"),
			corev1.ResourceMemory: resource.MustParse("512Mi"),
		},
		Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(DefaultMemoryLimit)},
	}
}

// Objects returns ztunnel's ServiceAccount and DaemonSet.
func Objects(v Values) []objects.Object {
	return []objects.Object{
		&corev1.ServiceAccount{
			TypeMeta:         metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta:       v.Meta.ObjectMeta(Name, v.Namespace, Name, nil),
			ImagePullSecrets: objects.PullSecrets(v.PullSecrets),
		},
		daemonSet(v),
	}
}

// selector is upstream's DaemonSet selector, immutable once applied.
func selector() map[string]string { return map[string]string{"app": Name} }

func daemonSet(v Values) *appsv1.DaemonSet {
	strategy := appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
	if v.UpdateStrategy != OnDelete {
		// A new ztunnel starts beside the old one on the node, which hands
		// over new pods' traffic before it exits.
		maxSurge, maxUnavailable := intstr.FromInt32(1), intstr.FromInt32(0)
		strategy = appsv1.DaemonSetUpdateStrategy{
			Type:          appsv1.RollingUpdateDaemonSetStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable},
		}
	}
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: v.Meta.ObjectMeta(Name, v.Namespace, Name, nil),
		Spec: appsv1.DaemonSetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: selector()},
			UpdateStrategy: strategy,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: v.Meta.Labels(Name, objects.Merge(selector(), map[string]string{
						"sidecar.istio.io/inject": "false",
						"istio.io/dataplane-mode": "none",
					})),
					Annotations: map[string]string{
						"sidecar.istio.io/inject": "false",
						"prometheus.io/scrape":    "true",
						"prometheus.io/port":      "15020",
					},
				},
				Spec: corev1.PodSpec{
					NodeSelector:                  map[string]string{corev1.LabelOSStable: "linux"},
					PriorityClassName:             "system-node-critical",
					ServiceAccountName:            Name,
					TerminationGracePeriodSeconds: new(int64(terminationGracePeriod)),
					// Every node with ambient pods needs its ztunnel,
					// whatever its taints.
					Tolerations: []corev1.Toleration{
						{Effect: corev1.TaintEffectNoSchedule, Operator: corev1.TolerationOpExists},
						{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
						{Effect: corev1.TaintEffectNoExecute, Operator: corev1.TolerationOpExists},
					},
					Containers: []corev1.Container{container(v)},
					Volumes: []corev1.Volume{
						objects.IstioTokenVolume(),
						{Name: "istiod-ca-cert", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: "istio-ca-root-cert"},
						}}},
						{Name: "cni-ztunnel-sock-dir", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
							Path: socketDir, Type: new(corev1.HostPathDirectoryOrCreate),
						}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
}

func container(v Values) corev1.Container {
	return corev1.Container{
		Name:  "istio-proxy",
		Image: v.Image,
		Args:  []string{"proxy", "ztunnel"},
		Env:   env(v),
		Ports: []corev1.ContainerPort{{Name: "ztunnel-stats", ContainerPort: statsPort, Protocol: corev1.ProtocolTCP}},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
			HTTPGet: &corev1.HTTPGetAction{Path: "/healthz/ready", Port: intstr.FromInt32(readinessPort)},
		}},
		Resources: *v.Resources.DeepCopy(),
		// Upstream's: root with the capabilities that enter pods' network
		// namespaces and program their redirection; only Pod Security
		// privileged admits them.
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: new(true),
			Capabilities: &corev1.Capabilities{
				Add:  []corev1.Capability{"NET_ADMIN", "SYS_ADMIN", "NET_RAW"},
				Drop: []corev1.Capability{"ALL"},
			},
			Privileged:             new(false),
			ReadOnlyRootFilesystem: new(true),
			RunAsGroup:             new(int64(1337)),
			RunAsNonRoot:           new(false),
			RunAsUser:              new(int64(0)),
		},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "istiod-ca-cert", MountPath: "/var/run/secrets/istio"},
			{Name: "istio-token", MountPath: "/var/run/secrets/tokens"},
			{Name: "cni-ztunnel-sock-dir", MountPath: socketDir},
			{Name: "tmp", MountPath: "/tmp"},
		},
	}
}

// env is upstream's, in upstream's order; 1.31's chart adds the CPU
// request.
func env(v Values) []corev1.EnvVar {
	out := []corev1.EnvVar{
		objects.Env("CA_ADDRESS", v.IstiodAddress),
		objects.Env("XDS_ADDRESS", v.IstiodAddress),
	}
	if v.Network != "" {
		out = append(out, objects.Env("NETWORK", v.Network))
	}
	out = append(out,
		objects.Env("RUST_LOG", "info"),
		objects.Env("RUST_BACKTRACE", "1"),
		objects.Env("ISTIO_META_CLUSTER_ID", v.ClusterID),
		// Pods' traffic is redirected inside their own network namespace,
		// which istio-cni hands over through socketDir.
		objects.Env("INPOD_ENABLED", "true"),
		objects.Env("TERMINATION_GRACE_PERIOD_SECONDS", "30"),
		objects.FieldEnv("POD_NAME", "metadata.name"),
		objects.FieldEnv("POD_NAMESPACE", "metadata.namespace"),
		objects.FieldEnv("NODE_NAME", "spec.nodeName"),
		objects.FieldEnv("INSTANCE_IP", "status.podIP"),
		objects.FieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
		objects.Env("ISTIO_META_ENABLE_HBONE", "true"),
		objects.ResourceEnv("ZTUNNEL_CPU_LIMIT", "limits.cpu"),
	)
	if v.Minor != "1.30" {
		out = append(out, objects.ResourceEnv("ZTUNNEL_RESOURCE_CPU_REQUEST", "requests.cpu"))
	}
	return out
}
