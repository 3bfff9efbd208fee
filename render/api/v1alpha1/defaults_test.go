package v1alpha1

import (
	"fmt"
	"testing"

	"sigs.k8s.io/yaml"
)

func mustMeshConfig(t testing.TB, doc string) MeshConfig {
	t.Helper()
	var c MeshConfig
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProfileMergesUnderSpec(t *testing.T) {
	m := Mesh{Spec: MeshSpec{
		Profile:    ProfileSeed,
		Ingress:    Ingress{Zonal: new(false), Replicas: Replicas{Max: new(int32(7))}},
		MeshConfig: mustMeshConfig(t, `defaultServiceExportTo: ["*"]`),
	}}
	if err := m.Default(); err != nil {
		t.Fatal(err)
	}
	in := m.Spec.Ingress
	if *in.Zonal {
		t.Error("spec.ingress.zonal: false lost to the profile's true")
	}
	if *in.Replicas.Max != 7 || *in.Replicas.Min != 2 {
		t.Errorf("replicas = %d..%d, want the profile's min 2 and the spec's max 7", *in.Replicas.Min, *in.Replicas.Max)
	}
	got := m.Spec.MeshConfig.fields()
	if fmt.Sprint(got["defaultServiceExportTo"]) != "[*]" || fmt.Sprint(got["defaultVirtualServiceExportTo"]) != "[~]" {
		t.Errorf("mesh config = %v, want services from the spec and the rest from the profile", got)
	}
}
