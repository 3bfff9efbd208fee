package objects

import (
	"slices"
	"testing"
)

func TestInstallOrder(t *testing.T) {
	keys := []Key{
		{"networking.istio.io/v1", "VirtualService", "app", "web"},
		{"security.istio.io/v1", "AuthorizationPolicy", "istio-ingress", "require-jwt"},
		{"security.istio.io/v1", "PeerAuthentication", "istio-system", "default"},
		{"cert-manager.io/v1", "Certificate", "istio-ingress", "web"},
		{"cert-manager.io/v1", "Issuer", "istio-ingress", "vault"},
		{"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", "istio-validator-istio-system"},
		{"policy/v1", "PodDisruptionBudget", "istio-system", "istiod"},
		{"autoscaling/v2", "HorizontalPodAutoscaler", "istio-system", "istiod"},
		{"apps/v1", "Deployment", "istio-system", "istiod"},
		{"apps/v1", "Deployment", "istio-ingress", "istio-ingressgateway"},
		{"v1", "Service", "istio-system", "istiod"},
		{"networking.k8s.io/v1", "NetworkPolicy", "istio-system", "istiod"},
		{"v1", "ConfigMap", "istio-system", "istio"},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", "istio-system", "istiod"},
		{"rbac.authorization.k8s.io/v1", "Role", "istio-system", "istiod"},
		{"v1", "ServiceAccount", "istio-system", "istiod"},
		{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "istiod"},
		{"rbac.authorization.k8s.io/v1", "ClusterRole", "", "istiod"},
		{"v1", "Namespace", "", "istio-system"},
		{"apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "gateways.networking.istio.io"},
		{"example.com/v1", "Widget", "a", "b"},
	}
	got := slices.Clone(keys)
	slices.SortFunc(got, Compare)
	wantKinds := []string{"CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "Role", "RoleBinding",
		"ConfigMap", "NetworkPolicy", "Service", "Deployment", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ValidatingWebhookConfiguration",
		"Issuer", "Certificate", "PeerAuthentication", "AuthorizationPolicy", "VirtualService", "Widget"}
	for i, k := range got {
		if k.Kind != wantKinds[i] {
			t.Fatalf("position %d: %s, want %s (order %v)", i, k.Kind, wantKinds[i], got)
		}
	}
	// Ties break by namespace: istio-ingress before istio-system.
	if got[10].Namespace != "istio-ingress" {
		t.Errorf("Deployments not ordered by namespace: %v", got[10:12])
	}
}

func TestKindsAreToldApartByGroup(t *testing.T) {
	// An Istio kind that shares a name with a built-in kind ranks as the
	// Istio kind, after the webhooks.
	webhooks, _ := Rank("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")
	if r, ok := Rank("networking.istio.io/v1", "Gateway"); !ok || r <= webhooks {
		t.Errorf("Istio Gateway ranks %d (known %v), webhooks %d", r, ok, webhooks)
	}
	if _, ok := Rank("example.istio.io/v1", "Service"); ok {
		t.Error("a Service of another group has the rank of a core Service")
	}
	if _, ok := Rank("v1", "Widget"); ok {
		t.Error("an unknown kind has a rank")
	}
}

func TestEveryRankedKindIsListedOnce(t *testing.T) {
	seen := map[GroupKind]bool{}
	for _, kinds := range installOrder {
		for _, gk := range kinds {
			if seen[gk] {
				t.Errorf("%v is listed twice", gk)
			}
			seen[gk] = true
		}
	}
}
