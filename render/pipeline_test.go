package render

import (
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestGatewayInIstiodNamespaceRendersEachObjectOnce: the enterprise
// reference architecture runs the ingress gateway in istio-system. With
// network isolation, istiod and the gateway share that namespace's
// deny-by-default, which must be rendered once.
func TestGatewayInIstiodNamespaceRendersEachObjectOnce(t *testing.T) {
	m := v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
		Ingress:       v1alpha1.Ingress{Namespace: v1alpha1.DefaultIstiodNamespace},
		Egress:        v1alpha1.Egress{Enabled: ptr(true), Namespace: "istio-egress"},
		NetworkPolicy: v1alpha1.NetworkPolicy{Enabled: ptr(true)},
	}}
	objs, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, o := range objs {
		count[o.Kind+" "+namespacedName(o.Namespace, o.Name)]++
	}
	for _, want := range []string{
		"NetworkPolicy istio-system/deny-by-default", "NetworkPolicy istio-system/istiod",
		"NetworkPolicy istio-system/istio-ingressgateway", "NetworkPolicy istio-egress/deny-by-default",
		"Namespace istio-system",
	} {
		if count[want] != 1 {
			t.Errorf("%s is rendered %d times, want once", want, count[want])
		}
	}
}

// TestTwoObjectsOfOneIdentityAreRefused: whatever renders an object twice,
// a planner or an overlay, the render fails naming it rather than leave
// one of them to a server-side apply.
func TestTwoObjectsOfOneIdentityAreRefused(t *testing.T) {
	policy := func() typedObject {
		return &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "deny-by-default"},
		}
	}
	first := &component{Name: "policies/a", Field: "spec.one"}
	second := &component{Name: "policies/b", Field: "spec.two"}
	typed := []built{newBuilt(policy(), first), newBuilt(policy(), second)}
	sortBuilt(typed)
	err := checkDuplicates(typed)
	if err == nil || !strings.Contains(err.Error(), "spec.one: NetworkPolicy a/deny-by-default is rendered twice, by policies/a and policies/b") {
		t.Errorf("got %v", err)
	}
	typed[1].patched = true
	if err := checkDuplicates(typed); err == nil || !strings.Contains(err.Error(), "an overlay renamed one onto another") {
		t.Errorf("after a patch, got %v", err)
	}
}
