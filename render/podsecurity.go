package render

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/internal/podsecurity"
)

// checkPodSecurity holds the output, overlays applied, to the Pod
// Security level the mesh gives each namespace: every namespace
// meshrender owns keeps its level (only spec.podSecurity changes it),
// and every pod template meets the level of its namespace, so that the
// API server admits the pods a render promises.
func (c *checked) checkPodSecurity(typed []built) error {
	t := c.topology
	var p problems
	for _, b := range typed {
		k := b.key()
		if k.Kind == "Namespace" && k.APIVersion == "v1" {
			if b.patched {
				p.checkNamespaceLevel(t, b)
			}
			continue
		}
		if !podsecurity.Runs(k.APIVersion, k.Kind) {
			continue
		}
		var tmpl *corev1.PodTemplateSpec
		if printed, ok := b.obj.(*objects.Printed); ok {
			var err error
			if tmpl, err = podsecurity.TemplateOf(k.APIVersion, k.Kind, printed.YAML); err != nil {
				return err
			}
		} else {
			tmpl = podsecurity.Template(b.obj)
		}
		level := t.level(k.Namespace)
		violations, err := podsecurity.Violations(string(level), &tmpl.ObjectMeta, &tmpl.Spec)
		if err != nil {
			return err
		}
		if len(violations) == 0 {
			continue
		}
		field := b.component.Field
		switch _, set := t.spec.PodSecurity[k.Namespace]; {
		case b.patched:
			field = "spec.overlays"
		case set:
			field = "spec.podSecurity[" + k.Namespace + "]"
		}
		p.add(field, "the pods of %s %s would not be admitted in namespace %s, Pod Security %s: %s", k.Kind, namespacedName(k.Namespace, k.Name), k.Namespace, level, strings.Join(violations, "; "))
	}
	return p.err()
}

// checkNamespaceLevel refuses a patched namespace of the mesh's whose Pod
// Security labels no longer say the level the mesh gives it.
func (p *problems) checkNamespaceLevel(t *topology, b built) {
	owned := t.Namespace(b.key().Name)
	if owned == nil {
		return // an application namespace: its level is its team's
	}
	var ns struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(b.obj.(*objects.Printed).YAML, &ns); err != nil {
		p.add("spec.overlays", "the patched Namespace %s cannot be read: %v", owned.Name, err)
		return
	}
	for _, label := range []string{podsecurity.LabelEnforce, podsecurity.LabelWarn, podsecurity.LabelAudit} {
		if got := ns.Metadata.Labels[label]; got != string(owned.PodSecurity) {
			p.add("spec.overlays", "the patched Namespace %s has %s=%q; its Pod Security level is %s, which spec.podSecurity[%s] changes, an overlay may not", owned.Name, label, got, owned.PodSecurity, owned.Name)
		}
	}
}

// level is the Pod Security level of a namespace: the mesh's for one it
// owns, privileged for kube-system (the cluster's, where istio-cni runs
// by default), restricted for any other.
func (t *topology) level(namespace string) v1alpha1.PodSecurity {
	if o := t.Namespace(namespace); o != nil {
		return o.PodSecurity
	}
	if namespace == v1alpha1.DefaultCNINamespace {
		return v1alpha1.PodSecurityPrivileged
	}
	return v1alpha1.PodSecurityRestricted
}
