package fn

import (
	"strings"
	"testing"
)

// appSpec is a mesh with an application namespace and an exposure class.
const appSpec = "    profile: minimal\n    injection: {enabled: true}\n    ingress: {enabled: true}\n    exposureClasses: [{name: partners}]\n    namespaces: [{name: shop, istioInjection: true}]\n"

const appItem = `# the shop team's web front
- apiVersion: meshrender.dev/v1alpha1
  kind: Application
  metadata:
    name: web
    namespace: shop
    annotations:
      internal.config.kubernetes.io/path: apps/web.yaml
  spec:
    ingress:
      hosts: [shop.example.com]
      tls: {secretName: shop-web-tls}
      routes:
      - destination: {service: web, port: 80}
`

func TestApplicationItemsAreRenderedAndKeptAsLocalConfig(t *testing.T) {
	out, err := execute(t, inputList(userItem+appItem, appSpec))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		userItem,
		"  kind: VirtualService\n  metadata:\n",
		"    name: shop-web\n    namespace: istio-ingress\n",
		"      internal.config.kubernetes.io/path: apps/web.yaml\n      config.kubernetes.io/local-config: 'true'\n",
		"# the shop team's web front\n- apiVersion: meshrender.dev/v1alpha1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "kind: Application\n"); n != 1 {
		t.Errorf("the Application is in the output %d times, want once", n)
	}
	if !strings.Contains(out, "# the shop team's web front") {
		t.Error("the Application lost its comment")
	}
	assertIdempotent(t, out)

	// Without the Application, what it rendered goes.
	_, app, _ := strings.Cut(out, "kind: Application\n")
	start := strings.LastIndex(out[:len(out)-len(app)], "- apiVersion")
	end := strings.Index(app, "\n- ") + len(out) - len(app) + 1
	gone, err := execute(t, out[:start]+out[end:])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(gone, "shop-web") {
		t.Error("objects of a removed Application stayed")
	}
}

func TestApplicationAlreadyLocalConfigComesBackByteForByte(t *testing.T) {
	item := strings.Replace(appItem, "      internal.config.kubernetes.io/path: apps/web.yaml\n",
		"      config.kubernetes.io/local-config: 'true'   # not applied\n", 1)
	out, err := execute(t, inputList(item, appSpec))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, item) {
		t.Errorf("the Application did not come back byte for byte:\n%s", out)
	}
}

func TestInvalidApplicationsAreReportedAtTheirItems(t *testing.T) {
	undecodable := `- apiVersion: meshrender.dev/v1alpha1
  kind: Application
  metadata:
    name: api
    namespace: shop
    annotations:
      internal.config.kubernetes.io/path: apps/api.yaml
      internal.config.kubernetes.io/index: '2'
  spec:
    ingres: {}
`
	twice := strings.Replace(appItem, "apps/web.yaml", "apps/web-again.yaml", 1)
	elsewhere := strings.NewReplacer("namespace: shop", "namespace: billing", "apps/web.yaml", "apps/billing.yaml", "shop.example.com", "billing.example.com").Replace(appItem)
	for _, tt := range []struct {
		name, items string
		want        []string
	}{
		{"undecodable", appItem + undecodable, []string{
			"- message: unknown field",
			"field:\n    path: spec.ingres\n  file:\n    path: apps/api.yaml\n    index: 2\n",
			"resourceRef:\n    apiVersion: meshrender.dev/v1alpha1\n    kind: Application\n    name: api\n    namespace: shop\n",
		}},
		{"defined twice", appItem + twice, []string{
			"- message: is defined twice; an application's namespace and name are unique",
			"file:\n    path: apps/web-again.yaml\n",
		}},
		{"not an application namespace", elsewhere, []string{
			"field:\n    path: metadata.namespace\n  file:\n    path: apps/billing.yaml\n",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(t, inputList(userItem+tt.items, appSpec))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range append(tt.want, userItem) {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "CustomResourceDefinition") || strings.Contains(out, "local-config") {
				t.Error("output for invalid applications")
			}
		})
	}
}

// TestApplicationAndMeshProblemsAreReportedTogether: an Application that
// does not decode does not hide the mesh's own problems.
func TestApplicationAndMeshProblemsAreReportedTogether(t *testing.T) {
	bad := strings.Replace(appItem, "    ingress:\n", "    ingres:\n", 1)
	out, err := execute(t, inputList(bad, appSpec+"    zones: [a, a]\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"path: spec.ingres\n  file:\n    path: apps/web.yaml", "path: spec.zones[1]\n  file:\n    path: meshes/test.yaml"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
