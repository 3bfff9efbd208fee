package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// TestOverlaysCannotDeleteTheMesh: an overlay that deletes what the mesh
// cannot run without fails the render, naming the overlay, instead of
// printing a stream that pruning would apply by removing the mesh.
func TestOverlaysCannotDeleteTheMesh(t *testing.T) {
	deleteAll := func(target v1alpha1.OverlayTarget) v1alpha1.Overlay {
		return v1alpha1.Overlay{Name: "wipe", Target: &target, Patch: "$patch: delete\nmetadata: {name: x}"}
	}
	for _, tt := range []struct {
		name    string
		overlay v1alpha1.Overlay
		want    []string
	}{
		{"everything", deleteAll(v1alpha1.OverlayTarget{Name: ".*"}), []string{
			`spec.overlays[0]: overlay "wipe" deletes CustomResourceDefinition authorizationpolicies.security.istio.io and `,
			`an overlay may not delete the mesh's CRDs or namespaces, or pruning would remove them from the cluster`,
			`an overlay may not delete the control plane's objects`,
			`deletes every object of component policies/istio-system and 1 more: an overlay may not delete a whole component`,
		}},
		{"a CRD", deleteAll(v1alpha1.OverlayTarget{Kind: "CustomResourceDefinition", Name: "gateways.networking.istio.io"}), []string{
			`deletes CustomResourceDefinition gateways.networking.istio.io: an overlay may not delete the mesh's CRDs`}},
		{"a namespace", deleteAll(v1alpha1.OverlayTarget{Kind: "Namespace", Name: "istio-ingress"}), []string{
			`deletes Namespace istio-ingress: an overlay may not delete the mesh's CRDs or namespaces`}},
		{"istiod", deleteAll(v1alpha1.OverlayTarget{Kind: "Deployment", Name: "istiod"}), []string{
			`deletes Deployment istio-system/istiod: an overlay may not delete the control plane's objects`}},
		{"a whole policies component", deleteAll(v1alpha1.OverlayTarget{Kind: "NetworkPolicy", Namespace: "istio-ingress"}), []string{
			`deletes every object of component policies/istio-ingress: an overlay may not delete a whole component`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
				NetworkPolicy: v1alpha1.NetworkPolicy{Enabled: ptr(true)},
				Overlays:      []v1alpha1.Overlay{tt.overlay},
			}}
			_, err := Render(m)
			if err == nil {
				t.Fatal("rendered")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
			if strings.Count(err.Error(), "\n") > 4 {
				t.Errorf("one overlay gave %d lines:\n%s", strings.Count(err.Error(), "\n")+1, err)
			}
		})
	}
	// Deleting a part of a component is the overlays' business.
	m := v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
		NetworkPolicy: v1alpha1.NetworkPolicy{Enabled: ptr(true)},
		Overlays: []v1alpha1.Overlay{
			deleteAll(v1alpha1.OverlayTarget{Kind: "NetworkPolicy", Namespace: "istio-ingress", Name: "istio-ingressgateway"}),
			deleteAll(v1alpha1.OverlayTarget{Kind: "PodDisruptionBudget", Namespace: "istio-ingress"}),
		},
	}}
	if _, err := Render(m); err != nil {
		t.Errorf("deleting part of a component: %v", err)
	}
}

// TestOverlaysCannotUndoTheHardening: the output, overlays applied, is
// held to the Pod Security level of every namespace, so an overlay cannot
// run a privileged istiod, relabel istio-system or give a role every
// right; spec.podSecurity is the one way to lower a level.
func TestOverlaysCannotUndoTheHardening(t *testing.T) {
	privileged := v1alpha1.Overlay{Name: "root", Target: &v1alpha1.OverlayTarget{Kind: "Deployment", Name: "istiod"}, Patch: `
spec:
  template:
    spec:
      hostPID: true
      hostNetwork: true
      volumes: [{name: host, hostPath: {path: /}}]
      containers:
      - name: discovery
        securityContext: {privileged: true, allowPrivilegeEscalation: true, runAsNonRoot: false, runAsUser: 0}`}
	noContext := v1alpha1.Overlay{Target: &v1alpha1.OverlayTarget{Kind: "Deployment", Name: "istio-ingressgateway"},
		Patch: `[{op: remove, path: /spec/template/spec/containers/0/securityContext}]`}
	relabel := v1alpha1.Overlay{Name: "relabel", Target: &v1alpha1.OverlayTarget{Kind: "Namespace", Name: "istio-system"},
		Patch: `metadata: {labels: {pod-security.kubernetes.io/enforce: privileged}}`}
	everything := v1alpha1.Overlay{Target: &v1alpha1.OverlayTarget{Kind: "ClusterRole", Name: "istiod-clusterrole-istio-system"},
		Patch: `[{op: add, path: /rules/-, value: {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}}]`}
	for _, tt := range []struct {
		name string
		spec v1alpha1.MeshSpec
		want []string
	}{
		{"privileged istiod", v1alpha1.MeshSpec{Overlays: []v1alpha1.Overlay{privileged}}, []string{
			`spec.overlays: the pods of Deployment istio-system/istiod would not be admitted in namespace istio-system, Pod Security restricted: host namespaces (hostNetwork=true, hostPID=true)`,
			`privileged (container "discovery" must not set securityContext.privileged=true)`, `restricted volume types (volume "host" uses restricted volume type "hostPath")`}},
		{"security context removed", v1alpha1.MeshSpec{Overlays: []v1alpha1.Overlay{noContext}}, []string{
			`spec.overlays: the pods of Deployment istio-ingress/istio-ingressgateway would not be admitted in namespace istio-ingress, Pod Security restricted: allowPrivilegeEscalation != false`}},
		{"istio-system relabelled", v1alpha1.MeshSpec{Overlays: []v1alpha1.Overlay{relabel}}, []string{
			`spec.overlays: the patched Namespace istio-system has pod-security.kubernetes.io/enforce="privileged"; its Pod Security level is restricted, which spec.podSecurity[istio-system] changes, an overlay may not`}},
		{"a role for everything", v1alpha1.MeshSpec{Overlays: []v1alpha1.Overlay{everything}}, []string{
			`spec.overlays: the patched ClusterRole istiod-clusterrole-istio-system grants every verb on every resource`}},
		{"lowered in the API", v1alpha1.MeshSpec{PodSecurity: map[string]string{"istio-system": "privileged"}, Overlays: []v1alpha1.Overlay{privileged}}, nil},
		{"istio-cni's namespace raised", v1alpha1.MeshSpec{CNI: v1alpha1.CNI{Enabled: ptr(true), Namespace: "istio-cni"}, PodSecurity: map[string]string{"istio-cni": "restricted"}}, []string{
			`spec.podSecurity[istio-cni]: the pods of DaemonSet istio-cni/istio-cni-node would not be admitted in namespace istio-cni, Pod Security restricted:`}},
		{"a namespace of someone else's", v1alpha1.MeshSpec{PodSecurity: map[string]string{"shop": "privileged"}}, []string{
			`spec.podSecurity[shop]: "shop" is not a namespace meshrender renders; it renders ["istio-system" "istio-ingress"]`}},
		{"no level", v1alpha1.MeshSpec{PodSecurity: map[string]string{"istio-system": "open"}}, []string{
			`spec.podSecurity[istio-system]: must be restricted, baseline or privileged, got "open"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Write(&out, v1alpha1.Mesh{Spec: tt.spec})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Contains(out.Bytes(), []byte("pod-security.kubernetes.io/enforce: privileged")) {
					t.Error("spec.podSecurity did not lower istio-system's level")
				}
				return
			}
			if err == nil || out.Len() > 0 {
				t.Fatalf("rendered %d bytes, error %v", out.Len(), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
		})
	}
}
