// Package strictdecode decodes rendered YAML documents into their Go types
// and fails on any field the type does not have. Tests use it to prove
// that every object meshrender prints is exactly what its API defines.
package strictdecode

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	meshapi "istio.io/api/mesh/v1alpha1"
	networkingapi "istio.io/api/networking/v1alpha3"
	securityapi "istio.io/api/security/v1beta1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kubeTypes maps the built-in kinds meshrender renders to their types.
var kubeTypes = map[schema.GroupVersionKind]func() any{
	{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}:               func() any { return &apiextensionsv1.CustomResourceDefinition{} },
	{Version: "v1", Kind: "Namespace"}:                                                             func() any { return &corev1.Namespace{} },
	{Version: "v1", Kind: "ServiceAccount"}:                                                        func() any { return &corev1.ServiceAccount{} },
	{Version: "v1", Kind: "ConfigMap"}:                                                             func() any { return &corev1.ConfigMap{} },
	{Version: "v1", Kind: "Secret"}:                                                                func() any { return &corev1.Secret{} },
	{Version: "v1", Kind: "Service"}:                                                               func() any { return &corev1.Service{} },
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}:                       func() any { return &rbacv1.ClusterRole{} },
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"}:                func() any { return &rbacv1.ClusterRoleBinding{} },
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "Role"}:                              func() any { return &rbacv1.Role{} },
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"}:                       func() any { return &rbacv1.RoleBinding{} },
	{Group: "apps", Version: "v1", Kind: "Deployment"}:                                             func() any { return &appsv1.Deployment{} },
	{Group: "apps", Version: "v1", Kind: "DaemonSet"}:                                              func() any { return &appsv1.DaemonSet{} },
	{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}:                         func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget"}:                                  func() any { return &policyv1.PodDisruptionBudget{} },
	{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"}: func() any { return &admissionv1.ValidatingWebhookConfiguration{} },
	{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "MutatingWebhookConfiguration"}:   func() any { return &admissionv1.MutatingWebhookConfiguration{} },
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"}:                             func() any { return &networkingv1.NetworkPolicy{} },
}

// istioSpecs maps Istio kinds to their spec's protobuf message. Istio's Go
// types accept unknown spec fields, so specs are decoded with protojson,
// which does not.
var istioSpecs = map[schema.GroupVersionKind]func() proto.Message{
	{Group: "security.istio.io", Version: "v1", Kind: "PeerAuthentication"}:    func() proto.Message { return &securityapi.PeerAuthentication{} },
	{Group: "security.istio.io", Version: "v1", Kind: "RequestAuthentication"}: func() proto.Message { return &securityapi.RequestAuthentication{} },
	{Group: "security.istio.io", Version: "v1", Kind: "AuthorizationPolicy"}:   func() proto.Message { return &securityapi.AuthorizationPolicy{} },
	{Group: "networking.istio.io", Version: "v1", Kind: "Gateway"}:             func() proto.Message { return &networkingapi.Gateway{} },
	{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}:      func() proto.Message { return &networkingapi.VirtualService{} },
	{Group: "networking.istio.io", Version: "v1", Kind: "DestinationRule"}:     func() proto.Message { return &networkingapi.DestinationRule{} },
	{Group: "networking.istio.io", Version: "v1", Kind: "ServiceEntry"}:        func() proto.Message { return &networkingapi.ServiceEntry{} },
}

// meshConfigKeys are the keys of Istio's mesh ConfigMap, each a protobuf
// message in YAML. istiod reads them leniently, ignoring a field it does
// not know without a word, so Decode reads them strictly.
var meshConfigKeys = []struct {
	key        string
	newMessage func() proto.Message
}{
	{"mesh", func() proto.Message { return &meshapi.MeshConfig{} }},
	{"meshNetworks", func() proto.Message { return &meshapi.MeshNetworks{} }},
}

// Decode decodes one YAML document strictly into its Go type. The mesh
// config and mesh networks in a ConfigMap's data.mesh and
// data.meshNetworks are decoded strictly into Istio's messages too.
func Decode(doc []byte) (any, error) {
	raw, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	gvk := schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind)
	if newSpec, ok := istioSpecs[gvk]; ok {
		return decodeIstio(raw, gvk, newSpec())
	}
	if crd, ok := registeredCRD(gvk); ok {
		return decodeCustom(raw, crd)
	}
	newObj, ok := kubeTypes[gvk]
	if !ok {
		return nil, fmt.Errorf("no Go type known for %s, and no CustomResourceDefinition registered", gvk)
	}
	obj := newObj()
	if err := strict(raw, obj); err != nil {
		return obj, err
	}
	if cm, ok := obj.(*corev1.ConfigMap); ok {
		return obj, decodeMeshConfig(cm)
	}
	return obj, nil
}

// decodeMeshConfig decodes the Istio messages a ConfigMap holds, as
// istiod would read them but failing on unknown fields.
func decodeMeshConfig(cm *corev1.ConfigMap) error {
	for _, k := range meshConfigKeys {
		key := k.key
		value, ok := cm.Data[key]
		if !ok {
			continue
		}
		raw, err := yaml.YAMLToJSONStrict([]byte(value))
		if err != nil {
			return fmt.Errorf("ConfigMap %s data.%s: %w", cm.Name, key, err)
		}
		if err := protojson.Unmarshal(raw, k.newMessage()); err != nil {
			return fmt.Errorf("ConfigMap %s data.%s: %w", cm.Name, key, err)
		}
	}
	return nil
}

func strict(raw []byte, into any) error {
	errs, err := sigsjson.UnmarshalStrict(raw, into)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("strict decoding: %v", errs)
	}
	return nil
}

func decodeIstio(raw []byte, gvk schema.GroupVersionKind, spec proto.Message) (any, error) {
	var obj struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Metadata   json.RawMessage `json:"metadata"`
		Spec       json.RawMessage `json:"spec"`
	}
	if err := strict(raw, &obj); err != nil {
		return nil, fmt.Errorf("%s: %w", gvk.Kind, err)
	}
	var meta metav1.ObjectMeta
	if err := strict(obj.Metadata, &meta); err != nil {
		return nil, fmt.Errorf("%s metadata: %w", gvk.Kind, err)
	}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(obj.Spec, spec); err != nil {
		return nil, fmt.Errorf("%s spec: %w", gvk.Kind, err)
	}
	return spec, nil
}
