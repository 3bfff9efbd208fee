package render

import (
	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/edgeauth"
	"github.com/meshrender/meshrender/render/internal/objects"
	securityapi "istio.io/api/security/v1beta1"
)

// jwtRules are the rules as Istio's type.
func jwtRules(j *v1alpha1.JWT) []*securityapi.JWTRule {
	out := make([]*securityapi.JWTRule, len(j.Rules))
	for i, r := range j.Rules {
		rule := &securityapi.JWTRule{
			Issuer: r.Issuer, JwksUri: r.JWKSURI, Jwks: r.JWKS, Audiences: r.Audiences, FromParams: r.FromParams,
			ForwardOriginalToken: r.ForwardOriginalToken, OutputPayloadToHeader: r.OutputPayloadToHeader,
		}
		for _, h := range r.FromHeaders {
			rule.FromHeaders = append(rule.FromHeaders, &securityapi.JWTHeader{Name: h.Name, Prefix: h.Prefix})
		}
		out[i] = rule
	}
	return out
}

// jwtPolicies are a gateway's JWT policies, selecting its pods.
func jwtPolicies(meta objects.Meta, namespace string, pods map[string]string, j *v1alpha1.JWT) []typedObject {
	return []typedObject{
		edgeauth.RequestAuthentication(meta, namespace, pods, jwtRules(j)),
		edgeauth.RequireJWT(meta, namespace, pods, j.OpenPaths),
	}
}
