// Package cni builds istio-cni: the node agent that installs Istio's CNI
// plugin on every node, so that injected pods get their traffic
// redirection from the node instead of from a privileged istio-init
// container, and that repairs pods whose redirection failed.
//
// The objects are those of upstream's istio-cni chart at Istio 1.30.3 for
// the configuration meshrender installs: sidecar mode, or ambient mode
// for a mesh with the ambient data plane, the repair controller on in its
// repairPods mode, the default (chained)
// provider rather than Multus, no ResourceQuota and no NetworkPolicy. They
// match istioctl's output field for field; the only differences, each
// documented where it is made, are meshrender's standard labels in place
// of Helm's bookkeeping labels, a memory limit the renderer may add
// (DefaultResources), and AppArmor set in the container's securityContext
// rather than by the annotation that draws a deprecation warning.
//
// Upstream's CNI objects are not per revision: one DaemonSet per cluster,
// with fixed names that the CNI plugin itself falls back on. They still
// carry the istio.io/rev label of the control plane they were installed
// with.
package cni

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Object names, fixed as upstream has them. The CNI plugin falls back on
// the DaemonSet's name in some failsafe paths, so it must not change.
const (
	// Name is the ServiceAccount, the ClusterRole and its binding, and
	// the value of the app label.
	Name = "istio-cni"
	// DaemonSetName is the node agent's DaemonSet.
	DaemonSetName = "istio-cni-node"
	// ConfigMapName holds the agent's settings, read as environment.
	ConfigMapName = "istio-cni-config"
	// RepairRoleName and RepairBindingName give the repair controller
	// what it needs cluster-wide.
	RepairRoleName    = "istio-cni-repair-role"
	RepairBindingName = "istio-cni-repair-rolebinding"
	// AmbientRoleName is the ClusterRole and binding of ambient mode.
	AmbientRoleName = "istio-cni-ambient"
	// ContainerName is the agent's only container.
	ContainerName = "install-cni"
)

// ImageName is the image the agent runs, by the name spec.registry.digests
// takes: hub/install-cni:tag.
const ImageName = "install-cni"

// DefaultNamespace is where upstream and meshrender install the agent.
const DefaultNamespace = "kube-system"

// Host directories. The CNI binary and configuration directories are the
// chart's defaults, right for most clusters' CNI; the others are Istio's
// own.
const (
	// cniBinDir is where the kubelet looks for CNI binaries (chart value
	// cniBinDir).
	cniBinDir = "/opt/cni/bin"
	// cniConfDir holds the primary CNI's network configuration, into
	// which the plugin is chained (chart value cniConfDir).
	cniConfDir = "/etc/cni/net.d"

	// socketDir holds the socket between the plugin, which the container
	// runtime runs, and the agent.
	socketDir = "/var/run/istio-cni"
	// netnsDir is the chart's cniNetnsDir, used only in ambient mode.
	netnsDir = "/var/run/netns"
	// ztunnelSocketDir is where the agent hands ambient pods' network
	// namespaces to ztunnel, in ambient mode.
	ztunnelSocketDir = "/var/run/ztunnel"
)

// The convention the agent and the sidecar injector share: with CNI on,
// the injector names its init container RepairInitContainerName and runs
// it with --run-validation, and marks every pod it injected with
// SidecarStatusAnnotation. The repair controller acts on pods that have
// both.
const (
	RepairInitContainerName = "istio-validation"
	SidecarStatusAnnotation = "sidecar.istio.io/status"
)

// Ports of the agent.
const (
	MetricsPort   = 15014
	readinessPort = 8000
)

// excludeNamespaces is the chart's excludeNamespaces: the plugin never
// redirects pods there. It stays kube-system wherever the agent runs, as
// upstream's default does.
const excludeNamespaces = "kube-system"

// logLevel is the chart's global.logging.level; install-cni takes a bare
// level, not istiod's scope:level.
const logLevel = "info"

// Values is everything istio-cni is built from.
type Values struct {
	// Meta gives every object meshrender's standard labels.
	Meta objects.Meta
	// Namespace is where the agent, its ServiceAccount and ConfigMap go,
	// and what the cluster bindings name: DefaultNamespace unless the
	// renderer decides otherwise. The package never renders the
	// namespace itself.
	Namespace string
	// Revision is the istio.io/rev label value of the control plane the
	// agent was installed with: its revision, or "default" for none. It
	// names no object.
	Revision string
	// Image is the full install-cni image reference, hub/install-cni:tag
	// or hub/install-cni@digest.
	Image string
	// PullSecrets are Secret names for pulling Image. As upstream, they
	// go on the ServiceAccount only, not the pod; the ServiceAccount
	// admission plugin adds them to the pods.
	PullSecrets []string
	// Tag is the release tag, without any variant suffix, that the agent
	// gets as CURRENT_AGENT_VERSION (upstream: tag or global.tag).
	Tag string
	// Resources are the agent container's requests and limits: upstream
	// requests 100m CPU and 100Mi; DefaultResources adds meshrender's
	// memory limit.
	Resources corev1.ResourceRequirements
	// Ambient runs the agent in ambient mode as well: it redirects the
	// traffic of pods the enablement selector picks to their node's
	// ztunnel, inside the pods' network namespaces.
	Ambient bool
}

// DefaultMemoryLimit is the memory limit DefaultResources sets.
const DefaultMemoryLimit = "1Gi"

// DefaultResources returns upstream's requests (100m CPU, 100Mi) plus a
// memory limit of DefaultMemoryLimit.
//
// Difference from upstream, which sets no limits: the agent reads its
// GOMEMLIMIT from limits.memory, which without a limit is the node's whole
// memory, so the Go runtime would never collect garbage early. With the
// limit it does, and a leak ends in a restart of one agent rather than in
// memory pressure on the node. 1Gi is about ten times the request, well above
// what the agent uses, and leaves the pod Burstable as upstream's is.
// There is no CPU limit: a throttled node agent delays every pod start on
// its node; GOMAXPROCS then follows the node's CPUs, as upstream.
func DefaultResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("100m"),
			corev1.ResourceMemory: resource.MustParse("100Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceMemory: resource.MustParse(DefaultMemoryLimit),
		},
	}
}

// Objects returns istio-cni's objects in upstream's manifest order: the
// ServiceAccount, the ClusterRoles (ambient mode's among them) and their
// bindings, the ConfigMap and the DaemonSet.
func Objects(v Values) []objects.Object {
	b := builder{v: v}
	out := []objects.Object{b.serviceAccount(), b.clusterRole(Name, agentRules())}
	if v.Ambient {
		out = append(out, b.clusterRole(AmbientRoleName, ambientRules()))
	}
	out = append(out,
		b.clusterRole(RepairRoleName, repairRules()),
		b.clusterRoleBinding(Name, Name, map[string]string{"app": Name}))
	if v.Ambient {
		// Upstream labels this binding as the repair one.
		out = append(out, b.clusterRoleBinding(AmbientRoleName, AmbientRoleName, map[string]string{"k8s-app": Name + "-repair"}))
	}
	return append(out,
		// Upstream labels this binding k8s-app: istio-cni-repair instead
		// of app: istio-cni.
		b.clusterRoleBinding(RepairBindingName, RepairRoleName, map[string]string{"k8s-app": Name + "-repair"}),
		b.configMap(),
		b.daemonSet(),
	)
}

// builder builds the objects of one Values.
type builder struct {
	v Values
}

// meta returns an object's metadata: the name, the namespace ("" for a
// cluster-scoped object), and meshrender's standard labels with
// app.kubernetes.io/name istio-cni, upstream's functional labels extra and
// istio.io/rev.
//
// Difference from upstream: upstream's app.kubernetes.io/managed-by (Helm),
// instance (the Helm release), version (the chart's 1.0.0) and part-of
// are meshrender's standard labels here, and Helm's bookkeeping labels
// (helm.sh/chart, release, install.operator.istio.io/owning-resource,
// operator.istio.io/component) are not rendered: nothing selects on them,
// and they would claim an owner that did not render the object.
func (b builder) meta(name, namespace string, extra map[string]string) metav1.ObjectMeta {
	return b.v.Meta.ObjectMeta(name, namespace, Name, objects.Merge(extra, map[string]string{objects.LabelRev: b.v.Revision}))
}

func (b builder) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:         metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:       b.meta(Name, b.v.Namespace, map[string]string{"app": Name}),
		ImagePullSecrets: objects.PullSecrets(b.v.PullSecrets),
	}
}

// agentRules let the agent and the plugin it configures look up pods,
// their namespaces and its node.
func agentRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "nodes", "namespaces"}, Verbs: []string{"get", "list", "watch"}},
	}
}

// ambientRules let the agent in ambient mode record on a pod's status
// that its traffic is redirected, and read its own DaemonSet, whose
// generation tells it whether it is being upgraded in place.
func ambientRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"patch", "update"}},
		{APIGroups: []string{"apps"}, Resources: []string{"daemonsets"}, ResourceNames: []string{DaemonSetName}, Verbs: []string{"get"}},
	}
}

// repairRules are the repair controller's in repairPods mode: it watches
// the pods on its node and records what it did as events. Repairing a pod
// in place (entering its network namespace through /host/proc) needs no
// further RBAC; upstream's deletePods and labelPods modes, which would, are
// not used.
func repairRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"watch", "get", "list"}},
	}
}

func (b builder) clusterRole(name string, rules []rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: b.meta(name, "", map[string]string{"app": Name}),
		Rules:      rules,
	}
}

func (b builder) clusterRoleBinding(name, role string, extra map[string]string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: b.meta(name, "", extra),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: Name, Namespace: b.v.Namespace}},
	}
}

// ambientEnablementSelector is the chart's ambient.enablementSelectors as
// Helm's toYaml prints it (keys sorted): pods labelled, or in a namespace
// labelled, istio.io/dataplane-mode=ambient, unless the pod opts out.
// Upstream renders it in sidecar mode too, and the agent reads it at
// start.
const ambientEnablementSelector = `- podSelector:
    matchLabels:
      istio.io/dataplane-mode: ambient
- namespaceSelector:
    matchLabels:
      istio.io/dataplane-mode: ambient
  podSelector:
    matchExpressions:
    - key: istio.io/dataplane-mode
      operator: NotIn
      values:
      - none`

// configMap holds the agent's settings; the container reads every key as
// an environment variable (install-cni binds its flags to them). Every key
// and value is upstream's with repair on, in sidecar or ambient mode.
func (b builder) configMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: b.meta(ConfigMapName, b.v.Namespace, map[string]string{"app": Name}),
		Data: map[string]string{
			"CURRENT_AGENT_VERSION":                  b.v.Tag,
			"AMBIENT_ENABLED":                        strconv.FormatBool(b.v.Ambient),
			"AMBIENT_ENABLEMENT_SELECTOR":            ambientEnablementSelector,
			"AMBIENT_DNS_CAPTURE":                    "true",
			"AMBIENT_IPV6":                           "true",
			"AMBIENT_RECONCILE_POD_RULES_ON_STARTUP": "true",
			"ENABLE_AMBIENT_DETECTION_RETRY":         "false",
			"ISTIO_OWNED_CNI_CONFIG":                 "false",
			// The plugin is inserted into the primary CNI's conflist.
			"CHAINED_CNI_PLUGIN":            "true",
			"EXCLUDE_NAMESPACES":            excludeNamespaces,
			"REPAIR_ENABLED":                "true",
			"REPAIR_LABEL_PODS":             "false",
			"REPAIR_DELETE_PODS":            "false",
			"REPAIR_REPAIR_PODS":            "true",
			"REPAIR_INIT_CONTAINER_NAME":    RepairInitContainerName,
			"REPAIR_BROKEN_POD_LABEL_KEY":   "cni.istio.io/uninitialized",
			"REPAIR_BROKEN_POD_LABEL_VALUE": "true",
			"NATIVE_NFTABLES":               "false",
		},
	}
}
