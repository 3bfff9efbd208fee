package cni

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Volume names, as upstream's.
const (
	volumeBin     = "cni-bin-dir"
	volumeProc    = "cni-host-procfs"
	volumeNet     = "cni-net-dir"
	volumeSocket  = "cni-socket-dir"
	volumeNetns   = "cni-netns-dir"
	volumeZtunnel = "cni-ztunnel-sock-dir"
)

// selector is upstream's DaemonSet selector. The field is immutable, so
// matching upstream lets an istioctl install be taken over in place.
func selector() map[string]string { return map[string]string{"k8s-app": DaemonSetName} }

// daemonSet runs the agent on every node. It is upstream's DaemonSet; the
// differences are the labels (see labels) and whatever limits
// Values.Resources adds (see DefaultResources). Its privileges are
// upstream's exactly: it needs host paths and capabilities that only Pod
// Security "privileged" admits, so its namespace must be privileged.
func (b builder) daemonSet() *appsv1.DaemonSet {
	maxUnavailable := intstr.FromInt32(1)
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: b.meta(DaemonSetName, b.v.Namespace, selector()),
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: selector()},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
				Type:          appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &maxUnavailable},
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					// Upstream's pod labels carry no istio.io/rev; the
					// standard labels replace Helm's as on every object.
					Labels: b.v.Meta.Labels(Name, objects.Merge(selector(), map[string]string{
						"sidecar.istio.io/inject": "false",
						"istio.io/dataplane-mode": "none",
					})),
					Annotations: map[string]string{
						"sidecar.istio.io/inject": "false",
						"prometheus.io/scrape":    "true",
						"prometheus.io/port":      "15014",
						"prometheus.io/path":      "/metrics",
					},
				},
				Spec: corev1.PodSpec{
					NodeSelector:       map[string]string{corev1.LabelOSStable: "linux"},
					Tolerations:        tolerations(),
					PriorityClassName:  "system-node-critical",
					ServiceAccountName: Name,
					// Time for the agent to remove the plugin from the
					// node's CNI configuration when it stops.
					TerminationGracePeriodSeconds: new(int64(30)),
					Containers:                    []corev1.Container{b.container()},
					Volumes:                       b.volumes(),
				},
			},
		},
	}
}

// tolerations let the agent run on every node, whatever its taints: a node
// without it cannot start injected pods.
func tolerations() []corev1.Toleration {
	return []corev1.Toleration{
		{Effect: corev1.TaintEffectNoSchedule, Operator: corev1.TolerationOpExists},
		{Key: "CriticalAddonsOnly", Operator: corev1.TolerationOpExists},
		{Effect: corev1.TaintEffectNoExecute, Operator: corev1.TolerationOpExists},
	}
}

func (b builder) container() corev1.Container {
	return corev1.Container{
		Name:    ContainerName,
		Image:   b.v.Image,
		Command: []string{"install-cni"},
		Args:    []string{"--log_output_level=" + logLevel},
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: ConfigMapName},
		}}},
		Env: env(),
		Ports: []corev1.ContainerPort{
			{Name: "metrics", ContainerPort: MetricsPort, Protocol: corev1.ProtocolTCP},
		},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
			HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromInt32(readinessPort)},
		}},
		Resources:       *b.v.Resources.DeepCopy(),
		SecurityContext: securityContext(),
		VolumeMounts:    b.volumeMounts(),
	}
}

// volumeMounts are upstream's; ambient mode adds the pods' network
// namespaces, which the agent enters to redirect their traffic, and
// ztunnel's socket directory.
func (b builder) volumeMounts() []corev1.VolumeMount {
	out := []corev1.VolumeMount{
		{Name: volumeBin, MountPath: "/host/opt/cni/bin"},
		{Name: volumeProc, MountPath: "/host/proc", ReadOnly: true},
		{Name: volumeNet, MountPath: "/host/etc/cni/net.d"},
		{Name: volumeSocket, MountPath: socketDir},
	}
	if b.v.Ambient {
		hostToContainer := corev1.MountPropagationHostToContainer
		out = append(out,
			corev1.VolumeMount{Name: volumeNetns, MountPath: "/host" + netnsDir, MountPropagation: &hostToContainer},
			corev1.VolumeMount{Name: volumeZtunnel, MountPath: ztunnelSocketDir})
	}
	return out
}

// podFieldEnv reads a pod field the way upstream writes it, without the
// fieldRef's apiVersion (the API server fills in v1).
func podFieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
}

// env is upstream's, in upstream's order. GOMEMLIMIT follows the memory
// limit, which is why DefaultResources sets one.
func env() []corev1.EnvVar {
	return []corev1.EnvVar{
		// The repair controller watches only its own node's pods.
		podFieldEnv("REPAIR_NODE_NAME", "spec.nodeName"),
		objects.Env("REPAIR_RUN_AS_DAEMON", "true"),
		objects.Env("REPAIR_SIDECAR_ANNOTATION", SidecarStatusAnnotation),
		// The agent runs in the pod network and enters the host's
		// network namespace when it must (hostNetwork is not set).
		objects.Env("ALLOW_SWITCH_TO_HOST_NS", "true"),
		objects.FieldEnv("NODE_NAME", "spec.nodeName"),
		objects.ResourceEnv("GOMEMLIMIT", "limits.memory"),
		objects.ResourceEnv("GOMAXPROCS", "limits.cpu"),
		podFieldEnv("POD_NAME", "metadata.name"),
		podFieldEnv("POD_NAMESPACE", "metadata.namespace"),
	}
}

// securityContext is upstream's: root, not privileged, with all
// capabilities dropped but those the agent needs. NET_ADMIN and NET_RAW
// program iptables and routes; SYS_PTRACE and SYS_ADMIN open pods' network
// namespaces under /host/proc to repair them; DAC_OVERRIDE writes into the
// host's CNI directories whoever owns them. allowPrivilegeEscalation,
// seccomp and a read-only root are left unset as upstream leaves them:
// Kubernetes rejects allowPrivilegeEscalation false next to SYS_ADMIN, and
// the others would change what the agent can do.
func securityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		Capabilities: &corev1.Capabilities{
			Add:  []corev1.Capability{"NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_ADMIN", "DAC_OVERRIDE"},
			Drop: []corev1.Capability{"ALL"},
		},
		Privileged:   new(false),
		RunAsUser:    new(int64(0)),
		RunAsGroup:   new(int64(0)),
		RunAsNonRoot: new(false),
		// Upstream's useAppArmorAnnotation: false: the agent runs
		// unconfined, set in the field Kubernetes 1.30 made GA, where
		// upstream's default annotation draws a deprecation warning on
		// every apply.
		AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined},
	}
}

// volumes are upstream's host paths, in upstream's order. cni-netns-dir
// is declared but, as upstream, mounted in ambient mode only.
func (b builder) volumes() []corev1.Volume {
	host := func(name, path string, typ *corev1.HostPathType) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: typ}}}
	}
	out := []corev1.Volume{
		host(volumeBin, cniBinDir, nil),
		host(volumeProc, "/proc", new(corev1.HostPathDirectory)),
	}
	if b.v.Ambient {
		out = append(out, host(volumeZtunnel, ztunnelSocketDir, new(corev1.HostPathDirectoryOrCreate)))
	}
	return append(out,
		host(volumeNet, cniConfDir, nil),
		host(volumeSocket, socketDir, nil),
		// DirectoryOrCreate: the runtime may create the directory only when
		// the node's first pod network starts, and the agent must not wait.
		host(volumeNetns, netnsDir, new(corev1.HostPathDirectoryOrCreate)),
	)
}
