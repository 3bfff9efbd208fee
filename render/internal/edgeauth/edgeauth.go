// Package edgeauth builds end-user authentication at an ingress gateway:
// a RequestAuthentication that checks JWTs and an AuthorizationPolicy
// that turns away requests without a valid one, both selecting exactly
// the gateway's pods.
package edgeauth

import (
	securityapi "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Names of the two policies in a gateway's namespace.
const (
	RequestAuthenticationName = "ingressgateway-jwt"
	AuthorizationPolicyName   = "ingressgateway-require-jwt"
)

const app = "edge-authentication"

// RequestAuthentication checks every JWT a request to the gateway's pods
// carries against the rules, and rejects a request whose token fails
// them. A request without a token passes it; RequireJWT turns it away.
func RequestAuthentication(meta objects.Meta, namespace string, gateway map[string]string, rules []*securityapi.JWTRule) *securityv1.RequestAuthentication {
	return &securityv1.RequestAuthentication{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "RequestAuthentication"},
		ObjectMeta: meta.ObjectMeta(RequestAuthenticationName, namespace, app, nil),
		Spec: securityapi.RequestAuthentication{
			Selector: &typev1beta1.WorkloadSelector{MatchLabels: gateway},
			JwtRules: rules,
		},
	}
}

// RequireJWT denies every request to the gateway's pods that has no
// valid JWT, that is no request principal, but for the open paths.
func RequireJWT(meta objects.Meta, namespace string, gateway map[string]string, openPaths []string) *securityv1.AuthorizationPolicy {
	rule := &securityapi.Rule{From: []*securityapi.Rule_From{{Source: &securityapi.Source{NotRequestPrincipals: []string{"*"}}}}}
	if len(openPaths) > 0 {
		rule.To = []*securityapi.Rule_To{{Operation: &securityapi.Operation{NotPaths: openPaths}}}
	}
	return &securityv1.AuthorizationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "AuthorizationPolicy"},
		ObjectMeta: meta.ObjectMeta(AuthorizationPolicyName, namespace, app, nil),
		Spec: securityapi.AuthorizationPolicy{
			Selector: &typev1beta1.WorkloadSelector{MatchLabels: gateway},
			Action:   securityapi.AuthorizationPolicy_DENY,
			Rules:    []*securityapi.Rule{rule},
		},
	}
}
