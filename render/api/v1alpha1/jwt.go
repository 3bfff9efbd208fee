package v1alpha1

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// JWT is end-user authentication at an ingress gateway: every request
// needs a valid JSON Web Token from one of the issuers, but for the open
// paths. meshrender renders a RequestAuthentication and a DENY
// AuthorizationPolicy in the namespace of every gateway it is set for,
// zonal copies included, each selecting exactly that gateway's pods.
//
// +k8s:deepcopy-gen=true
type JWT struct {
	// Rules are the accepted issuers, Istio's jwtRules.
	Rules []JWTRule `json:"rules"`
	// OpenPaths are served without a token, such as health checks: Istio
	// paths, exact or with a * prefix or suffix.
	OpenPaths []string `json:"openPaths,omitempty"`
}

// JWTRule is one accepted issuer and how to read and check its tokens,
// under Istio's names.
//
// +k8s:deepcopy-gen=true
type JWTRule struct {
	// Issuer is the iss claim of the tokens. Required.
	Issuer string `json:"issuer"`
	// JWKSURI is where the issuer's public keys are, over HTTPS; with
	// neither it nor JWKS, Istio finds them by OpenID discovery.
	JWKSURI string `json:"jwksUri,omitempty"`
	// JWKS are the keys inline, a JSON Web Key Set.
	JWKS string `json:"jwks,omitempty"`
	// Audiences the tokens must name one of; none accepts any.
	Audiences []string `json:"audiences,omitempty"`
	// FromHeaders are the headers the token is read from (default
	// Authorization: Bearer).
	FromHeaders []JWTHeader `json:"fromHeaders,omitempty"`
	// FromParams are the query parameters the token is read from.
	FromParams []string `json:"fromParams,omitempty"`
	// ForwardOriginalToken passes the token on to the backend.
	ForwardOriginalToken bool `json:"forwardOriginalToken,omitempty"`
	// OutputPayloadToHeader puts the verified payload, base64, in this
	// header for the backend.
	OutputPayloadToHeader string `json:"outputPayloadToHeader,omitempty"`
}

// JWTHeader is a header a token is read from, and the prefix before it.
//
// +k8s:deepcopy-gen=true
type JWTHeader struct {
	Name   string `json:"name"`
	Prefix string `json:"prefix,omitempty"`
}

func validateJWT(p *problems, field string, j *JWT) {
	if j == nil {
		return
	}
	if len(j.Rules) == 0 {
		p.add(field+".rules", "needs at least one issuer")
	}
	issuers := map[string]int{}
	for i, r := range j.Rules {
		f := fmt.Sprintf("%s.rules[%d]", field, i)
		if r.Issuer == "" {
			p.add(f+".issuer", "must name the issuer of the tokens")
		} else if k, ok := issuers[r.Issuer]; ok {
			p.add(f+".issuer", "duplicate issuer %q (also %s.rules[%d])", r.Issuer, field, k)
		}
		issuers[r.Issuer] = i
		if r.JWKSURI != "" && r.JWKS != "" {
			p.add(f, "takes jwksUri or jwks, not both")
		}
		if r.JWKSURI != "" {
			if !isHTTPSURL(r.JWKSURI) {
				p.add(f+".jwksUri", "%q is not an https URL; keys fetched without TLS could be anyone's", r.JWKSURI)
			}
		}
		if r.JWKS != "" {
			var set struct {
				Keys []json.RawMessage `json:"keys"`
			}
			if err := json.Unmarshal([]byte(r.JWKS), &set); err != nil || len(set.Keys) == 0 {
				p.add(f+".jwks", "is not a JSON Web Key Set with keys")
			}
		}
		for k, h := range r.FromHeaders {
			for _, msg := range validation.IsHTTPHeaderName(h.Name) {
				p.add(fmt.Sprintf("%s.fromHeaders[%d].name", f, k), "%q is not a header name: %s", h.Name, msg)
			}
		}
		if h := r.OutputPayloadToHeader; h != "" {
			for _, msg := range validation.IsHTTPHeaderName(h) {
				p.add(f+".outputPayloadToHeader", "%q is not a header name: %s", h, msg)
			}
		}
	}
	for i, path := range j.OpenPaths {
		if !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "*") {
			p.add(fmt.Sprintf("%s.openPaths[%d]", field, i), "%q is not a path such as /healthz or /public/*", path)
		}
	}
}
