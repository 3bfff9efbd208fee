package upstreamfacts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// manifest is a small istioctl-like manifest with every object Extract
// reads, for revision r1.
const manifest = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: sidecars.networking.istio.io
  labels: {app: istio-pilot}
spec:
  group: networking.istio.io
  names: {kind: Sidecar, plural: sidecars}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        properties:
          spec:
            description: Configuration affecting network reachability of a sidecar.
            maximum: 4294967295
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: istiod-r1
  namespace: istio-system
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-r1
  namespace: istio-system
data:
  mesh: |-
    rootNamespace: istio-system
    defaultConfig:
      discoveryAddress: istiod-r1.istio-system.svc:15012
  meshNetworks: 'networks: {}'
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-cni-config
  namespace: kube-system
data:
  REPAIR_ENABLED: "true"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-sidecar-injector-r1
  namespace: istio-system
data:
  config: "policy: enabled\n"
  values: '{"global": {"proxy": {"readinessFailureThreshold": 4, "ratio": 1.0}, "note": "<a&b>"}}'
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-sidecar-injector-r1
webhooks:
- name: rev.namespace.sidecar-injector.istio.io
  sideEffects: None
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: istio-validator-r1-istio-system
webhooks:
- name: rev.validation.istio.io
  failurePolicy: Ignore
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: istio-cni-node
  namespace: kube-system
spec:
  template:
    spec:
      tolerations:
      - operator: Exists
      volumes:
      - name: cni-bin-dir
        hostPath: {path: /opt/cni/bin}
      containers:
      - name: install-cni
        image: install-cni
        command: [install-cni]
        args: [--log_output_level=info]
        envFrom:
        - configMapRef: {name: istio-cni-config}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod-r1
  namespace: istio-system
spec:
  template:
    spec:
      containers:
      - name: discovery
        env:
        - {name: REVISION, value: r1}
        - {name: PILOT_CERT_PROVIDER, value: istiod}
`

// gatewayObjects are a gateway's Deployment, Service and autoscaler.
func gatewayObjects(name string) string {
	return strings.ReplaceAll(`---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
  namespace: istio-system
spec:
  strategy:
    rollingUpdate: {maxSurge: 100%, maxUnavailable: 25%}
  template:
    spec:
      containers:
      - name: istio-proxy
        args: [proxy, router]
        env:
        - {name: POD_NAME}
        resources:
          limits: {cpu: 2000m}
---
apiVersion: v1
kind: Service
metadata:
  name: NAME
  namespace: istio-system
spec:
  type: ClusterIP
  ports:
  - {name: http2, port: 80, targetPort: 8080}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: NAME
  namespace: istio-system
spec:
  minReplicas: 1
  maxReplicas: 5
`, "NAME", name)
}

func fullManifest() string {
	return manifest + gatewayObjects("istio-ingressgateway") + gatewayObjects("istio-egressgateway")
}

func TestExtract(t *testing.T) {
	f, err := Extract([]byte(fullManifest()), ProfileReference, "a test manifest", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Objects) != 15 || f.Objects[1] != (Object{"ServiceAccount", "istio-system", "istiod-r1"}) || f.Objects[6] != (Object{"ValidatingWebhookConfiguration", "", "istio-validator-r1-istio-system"}) {
		t.Errorf("objects are not the manifest's, in its order: %v", f.Objects)
	}
	if sum := sha256.Sum256([]byte(fullManifest())); f.InputSHA256 != hex.EncodeToString(sum[:]) || f.Revision != "r1" || f.Source != "a test manifest" {
		t.Errorf("provenance: %q %q %q", f.Source, f.InputSHA256, f.Revision)
	}
	if len(f.CRDSpecSHA256) != 1 || len(f.CRDSpecSHA256["sidecars.networking.istio.io"]) != 64 {
		t.Errorf("CRD checksums: %v", f.CRDSpecSHA256)
	}
	if d := cmp.Diff([]string{"REVISION", "PILOT_CERT_PROVIDER"}, f.IstiodEnv); d != "" {
		t.Errorf("istiod env (-want +got):\n%s", d)
	}
	// sha256 of "policy: enabled\n"
	if f.InjectorConfigSHA256 != "9356cac426308feac3061d3d0f40d5d82f56f39271d9d0b1f8452e7be42a3a60" {
		t.Errorf("injector config checksum %q", f.InjectorConfigSHA256)
	}
	if f.Mesh["rootNamespace"] != "istio-system" || f.Ingress.ServiceType != "ClusterIP" || f.Egress.HPA["maxReplicas"] != json.Number("5") {
		t.Errorf("mesh or gateway facts are wrong: %v %+v %+v", f.Mesh, f.Ingress, f.Egress)
	}
	if len(f.MutatingWebhooks) != 1 || len(f.ValidatingWebhooks) != 1 || f.ValidatingWebhooks[0]["failurePolicy"] != "Ignore" {
		t.Errorf("webhooks: %v %v", f.MutatingWebhooks, f.ValidatingWebhooks)
	}

	out, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		`"ratio": 1.0`,    // numbers print as written
		`"note": "<a&b>"`, // no HTML escaping
		"{\n  \"cni\": {\n    \"args\": [\n      \"--log_output_level=info\"\n    ],", // sorted keys, two spaces
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the facts lack %q:\n%s", want, s)
		}
	}
	if strings.HasSuffix(s, "\n") {
		t.Error("the facts end in a newline")
	}
	if strings.Contains(s, `"image"`) {
		t.Error("the facts hold istio-cni's image, which they leave out")
	}
	if strings.Contains(s, `"ambient"`) {
		t.Error("the reference profile's facts have an ambient part")
	}
}

// ambientManifest is a small istioctl-like manifest of the ambient
// profile: the default control plane (no revision in its names), no
// gateways, and ztunnel.
func ambientManifest() string {
	return strings.NewReplacer(
		"istiod-r1", "istiod",
		"istio-sidecar-injector-r1", "istio-sidecar-injector",
		"name: istio-r1\n", "name: istio\n",
		"istio-validator-r1-istio-system", "istio-validator-istio-system",
		"{name: REVISION, value: r1}", "{name: REVISION, value: default}\n        - {name: PILOT_ENABLE_AMBIENT, value: \"true\"}\n        - {name: PLATFORM}\n        - name: POD_NAME\n          valueFrom: {fieldRef: {fieldPath: metadata.name}}",
	).Replace(manifest) + `---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ztunnel
  namespace: istio-system
spec:
  updateStrategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: ztunnel, istio.io/dataplane-mode: none}
      annotations: {sidecar.istio.io/inject: "false"}
    spec:
      priorityClassName: system-node-critical
      serviceAccountName: ztunnel
      terminationGracePeriodSeconds: 30
      containers:
      - name: istio-proxy
        image: docker.io/istio/ztunnel:1.30.3-distroless
        args: [proxy, ztunnel]
        env:
        - {name: INPOD_ENABLED, value: "true"}
        securityContext:
          capabilities:
            add: [NET_ADMIN]
`
}

func TestExtractAmbient(t *testing.T) {
	f, err := Extract([]byte(ambientManifest()), ProfileAmbient, "an ambient test manifest", "")
	if err != nil {
		t.Fatal(err)
	}
	if f.Revision != "" || f.Mesh["rootNamespace"] != "istio-system" || f.InjectorConfigSHA256 == "" {
		t.Errorf("the default control plane's facts are wrong: %q %v %q", f.Revision, f.Mesh, f.InjectorConfigSHA256)
	}
	if f.Ambient == nil {
		t.Fatal("no ambient facts")
	}
	// POD_NAME is set from a field, not a value; PLATFORM has none.
	if d := cmp.Diff(map[string]string{"REVISION": "default", "PILOT_ENABLE_AMBIENT": "true", "PLATFORM": "", "PILOT_CERT_PROVIDER": "istiod"}, f.Ambient.IstiodEnv); d != "" {
		t.Errorf("istiod's env values (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"REVISION", "PILOT_ENABLE_AMBIENT", "PLATFORM", "POD_NAME", "PILOT_CERT_PROVIDER"}, f.IstiodEnv); d != "" {
		t.Errorf("istiod's env names (-want +got):\n%s", d)
	}
	z := f.Ambient.Ztunnel
	if z["image"] != "docker.io/istio/ztunnel:1.30.3-distroless" || z["serviceAccountName"] != "ztunnel" || z["terminationGracePeriodSeconds"] != json.Number("30") {
		t.Errorf("ztunnel's facts are wrong: %v", z)
	}
	for _, key := range []string{"args", "env", "securityContext", "podLabels", "podAnnotations", "updateStrategy", "priorityClassName"} {
		if z[key] == nil {
			t.Errorf("ztunnel's facts lack %s: %v", key, z)
		}
	}
	out, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); strings.Contains(s, "gateway") || !strings.Contains(s, `"ambient": {`) {
		t.Errorf("the ambient profile's facts have gateways or no ambient part:\n%s", s)
	}
}

func TestExtractAmbientNeedsZtunnel(t *testing.T) {
	noZtunnel := strings.Replace(ambientManifest(), "name: ztunnel\n", "name: ztunnel-elsewhere\n", 1)
	if _, err := Extract([]byte(noZtunnel), ProfileAmbient, "an ambient test manifest", ""); err == nil || !strings.Contains(err.Error(), "DaemonSet ztunnel") {
		t.Errorf("no ztunnel: got %v, want an error naming DaemonSet ztunnel", err)
	}
	if _, err := Extract([]byte(ambientManifest()), ProfileReference, "an ambient test manifest", ""); err == nil || !strings.Contains(err.Error(), "istio-ingressgateway") {
		t.Errorf("the ambient manifest read as the reference profile's: got %v, want an error naming the ingress gateway", err)
	}
	if _, err := Extract([]byte(ambientManifest()), "minimal", "an ambient test manifest", ""); err == nil || !strings.Contains(err.Error(), "unknown profile") {
		t.Errorf("an unknown profile: got %v", err)
	}
}

func TestExtractNeedsEveryObject(t *testing.T) {
	if _, err := Extract([]byte(fullManifest()), ProfileReference, "a test manifest", "r2"); err == nil || !strings.Contains(err.Error(), "Deployment istiod-r2") {
		t.Errorf("another revision's manifest: got %v, want an error naming istiod-r2", err)
	}
	noHPA := strings.Replace(fullManifest(), "kind: HorizontalPodAutoscaler", "kind: PodDisruptionBudget", 1)
	if _, err := Extract([]byte(noHPA), ProfileReference, "a test manifest", "r1"); err == nil || !strings.Contains(err.Error(), "HorizontalPodAutoscaler istio-ingressgateway") {
		t.Errorf("no ingress autoscaler: got %v", err)
	}
	if _, err := Extract([]byte("---\n---\n"), ProfileReference, "nothing", "r1"); err == nil {
		t.Error("an empty manifest has facts")
	}
}

// TestCRDSpecChecksums checks that a CRD's checksum is its spec's: the
// same for the spec printed otherwise and metadata changed, another for
// another spec.
func TestCRDSpecChecksums(t *testing.T) {
	f, err := Extract([]byte(fullManifest()), ProfileReference, "a test manifest", "r1")
	if err != nil {
		t.Fatal(err)
	}
	same := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: sidecars.networking.istio.io
  labels: {app: istio-pilot, app.kubernetes.io/managed-by: meshrender}
  annotations: {meshrender.dev/source: test}
spec:
  versions:
  - schema:
      openAPIV3Schema:
        properties:
          spec:
            maximum: 4294967295
            description: "Configuration affecting network reachability of a sidecar."
    served: true
    name: v1
  scope: Namespaced
  names:
    plural: sidecars
    kind: Sidecar
  group: networking.istio.io
`
	got, err := CRDSpecChecksums([]byte(same))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(f.CRDSpecSHA256, got); d != "" {
		t.Errorf("the same spec, printed otherwise, has another checksum (-manifest +stream):\n%s", d)
	}
	other, err := CRDSpecChecksums([]byte(strings.Replace(same, "4294967295", "4294967296", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if other["sidecars.networking.istio.io"] == f.CRDSpecSHA256["sidecars.networking.istio.io"] {
		t.Error("another spec has the same checksum")
	}
	if _, err := CRDSpecChecksums([]byte(same + "---\n" + same)); err == nil {
		t.Error("a stream with a CRD twice has checksums")
	}
}

func TestCanonicalJSON(t *testing.T) {
	type s struct {
		B string `json:"b"`
		A []int  `json:"a"`
	}
	fromStruct, err := CanonicalJSON(s{B: "<x>", A: []int{2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	fromMap, err := CanonicalJSON(map[string]any{"b": "<x>", "a": []any{2.0, 1.0}})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"a":[2,1],"b":"<x>"}`
	if string(fromStruct) != want || string(fromMap) != want {
		t.Errorf("CanonicalJSON printed %s and %s, want %s", fromStruct, fromMap, want)
	}
}
