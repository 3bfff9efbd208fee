package objects

import (
	"slices"
	"testing"
)

func TestInstallOrder(t *testing.T) {
	keys := []Key{
		{"security.istio.io/v1", "PeerAuthentication", "istio-system", "default"},
		{"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", "istio-validator-istio-system"},
		{"policy/v1", "PodDisruptionBudget", "istio-system", "istiod"},
		{"autoscaling/v2", "HorizontalPodAutoscaler", "istio-system", "istiod"},
		{"apps/v1", "Deployment", "istio-system", "istiod"},
		{"apps/v1", "Deployment", "istio-ingress", "istio-ingressgateway"},
		{"v1", "Service", "istio-system", "istiod"},
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
		"ConfigMap", "Service", "Deployment", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ValidatingWebhookConfiguration",
		"PeerAuthentication", "Widget"}
	for i, k := range got {
		if k.Kind != wantKinds[i] {
			t.Fatalf("position %d: %s, want %s (order %v)", i, k.Kind, wantKinds[i], got)
		}
	}
	// Ties break by namespace: istio-ingress before istio-system.
	if got[9].Namespace != "istio-ingress" {
		t.Errorf("Deployments not ordered by namespace: %v", got[9:11])
	}
}

func TestIstioKindsOfBuiltInNamesRankAsIstio(t *testing.T) {
	// An Istio kind that shares a name with a built-in kind still goes
	// after the webhooks.
	if Rank("networking.istio.io/v1", "Gateway") != rankIstio || Rank("example.istio.io/v1", "Service") != rankIstio {
		t.Error("Istio resources must rank after webhooks")
	}
}
