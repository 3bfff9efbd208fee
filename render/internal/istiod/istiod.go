// Package istiod builds the Istio control plane: istiod's workload, RBAC,
// mesh config, validating webhook and the mesh-wide mTLS policy.
package istiod

import (
	"fmt"

	securityapi "istio.io/api/security/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Values is everything the control plane is built from.
type Values struct {
	Meta objects.Meta
	// Namespace is istiod's namespace and the mesh's root namespace.
	Namespace string
	// Revision is empty for the default control plane.
	Revision string
	// ClusterID is the cluster's name in the mesh.
	ClusterID string
	objects.Workload
	// Zones istiod spreads over; fewer than two means hosts only.
	Zones []string
	// MeshConfig is the mesh config document for ConfigMap istio.
	MeshConfig string
	// MTLSMode is the mode of the mesh-wide PeerAuthentication.
	MTLSMode string
	// Injection runs istiod's sidecar injector; the renderer adds the
	// injector's ConfigMaps and webhook.
	Injection bool
	// Env are the chart's pilot.env settings, such as those of a
	// compatibility-version profile, set where the chart sets them:
	// sorted by name after CA_TRUSTED_NODE_ACCOUNTS.
	Env map[string]string
	// TrustedNodeAccount is the namespace/name of the ServiceAccount whose
	// tokens may ask istiod's CA for certificates of other pods on their
	// node: ztunnel's (CA_TRUSTED_NODE_ACCOUNTS). Empty, upstream's
	// <Namespace>/ztunnel.
	TrustedNodeAccount string
	// PluggedCA makes cacerts required: istiod waits for the CA it is
	// given rather than starting with a root of its own.
	PluggedCA bool
	// ReaderToken adds a token Secret of the reader ServiceAccount, which
	// other clusters' istiods read this cluster with.
	ReaderToken bool
}

// Names derives every control plane name from a revision.
type Names struct {
	Revision string
	NS       string
}

// Suffix is "-<revision>", or nothing for the default control plane,
// as every revisioned name ends.
func (n Names) Suffix() string {
	if n.Revision == "" {
		return ""
	}
	return "-" + n.Revision
}

// Istiod is the name of the Deployment, Service, ServiceAccount and Role.
func (n Names) Istiod() string { return "istiod" + n.Suffix() }

// MeshConfigMap is the ConfigMap holding the mesh config.
func (n Names) MeshConfigMap() string { return "istio" + n.Suffix() }

// RevLabel is the istio.io/rev value: the revision or "default".
func (n Names) RevLabel() string {
	if n.Revision == "" {
		return "default"
	}
	return n.Revision
}

// ClusterScoped names cluster-wide objects: base, revision and namespace,
// so two control planes never share one.
func (n Names) ClusterScoped(base string) string { return base + n.Suffix() + "-" + n.NS }

// DiscoveryAddress is where proxies find istiod.
func (n Names) DiscoveryAddress() string {
	return fmt.Sprintf("%s.%s.svc:15012", n.Istiod(), n.NS)
}

// Shared returns what every control plane of the mesh shares, once: the
// reader service account the reader cluster roles bind (and its token
// Secret when other clusters read this one), and the mesh-wide mTLS
// policy in the root namespace. Only the Meta, Namespace, PullSecrets,
// MTLSMode and ReaderToken of v are read.
func Shared(v Values) []objects.Object {
	c := builder{v: v, n: Names{NS: v.Namespace}}
	out := []objects.Object{c.serviceAccount(ReaderServiceAccount, "istio-reader", map[string]string{"app": "istio-reader"})}
	if v.ReaderToken {
		out = append(out, c.readerToken())
	}
	return append(out, c.peerAuthentication())
}

// ReaderServiceAccount is the ServiceAccount other clusters' istiods read
// this cluster as, bound to the reader cluster role.
const ReaderServiceAccount = "istio-reader-service-account"

// ReaderTokenSecret is the reader's token Secret.
const ReaderTokenSecret = ReaderServiceAccount + "-token"

// readerToken is a token Secret of the reader ServiceAccount, which
// kube-controller-manager's token controller fills in with a token (and
// the cluster's CA) that never expires but goes with the Secret.
func (c builder) readerToken() *corev1.Secret {
	meta := c.meta(ReaderTokenSecret, "istio-reader", map[string]string{"app": "istio-reader"})
	meta.Annotations = objects.Merge(meta.Annotations, map[string]string{corev1.ServiceAccountNameKey: ReaderServiceAccount})
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: meta,
		Type:       corev1.SecretTypeServiceAccountToken,
	}
}

// Objects returns one control plane's objects.
func Objects(v Values) []objects.Object {
	n := Names{Revision: v.Revision, NS: v.Namespace}
	c := builder{v: v, n: n}
	objs := []objects.Object{
		c.serviceAccount(n.Istiod(), "istiod", c.istiodLabels()),
		c.clusterRole(n.ClusterScoped("istiod-clusterrole"), "istiod", istiodClusterRules()),
		c.clusterRole(n.ClusterScoped("istiod-gateway-controller"), "istiod", gatewayControllerRules()),
		c.clusterRole(n.ClusterScoped("istio-reader-clusterrole"), "istio-reader", readerClusterRules()),
		c.clusterRoleBinding(n.ClusterScoped("istiod-clusterrole"), "istiod", n.Istiod()),
		c.clusterRoleBinding(n.ClusterScoped("istiod-gateway-controller"), "istiod", n.Istiod()),
		c.clusterRoleBinding(n.ClusterScoped("istio-reader-clusterrole"), "istio-reader", ReaderServiceAccount),
		c.role(),
		c.roleBinding(),
		c.meshConfigMap(),
		c.service(),
		c.deployment(),
		c.autoscaler(),
		c.validatingWebhook(),
	}
	if pdb := objects.DisruptionBudget(c.meta(n.Istiod(), "istiod", c.istiodLabels()), c.selector(), v.MinReplicas); pdb != nil {
		objs = append(objs, pdb)
	}
	return objs
}

type builder struct {
	v Values
	n Names
}

func (c builder) meta(name, app string, extra map[string]string) metav1.ObjectMeta {
	return c.v.Meta.ObjectMeta(name, c.v.Namespace, app, extra)
}

func (c builder) clusterMeta(name, app string, extra map[string]string) metav1.ObjectMeta {
	return c.v.Meta.ObjectMeta(name, "", app, extra)
}

// istiodLabels identify istiod's objects as upstream labels them.
func (c builder) istiodLabels() map[string]string {
	return map[string]string{"app": "istiod", "istio": c.istioLabel(), objects.LabelRev: c.n.RevLabel()}
}

// istioLabel is upstream's istio= value: pilot for the default control
// plane, istiod for a revision.
func (c builder) istioLabel() string {
	if c.v.Revision == "" {
		return "pilot"
	}
	return "istiod"
}

// deploymentSelector is upstream's Deployment selector. The field is
// immutable, so matching upstream lets an existing istioctl install be
// taken over in place.
func (c builder) deploymentSelector() map[string]string {
	if c.v.Revision == "" {
		return map[string]string{"istio": "pilot"}
	}
	return c.selector()
}

// selector picks istiod's pods for its Service and disruption budget; a
// revision selects by istio.io/rev so two control planes never share
// endpoints.
func (c builder) selector() map[string]string {
	if c.v.Revision == "" {
		return map[string]string{"app": "istiod", "istio": "pilot"}
	}
	return map[string]string{"app": "istiod", objects.LabelRev: c.v.Revision}
}

func (c builder) serviceAccount(name, app string, extra map[string]string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:         metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:       c.meta(name, app, extra),
		ImagePullSecrets: objects.PullSecrets(c.v.PullSecrets),
	}
}

func (c builder) clusterRole(name, app string, rules []rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: c.clusterMeta(name, app, map[string]string{"app": app}),
		Rules:      rules,
	}
}

func (c builder) clusterRoleBinding(name, app, serviceAccount string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: c.clusterMeta(name, app, map[string]string{"app": app}),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: serviceAccount, Namespace: c.v.Namespace}},
	}
}

func (c builder) role() *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: c.meta(c.n.Istiod(), "istiod", map[string]string{"app": "istiod"}),
		Rules:      istiodNamespaceRules(),
	}
}

func (c builder) roleBinding() *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: c.meta(c.n.Istiod(), "istiod", map[string]string{"app": "istiod"}),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: c.n.Istiod()},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: c.n.Istiod(), Namespace: c.v.Namespace}},
	}
}

func (c builder) meshConfigMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: c.meta(c.n.MeshConfigMap(), "istiod", map[string]string{objects.LabelRev: c.n.RevLabel()}),
		Data: map[string]string{
			"mesh":         c.v.MeshConfig,
			"meshNetworks": "networks: {}",
		},
	}
}

func (c builder) service() *corev1.Service {
	tcp := corev1.ProtocolTCP
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: c.meta(c.n.Istiod(), "istiod", c.istiodLabels()),
		Spec: corev1.ServiceSpec{
			Ports: []corev1.ServicePort{
				{Name: "grpc-xds", Port: 15010, Protocol: tcp, TargetPort: objects.IntStr(15010)},
				{Name: "https-dns", Port: 15012, Protocol: tcp, TargetPort: objects.IntStr(15012)},
				{Name: "https-webhook", Port: 443, Protocol: tcp, TargetPort: objects.IntStr(15017)},
				{Name: "http-monitoring", Port: 15014, Protocol: tcp, TargetPort: objects.IntStr(15014)},
			},
			Selector: c.selector(),
		},
	}
}

func (c builder) autoscaler() *autoscalingv2.HorizontalPodAutoscaler {
	return objects.CPUAutoscaler(c.meta(c.n.Istiod(), "istiod", c.istiodLabels()), c.v.Workload)
}

// validatingWebhook validates Istio resources. It starts failing open
// (Ignore): istiod patches in its CA bundle and flips the policy to Fail
// once its endpoint answers, so the first install never blocks on a
// webhook that is not running yet.
func (c builder) validatingWebhook() *admissionv1.ValidatingWebhookConfiguration {
	return c.validator(c.n.ClusterScoped("istio-validator"), c.n.RevLabel(), nil)
}

// validator validates the Istio resources labelled istio.io/rev=<rev>,
// the revision or a tag of it. The default control plane and the tag
// "default" also validate the unlabelled ones: upstream leaves those to
// a separate "default validator" that istioctl creates at install time;
// meshrender writes it into the manifest so that every Istio resource is
// validated by the default control plane.
func (c builder) validator(name, rev string, extraLabels map[string]string) *admissionv1.ValidatingWebhookConfiguration {
	hooks := []admissionv1.ValidatingWebhook{c.labelledHook(rev)}
	if rev == "default" {
		hooks = append(hooks, c.unlabelledHook())
	}
	return &admissionv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: c.clusterMeta(name, "istiod", objects.Merge(c.validatorLabels(), extraLabels)),
		Webhooks:   hooks,
	}
}

// validatorLabels label a validating webhook with the revision whose
// istiod patches it.
func (c builder) validatorLabels() map[string]string {
	return map[string]string{"app": "istiod", "istio": "istiod", objects.LabelRev: c.n.RevLabel()}
}

// labelledHook validates the Istio resources labelled istio.io/rev=<rev>.
func (c builder) labelledHook(rev string) admissionv1.ValidatingWebhook {
	return c.validationHook("rev.validation.istio.io", metav1.LabelSelectorRequirement{Key: objects.LabelRev, Operator: metav1.LabelSelectorOpIn, Values: []string{rev}})
}

// unlabelledHook validates the Istio resources without an istio.io/rev
// label, for the default control plane.
func (c builder) unlabelledHook() admissionv1.ValidatingWebhook {
	return c.validationHook("validation.istio.io", metav1.LabelSelectorRequirement{Key: objects.LabelRev, Operator: metav1.LabelSelectorOpDoesNotExist})
}

// validationHook sends Istio resources the selector matches to istiod's
// /validate.
func (c builder) validationHook(name string, sel metav1.LabelSelectorRequirement) admissionv1.ValidatingWebhook {
	ignore := admissionv1.Ignore
	none := admissionv1.SideEffectClassNone
	return admissionv1.ValidatingWebhook{
		Name: name,
		ClientConfig: admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{
			Name: c.n.Istiod(), Namespace: c.v.Namespace, Path: new("/validate"), Port: new(int32(443)),
		}},
		Rules: []admissionv1.RuleWithOperations{{
			Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
			Rule: admissionv1.Rule{
				APIGroups:   []string{"security.istio.io", "networking.istio.io", "telemetry.istio.io", "extensions.istio.io"},
				APIVersions: []string{"*"}, Resources: []string{"*"},
			},
		}},
		FailurePolicy:           &ignore,
		SideEffects:             &none,
		AdmissionReviewVersions: []string{"v1"},
		ObjectSelector:          &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{sel}},
	}
}

// TagValidator validates the Istio resources labelled with a revision
// tag, istio.io/rev=<tag>, with the revision the tag names; the tag
// "default" also validates the ones without an istio.io/rev label, as the
// base chart's istiod-default-validator does. Its name holds the tag and
// the revision, so moving a tag replaces it rather than changes it: a
// webhook configuration is created once and then left to istiod, which
// patches in its CA bundle and fails it closed, and a GitOps tool that
// leaves it alone after creating it (Flux's ssa: IfNotPresent) still gets
// every move right.
func TagValidator(v Values, tag string) *admissionv1.ValidatingWebhookConfiguration {
	c := builder{v: v, n: Names{Revision: v.Revision, NS: v.Namespace}}
	return c.validator(c.n.ClusterScoped("istio-validator-tag-"+tag), tag, map[string]string{objects.LabelTag: tag})
}

// TagService is the Service istioctl tag set makes for a tag:
// istiod-revision-tag-<tag>, in front of the revision's istiod, which
// istioctl tag list and proxies pointed at a tag use.
func TagService(v Values, tag string) *corev1.Service {
	c := builder{v: v, n: Names{Revision: v.Revision, NS: v.Namespace}}
	svc := c.service()
	svc.ObjectMeta = c.meta("istiod-revision-tag-"+tag, "istiod", objects.Merge(c.istiodLabels(), map[string]string{objects.LabelTag: tag}))
	return svc
}

// peerAuthentication is the mesh-wide mTLS policy in the root namespace.
func (c builder) peerAuthentication() *securityv1.PeerAuthentication {
	mode := securityapi.PeerAuthentication_MutualTLS_Mode(securityapi.PeerAuthentication_MutualTLS_Mode_value[c.v.MTLSMode])
	return &securityv1.PeerAuthentication{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "PeerAuthentication"},
		ObjectMeta: c.meta("default", "istiod", nil),
		Spec:       securityapi.PeerAuthentication{Mtls: &securityapi.PeerAuthentication_MutualTLS{Mode: mode}},
	}
}
