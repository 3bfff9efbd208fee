package injector

import (
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/istiod"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// upstreamNamespace is the namespace the chart leaves out of the webhook
// configuration's name.
const upstreamNamespace = "istio-system"

// Names of the injector's objects for a control plane: its istiod's
// names, and the injector's ConfigMaps and webhook configurations as the
// chart names them.
type Names struct{ istiod.Names }

// names are v's control plane's.
func names(v Values) Names {
	return Names{istiod.Names{Revision: v.Revision, NS: v.Namespace}}
}

// ConfigMap is ConfigMap istio-sidecar-injector[-<revision>], which istiod
// of that revision reads its templates from (istiod looks it up from its
// REVISION env, "default" meaning none).
func (n Names) ConfigMap() string { return "istio-sidecar-injector" + n.Suffix() }

// ValuesConfigMap is ConfigMap values[-<revision>].
func (n Names) ValuesConfigMap() string { return "values" + n.Suffix() }

// Webhook is the MutatingWebhookConfiguration: istio-sidecar-injector,
// -<revision> for a revision, and -<namespace> unless istiod runs in
// istio-system, so two control planes never share one.
func (n Names) Webhook() string { return n.webhookConfiguration("istio-sidecar-injector" + n.Suffix()) }

// TagWebhook is a revision tag's MutatingWebhookConfiguration:
// istio-revision-tag-<tag>, and -<namespace> unless istiod runs in
// istio-system.
func (n Names) TagWebhook(tag string) string {
	return n.webhookConfiguration("istio-revision-tag-" + tag)
}

// webhookConfiguration names a cluster-wide webhook configuration as the
// chart does: the namespace is left out for istio-system.
func (n Names) webhookConfiguration(base string) string {
	if n.NS != upstreamNamespace {
		return base + "-" + n.NS
	}
	return base
}

// Objects returns the sidecar injector's objects: the injection
// ConfigMap, the values ConfigMap and the webhook configuration. It
// panics if meshrender has no injection templates for v.Release.
func Objects(v Values) []objects.Object {
	m := forRelease(v.Release)
	c := builder{v: v, n: names(v)}
	// Both ConfigMaps hold the same values; decoding and printing the
	// chart's defaults once is enough.
	values := v.injectorValues()
	return []objects.Object{c.injectorConfigMap(m.config(), values), c.valuesConfigMap(values), c.webhook()}
}

type builder struct {
	v Values
	n Names
}

// meta is an object's metadata, namespace "" for a cluster-scoped one,
// with istiod's labels as istiod's mesh config ConfigMap has them; the
// chart's Helm and operator bookkeeping labels are left out.
func (c builder) meta(name, namespace string, extra map[string]string) metav1.ObjectMeta {
	return c.v.Meta.ObjectMeta(name, namespace, "istiod", objects.Merge(map[string]string{objects.LabelRev: c.n.RevLabel()}, extra))
}

// injectorConfigMap holds the injection config, with the templates, and
// the values they read, the injector values. istiod watches it and picks
// up changes without a restart.
func (c builder) injectorConfigMap(config, values string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: c.meta(c.n.ConfigMap(), c.v.Namespace, nil),
		Data: map[string]string{
			"config": config,
			"values": values,
		},
	}
}

// valuesDescription replaces the chart's annotation, which speaks of the
// Helm values used in chart rendering; meshrender renders no chart.
const valuesDescription = "This ConfigMap contains the Istio chart values the sidecar injector was rendered with: " +
	"original-values are the values meshrender sets, merged-values the chart's defaults with them applied, " +
	"the values key of ConfigMap istio-sidecar-injector. " +
	"This ConfigMap is rendered for debugging purposes and external tooling; modifying these values has no effect."

// valuesConfigMap is the chart's record of its values, which nothing in
// Istio reads. The chart's merged-values are all of the istiod chart's
// values and original-values those the user gave. meshrender renders no
// chart, so the only chart values that take effect are the injector's:
// merged-values are the injector's values, the same bytes as the values
// key of istio-sidecar-injector, and original-values the ones meshrender
// sets over the chart's defaults. Anything that compares the two sees
// what meshrender changed; nothing claims a chart value that has no
// effect.
func (c builder) valuesConfigMap(values string) *corev1.ConfigMap {
	meta := c.meta(c.n.ValuesConfigMap(), c.v.Namespace, nil)
	meta.Annotations = map[string]string{"kubernetes.io/description": valuesDescription}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
		Data: map[string]string{
			"original-values": c.v.overrides(),
			"merged-values":   values,
		},
	}
}

// webhook sends every new pod that asks for this revision to istiod's
// /inject. istiod patches its CA bundle into every webhook of a
// configuration labelled with its revision, so none is rendered. Failing
// closed is upstream's choice: a pod that asked for a sidecar is not
// started without one.
func (c builder) webhook() *admissionv1.MutatingWebhookConfiguration {
	return c.webhookConfiguration(c.n.Webhook(), c.n.RevLabel(), nil)
}

// TagWebhook is the webhook configuration of a revision tag, as
// istioctl tag set and the chart's revision-tags-mwc.yaml make it:
// istio-revision-tag-<tag>[-<namespace>], labelled with the tag and the
// revision it names, with the revision's webhooks for namespaces and pods
// labelled istio.io/rev=<tag>; the tag "default" also takes
// istio-injection=enabled and sidecar.istio.io/inject=true. istiod of the
// revision patches its CA bundle into it and learns its tags from it.
func TagWebhook(v Values, tag string) *admissionv1.MutatingWebhookConfiguration {
	c := builder{v: v, n: names(v)}
	return c.webhookConfiguration(c.n.TagWebhook(tag), tag, map[string]string{objects.LabelTag: tag})
}

// webhookConfiguration injects the pods labelled, or in namespaces
// labelled, istio.io/rev=<rev>, the revision or a tag of it. The default
// control plane and the tag "default" also answer the labels that name
// no revision.
func (c builder) webhookConfiguration(name, rev string, extraLabels map[string]string) *admissionv1.MutatingWebhookConfiguration {
	hooks := c.revisionHooks(rev)
	if rev == "default" {
		hooks = append(hooks, c.defaultHooks()...)
	}
	return &admissionv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: c.meta(name, "", objects.Merge(map[string]string{"app": "sidecar-injector"}, extraLabels)),
		Webhooks:   hooks,
	}
}

// revisionHooks inject pods in namespaces labelled istio.io/rev=<rev>,
// and pods so labelled in namespaces without either label.
func (c builder) revisionHooks(rev string) []admissionv1.MutatingWebhook {
	return []admissionv1.MutatingWebhook{
		// A namespace labelled with the revision, unless the pod opts out.
		c.hook("rev.namespace.",
			[]metav1.LabelSelectorRequirement{in(objects.LabelRev, rev), absent("istio-injection")},
			[]metav1.LabelSelectorRequirement{notIn("sidecar.istio.io/inject", "false")}),
		// A pod labelled with the revision in a namespace without either
		// label.
		c.hook("rev.object.",
			[]metav1.LabelSelectorRequirement{absent(objects.LabelRev), absent("istio-injection")},
			[]metav1.LabelSelectorRequirement{notIn("sidecar.istio.io/inject", "false"), in(objects.LabelRev, rev)}),
	}
}

// defaultHooks answer the labels that name no revision, for the default
// control plane.
func (c builder) defaultHooks() []admissionv1.MutatingWebhook {
	return []admissionv1.MutatingWebhook{
		c.hook("namespace.",
			[]metav1.LabelSelectorRequirement{in("istio-injection", "enabled")},
			[]metav1.LabelSelectorRequirement{notIn("sidecar.istio.io/inject", "false")}),
		c.hook("object.",
			[]metav1.LabelSelectorRequirement{absent("istio-injection"), absent(objects.LabelRev)},
			[]metav1.LabelSelectorRequirement{in("sidecar.istio.io/inject", "true"), absent(objects.LabelRev)}),
	}
}

// hook is the chart's "core" webhook with its selectors.
func (c builder) hook(prefix string, namespaces, pods []metav1.LabelSelectorRequirement) admissionv1.MutatingWebhook {
	fail := admissionv1.Fail
	none := admissionv1.SideEffectClassNone
	never := admissionv1.NeverReinvocationPolicy
	return admissionv1.MutatingWebhook{
		Name: prefix + "sidecar-injector.istio.io",
		ClientConfig: admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{
			Name: c.n.Istiod(), Namespace: c.v.Namespace, Path: new("/inject"), Port: new(int32(443)),
		}},
		Rules: []admissionv1.RuleWithOperations{{
			Operations: []admissionv1.OperationType{admissionv1.Create},
			Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
		}},
		FailurePolicy:           &fail,
		SideEffects:             &none,
		ReinvocationPolicy:      &never,
		AdmissionReviewVersions: []string{"v1"},
		NamespaceSelector:       &metav1.LabelSelector{MatchExpressions: namespaces},
		ObjectSelector:          &metav1.LabelSelector{MatchExpressions: pods},
	}
}

func in(key string, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpIn, Values: values}
}

func notIn(key string, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpNotIn, Values: values}
}

func absent(key string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpDoesNotExist}
}
