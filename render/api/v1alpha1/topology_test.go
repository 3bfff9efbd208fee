package v1alpha1

import (
	"strings"
	"testing"
)

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
	top := NewTopology(&m)
	var got []string
	for _, g := range top.Gateways {
		got = append(got, g.Set+" "+g.Namespace+" "+g.Plane.Revision)
	}
	want := []string{
		"ingress istio-ingress green", "ingress istio-ingress--a green", "ingress istio-ingress--b green",
		"internet istio-ingress-handler-internet green", "internet istio-ingress-handler-internet--a green", "internet istio-ingress-handler-internet--b green",
		"egress istio-system blue",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("gateways:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if top.DefaultPlane.Revision != "blue" || top.ClusterWide.Revision != "blue" {
		t.Errorf("default %q, cluster-wide %q; want blue", top.DefaultPlane.Revision, top.ClusterWide.Revision)
	}
	var owned []string
	for _, ns := range top.Namespaces {
		owned = append(owned, ns.Name+"="+string(ns.PodSecurity))
	}
	if want := "istio-system=restricted istio-ingress=restricted istio-ingress--a=restricted istio-ingress--b=restricted istio-ingress-handler-internet=restricted istio-ingress-handler-internet--a=restricted istio-ingress-handler-internet--b=restricted"; strings.Join(owned, " ") != want {
		t.Errorf("owned namespaces %s", strings.Join(owned, " "))
	}
}
