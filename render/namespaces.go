package render

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// namespaceLabels enforce Pod Security "restricted" (warn and audit too,
// so a patched pod template that breaks it is reported on apply) and keep
// sidecar injection off.
var namespaceLabels = map[string]string{
	"pod-security.kubernetes.io/enforce": "restricted",
	"pod-security.kubernetes.io/warn":    "restricted",
	"pod-security.kubernetes.io/audit":   "restricted",
	"istio-injection":                    "disabled",
}

// namespace returns a Namespace with the standard and Pod Security labels
// plus extra.
func namespace(meta objects.Meta, name string, extra map[string]string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: meta.Labels("", objects.Merge(namespaceLabels, extra))},
	}
}
