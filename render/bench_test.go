package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// gatewayMesh has zones*(classes+1) zonal gateways plus classes+1
// all-zone ones. The process benchmarks of plugin/cmd/meshrender render the
// same meshes from YAML.
func gatewayMesh(zones, classes int) v1alpha1.Mesh {
	m := v1alpha1.Mesh{Metadata: v1alpha1.ObjectMeta{Name: "bench"}, Spec: v1alpha1.MeshSpec{Profile: v1alpha1.ProfileSeed}}
	for z := range zones {
		m.Spec.Zones = append(m.Spec.Zones, fmt.Sprintf("zone-%d", z))
	}
	for c := range classes {
		m.Spec.ExposureClasses = append(m.Spec.ExposureClasses, v1alpha1.ExposureClass{Name: fmt.Sprintf("class-%d", c)})
	}
	return m
}

func benchmarkYAML(b *testing.B, m v1alpha1.Mesh) {
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := renderYAML(m)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes/render")
}

// BenchmarkRenderDefault renders the default mesh: 15 CRDs, istiod with
// its sidecar injector and one ingress gateway.
func BenchmarkRenderDefault(b *testing.B) { benchmarkYAML(b, v1alpha1.Mesh{}) }

// BenchmarkRenderDefault130 renders the default mesh on Istio 1.30.8, the
// newest release of the older minor, to compare with
// BenchmarkRenderDefault: every minor release renders as fast.
func BenchmarkRenderDefault130(b *testing.B) {
	benchmarkYAML(b, v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Version: "1.30.8"}})
}

// BenchmarkRenderReference renders the reference profile: a revisioned
// istiod with its injector, istio-cni, and ingress and egress gateways.
func BenchmarkRenderReference(b *testing.B) {
	benchmarkYAML(b, v1alpha1.Mesh{Metadata: v1alpha1.ObjectMeta{Name: "bench"}, Spec: v1alpha1.MeshSpec{Profile: v1alpha1.ProfileReference}})
}

// BenchmarkRender12Gateways is 3 zones x 2 exposure classes: three
// all-zone gateways and nine zonal ones.
func BenchmarkRender12Gateways(b *testing.B) { benchmarkYAML(b, gatewayMesh(3, 2)) }

// BenchmarkRender100Gateways is 9 zones x 9 exposure classes: ten
// all-zone gateways (default and one per class) and 90 zonal ones.
func BenchmarkRender100Gateways(b *testing.B) { benchmarkYAML(b, gatewayMesh(9, 9)) }

// BenchmarkRender1111Gateways is 100 zones x 10 classes: 11 all-zone
// gateways and 1,100 zonal ones.
func BenchmarkRender1111Gateways(b *testing.B) { benchmarkYAML(b, gatewayMesh(100, 10)) }

// TestCostGrowsLinearly checks that rendering cost per gateway does not
// grow with the number of gateways. It counts allocations, which unlike
// time do not depend on the machine: past what a mesh costs without
// gateways, 1,111 gateways must not cost more per gateway than 100 do
// (plus a small margin), or something in the renderer allocates more the
// more gateways there are. (Work that is quadratic without allocating
// would not show here; the benchmarks would show it.)
func TestCostGrowsLinearly(t *testing.T) {
	allocs := func(m v1alpha1.Mesh) float64 {
		return testing.AllocsPerRun(2, func() {
			if _, err := Render(m); err != nil {
				t.Fatal(err)
			}
		})
	}
	base := allocs(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Profile: v1alpha1.ProfileMinimal}})
	perGateway := func(zones, classes int) float64 {
		gateways := float64((zones + 1) * (classes + 1))
		return (allocs(gatewayMesh(zones, classes)) - base) / gateways
	}
	small, large := perGateway(9, 9), perGateway(100, 10)
	t.Logf("allocations per gateway: %.0f at 100 gateways, %.0f at 1,111", small, large)
	if large > small*1.1 {
		t.Errorf("allocations per gateway grow from %.0f (100 gateways) to %.0f (1,111 gateways)", small, large)
	}
}

// BenchmarkRenderObjects100Gateways returns the objects of 100 gateways
// with Render, the path of render -o, gitops and the KRM function.
func BenchmarkRenderObjects100Gateways(b *testing.B) {
	b.ReportAllocs()
	m := gatewayMesh(9, 9)
	for b.Loop() {
		if _, err := Render(m); err != nil {
			b.Fatal(err)
		}
	}
}

// applicationsYAML is a mesh of 3 zones and two exposure classes, with
// JWT at the default ingress and certificates from Vault, and apps
// Applications spread over namespaces application namespaces, as YAML:
// each with two hosts and a route or two; a third on the default ingress
// with claims, a third on class-0 with MUTUAL TLS, the rest on class-1,
// every other one with its certificate from the issuer. The process
// benchmarks of plugin/cmd/meshrender render the same files.
func applicationsYAML(apps, namespaces int) (mesh string, applications string) {
	var b strings.Builder
	b.WriteString(`apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata:
  name: bench
spec:
  profile: seed
  zones: [zone-0, zone-1, zone-2]
  exposureClasses: [{name: class-0}, {name: class-1}]
  injection: {enabled: true}
  ingress:
    jwt:
      rules:
      - issuer: https://id.example.com
        jwksUri: https://id.example.com/jwks
        forwardOriginalToken: true
  certificates:
    issuer:
      vault: {server: https://vault.example.com, path: pki/sign/apps, role: issuer}
  namespaces:
`)
	for n := range namespaces {
		fmt.Fprintf(&b, "  - {name: team-%d, istioInjection: true}\n", n)
	}
	mesh = b.String()
	b.Reset()
	for i := range apps {
		ns := fmt.Sprintf("team-%d", i%namespaces)
		fmt.Fprintf(&b, "---\napiVersion: meshrender.dev/v1alpha1\nkind: Application\nmetadata: {name: app-%d, namespace: %s}\nspec:\n  ingress:\n", i, ns)
		fmt.Fprintf(&b, "    hosts: [app-%d.example.com, www.app-%d.example.com]\n", i, i)
		switch i % 3 {
		case 0:
			b.WriteString("    claims: {groups: [users]}\n")
		case 1:
			fmt.Fprintf(&b, "    exposure: class-0\n    tls: {mode: MUTUAL, clientCA: {secretName: app-%d-ca}}\n", i)
		default:
			b.WriteString("    exposure: class-1\n")
		}
		if i%2 == 1 && i%3 != 1 {
			fmt.Fprintf(&b, "    tls: {secretName: app-%d-tls}\n", i)
		}
		b.WriteString("    routes:\n")
		if i%2 == 0 {
			b.WriteString("    - match: {pathPrefix: /api}\n      destination: {service: api, port: 8080}\n      timeout: 5s\n")
		}
		b.WriteString("    - destination: {service: web, port: 80, targetPort: 8080}\n")
		if i%4 == 0 {
			b.WriteString("  mesh:\n    connectionPool: {maxConnections: 100}\n    allowedNamespaces: [team-0]\n")
		}
	}
	return mesh, b.String()
}

// BenchmarkRender500Applications renders 500 applications in 50
// namespaces over a 3-zone mesh with two exposure classes (twelve
// gateways), from the decoded mesh and applications.
func BenchmarkRender500Applications(b *testing.B) {
	meshYAML, appsYAML := applicationsYAML(500, 50)
	m, err := v1alpha1.Decode([]byte(meshYAML))
	if err != nil {
		b.Fatal(err)
	}
	apps, err := v1alpha1.DecodeApplications([]byte(appsYAML))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, m, WithApplications(apps...)); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/render")
}
