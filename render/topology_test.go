package render

import (
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestGatewayInIstiodNamespaceRendersEachObjectOnce: the enterprise
// reference architecture runs the ingress gateway in istio-system. With
// network isolation, istiod and the gateway share that namespace's
// deny-by-default, which must be rendered once.
func TestGatewayInIstiodNamespaceRendersEachObjectOnce(t *testing.T) {
	m := Mesh{Spec: MeshSpec{
		Ingress:       Ingress{Namespace: DefaultIstiodNamespace},
		Egress:        Egress{Enabled: ptr(true), Namespace: "istio-egress"},
		NetworkPolicy: NetworkPolicy{Enabled: ptr(true)},
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

// TestTopologyIsDerivedOnce: the gateways the topology lists are those
// rendered, zonal copies, exposure classes and egress included, each with
// the control plane it follows (an exposure class the one spec.ingress
// follows).
func TestTopologyIsDerivedOnce(t *testing.T) {
	m := Mesh{Spec: MeshSpec{
		Zones:           []string{"a", "b"},
		ExposureClasses: []ExposureClass{{Name: "internet"}},
		Egress:          Egress{Enabled: ptr(true)},
		Revisions:       []Revision{{Name: "blue"}, {Name: "green"}},
		Tags:            map[string]string{DefaultTag: "blue"},
		Ingress:         Ingress{Revision: "green"},
	}}
	if err := m.Default(); err != nil {
		t.Fatal(err)
	}
	top := newTopology(&m)
	var got []string
	for _, g := range top.gateways {
		got = append(got, g.set+" "+g.namespace+" "+g.plane.revision)
	}
	want := []string{
		"ingress istio-ingress green", "ingress istio-ingress--a green", "ingress istio-ingress--b green",
		"internet istio-ingress-handler-internet green", "internet istio-ingress-handler-internet--a green", "internet istio-ingress-handler-internet--b green",
		"egress istio-system blue",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("gateways:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if top.defaultPlane.revision != "blue" || top.clusterWide.revision != "blue" {
		t.Errorf("default %q, cluster-wide %q; want blue", top.defaultPlane.revision, top.clusterWide.revision)
	}
	var owned []string
	for _, ns := range top.namespaces {
		owned = append(owned, ns.Name+"="+string(ns.PodSecurity))
	}
	if want := "istio-system=restricted istio-ingress=restricted istio-ingress--a=restricted istio-ingress--b=restricted istio-ingress-handler-internet=restricted istio-ingress-handler-internet--a=restricted istio-ingress-handler-internet--b=restricted"; strings.Join(owned, " ") != want {
		t.Errorf("owned namespaces %s", strings.Join(owned, " "))
	}
}
