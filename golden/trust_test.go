package golden

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/golden/internal/strictdecode"
	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// TestIntermediateCAFromCertManager renders istiod's intermediate from
// the mesh's issuer: the Certificate decodes strictly against
// cert-manager's own CRD, comes with the issuer in the control plane (so
// a GitOps tool never waits on istiod for an issuer it has not applied),
// and istiod's cacerts volume is required.
func TestIntermediateCAFromCertManager(t *testing.T) {
	if err := registerThirdPartyCRDs(); err != nil {
		t.Fatal(err)
	}
	m, err := v1alpha1.Decode([]byte(`apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: eu1}
spec:
  meshConfig: {trustDomain: eu.example.com}
  multiCluster: {clusterName: eu1}
  istiod: {ca: {source: CertManager}}
  certificates:
    issuer:
      vault: {server: "https://vault.example.com", path: pki_int/sign/istio-intermediates, role: istio-ca}
`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := renderYAML(m)
	if err != nil {
		t.Fatal(err)
	}
	var found, required bool
	for i, doc := range splitDocs(out) {
		if _, err := strictdecode.Decode(doc); err != nil {
			t.Errorf("document %d: %v\n%s", i, err, head(doc))
		}
	}
	objs, err := render.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		switch {
		case o.Kind == "Certificate" && o.Name == "istio-ca":
			found = true
			var c struct{ Spec map[string]any }
			if err := yaml.Unmarshal(o.YAML, &c); err != nil {
				t.Fatal(err)
			}
			spec := c.Spec
			if spec["secretName"] != "cacerts" || spec["isCA"] != true || o.Namespace != "istio-system" || o.Component != "control-plane/certificate-issuer" {
				t.Errorf("istiod's intermediate: %s/%s in %s: %v", o.Namespace, o.Name, o.Component, spec)
			}
		case o.Kind == "ClusterIssuer" && o.Component != "control-plane/certificate-issuer":
			t.Errorf("the issuer of istiod's intermediate is in %s, after the control plane that waits for it", o.Component)
		case o.Kind == "Deployment" && o.Name == "istiod":
			var d appsv1.Deployment
			if err := yaml.Unmarshal(o.YAML, &d); err != nil {
				t.Fatal(err)
			}
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.Secret != nil && v.Secret.SecretName == "cacerts" {
					required = v.Secret.Optional != nil && !*v.Secret.Optional
				}
			}
		}
	}
	if !found || !required {
		t.Errorf("intermediate Certificate rendered %v, istiod requires cacerts %v; want both", found, required)
	}
}
