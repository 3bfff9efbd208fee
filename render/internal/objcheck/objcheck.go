// Package objcheck holds the rules a rendered object must still follow
// after a user's patch: its metadata as Kubernetes validates it
// (apimachinery's own validation), and the structure each rendered kind
// needs for the API server to accept it and for its pods to start. The
// rest of Kubernetes' validation lives in k8s.io/kubernetes, which a
// renderer cannot import; these are the rules a patch most easily breaks.
package objcheck

import (
	"maps"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Object is a typed Kubernetes object.
type Object interface {
	metav1.Object
}

// Check returns every rule obj breaks, each message starting with the
// field it is about. namespaced says whether the kind lives in a
// namespace.
func Check(kind string, obj Object, namespaced bool) []string {
	errs := apivalidation.ValidateObjectMetaAccessor(obj, namespaced, nameRule(kind), field.NewPath("metadata"))
	errs = append(errs, structure(obj)...)
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

// nameRule is how Kubernetes checks names of a kind.
func nameRule(kind string) apivalidation.ValidateNameFunc {
	switch kind {
	case "Namespace":
		return apivalidation.ValidateNamespaceName
	case "Service":
		return apivalidation.NameIsDNS1035Label
	case "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
		return func(name string, prefix bool) []string { return content.IsPathSegmentName(name) }
	}
	return apivalidation.NameIsDNSSubdomain
}

// structure checks what a kind needs beyond its metadata.
func structure(obj Object) field.ErrorList {
	spec := field.NewPath("spec")
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return workload(o.Spec.Selector, o.Spec.Template, spec)
	case *appsv1.DaemonSet:
		return workload(o.Spec.Selector, o.Spec.Template, spec)
	case *corev1.Service:
		return service(&o.Spec, spec)
	case *corev1.ConfigMap:
		return configMap(o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		return autoscaler(&o.Spec, spec)
	case *policyv1.PodDisruptionBudget:
		if o.Spec.MinAvailable != nil && o.Spec.MaxUnavailable != nil {
			return field.ErrorList{field.Invalid(spec, "minAvailable and maxUnavailable", "only one of them may be set")}
		}
	case *rbacv1.ClusterRole:
		return rules(o.Rules, field.NewPath("rules"))
	case *rbacv1.Role:
		return rules(o.Rules, field.NewPath("rules"))
	case *rbacv1.ClusterRoleBinding:
		return binding(o.RoleRef, o.Subjects)
	case *rbacv1.RoleBinding:
		return binding(o.RoleRef, o.Subjects)
	case *admissionv1.ValidatingWebhookConfiguration:
		var errs field.ErrorList
		names := map[string]bool{}
		for i, w := range o.Webhooks {
			errs = append(errs, webhook(w.Name, w.ClientConfig, w.SideEffects, w.AdmissionReviewVersions, names, field.NewPath("webhooks").Index(i))...)
		}
		return errs
	case *admissionv1.MutatingWebhookConfiguration:
		var errs field.ErrorList
		names := map[string]bool{}
		for i, w := range o.Webhooks {
			errs = append(errs, webhook(w.Name, w.ClientConfig, w.SideEffects, w.AdmissionReviewVersions, names, field.NewPath("webhooks").Index(i))...)
		}
		return errs
	}
	return nil
}

// workload checks a Deployment's or DaemonSet's selector and pod template.
func workload(selector *metav1.LabelSelector, template corev1.PodTemplateSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if selector == nil || len(selector.MatchLabels)+len(selector.MatchExpressions) == 0 {
		errs = append(errs, field.Required(spec.Child("selector"), "a workload must select its pods"))
	} else if sel, err := metav1.LabelSelectorAsSelector(selector); err != nil {
		errs = append(errs, field.Invalid(spec.Child("selector"), selector, err.Error()))
	} else if !sel.Matches(labels.Set(template.Labels)) {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), template.Labels, "`selector` does not match template `labels`"))
	}
	return append(errs, podSpec(&template.Spec, spec.Child("template", "spec"))...)
}

func podSpec(s *corev1.PodSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(s.Containers) == 0 {
		errs = append(errs, field.Required(path.Child("containers"), "a pod needs at least one container"))
	}
	volumes := map[string]bool{}
	for i, v := range s.Volumes {
		p := path.Child("volumes").Index(i).Child("name")
		errs = append(errs, dnsLabel(v.Name, p)...)
		if volumes[v.Name] {
			errs = append(errs, field.Duplicate(p, v.Name))
		}
		volumes[v.Name] = true
	}
	names := map[string]bool{}
	check := func(list []corev1.Container, child string) {
		for i, c := range list {
			p := path.Child(child).Index(i)
			errs = append(errs, dnsLabel(c.Name, p.Child("name"))...)
			if names[c.Name] {
				errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
			}
			names[c.Name] = true
			if c.Image == "" {
				errs = append(errs, field.Required(p.Child("image"), ""))
			}
			for j, port := range c.Ports {
				for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
					errs = append(errs, field.Invalid(p.Child("ports").Index(j).Child("containerPort"), port.ContainerPort, msg))
				}
			}
			for j, m := range c.VolumeMounts {
				if !volumes[m.Name] {
					errs = append(errs, field.NotFound(p.Child("volumeMounts").Index(j).Child("name"), m.Name))
				}
			}
		}
	}
	check(s.InitContainers, "initContainers")
	check(s.Containers, "containers")
	return errs
}

func dnsLabel(name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func service(s *corev1.ServiceSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName:
	default:
		errs = append(errs, field.NotSupported(spec.Child("type"), s.Type, []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}))
	}
	if len(s.Ports) == 0 && s.Type != corev1.ServiceTypeExternalName && s.ClusterIP != corev1.ClusterIPNone {
		errs = append(errs, field.Required(spec.Child("ports"), "a Service needs at least one port"))
	}
	names := map[string]bool{}
	for i, p := range s.Ports {
		pp := spec.Child("ports").Index(i)
		if len(s.Ports) > 1 && p.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), "each port of a Service with several ports needs a name"))
		}
		if p.Name != "" && names[p.Name] {
			errs = append(errs, field.Duplicate(pp.Child("name"), p.Name))
		}
		names[p.Name] = true
		for _, msg := range validation.IsValidPortNum(int(p.Port)) {
			errs = append(errs, field.Invalid(pp.Child("port"), p.Port, msg))
		}
	}
	return errs
}

// maxConfigMapBytes is the most data a ConfigMap may hold.
const maxConfigMapBytes = 1 << 20

func configMap(c *corev1.ConfigMap) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for _, k := range slices.Sorted(maps.Keys(c.Data)) {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
		}
		if _, both := c.BinaryData[k]; both {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, "the key is in binaryData too"))
		}
		size += len(k) + len(c.Data[k])
	}
	for k, v := range c.BinaryData {
		size += len(k) + len(v)
	}
	if size > maxConfigMapBytes {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxConfigMapBytes))
	}
	return errs
}

func autoscaler(s *autoscalingv2.HorizontalPodAutoscalerSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.ScaleTargetRef.Kind == "" || s.ScaleTargetRef.Name == "" {
		errs = append(errs, field.Required(spec.Child("scaleTargetRef"), "kind and name of the workload to scale"))
	}
	lo := int32(1)
	if s.MinReplicas != nil {
		lo = *s.MinReplicas
	}
	if lo < 1 {
		errs = append(errs, field.Invalid(spec.Child("minReplicas"), lo, "must be at least 1"))
	}
	if s.MaxReplicas < lo {
		errs = append(errs, field.Invalid(spec.Child("maxReplicas"), s.MaxReplicas, "must be at least minReplicas"))
	}
	return errs
}

func rules(rs []rbacv1.PolicyRule, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rs {
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(p.Index(i).Child("verbs"), "a rule needs at least one verb"))
		}
	}
	return errs
}

func binding(ref rbacv1.RoleRef, subjects []rbacv1.Subject) field.ErrorList {
	var errs field.ErrorList
	if ref.Kind == "" || ref.Name == "" {
		errs = append(errs, field.Required(field.NewPath("roleRef"), "kind and name of the role"))
	}
	for i, s := range subjects {
		if s.Kind == "" || s.Name == "" {
			errs = append(errs, field.Required(field.NewPath("subjects").Index(i), "kind and name of the subject"))
		}
	}
	return errs
}

func webhook(name string, cc admissionv1.WebhookClientConfig, sideEffects *admissionv1.SideEffectClass, versions []string, seen map[string]bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(validation.IsDNS1123Subdomain(name)) > 0 || strings.Count(name, ".") < 2 {
		errs = append(errs, field.Invalid(p.Child("name"), name, "must be a fully qualified name with at least three segments"))
	}
	if seen[name] {
		errs = append(errs, field.Duplicate(p.Child("name"), name))
	}
	seen[name] = true
	if (cc.URL == nil) == (cc.Service == nil) {
		errs = append(errs, field.Required(p.Child("clientConfig"), "exactly one of url and service"))
	}
	if sideEffects == nil {
		errs = append(errs, field.Required(p.Child("sideEffects"), ""))
	}
	if len(versions) == 0 {
		errs = append(errs, field.Required(p.Child("admissionReviewVersions"), ""))
	}
	return errs
}
