// Package certmanager builds the cert-manager objects meshrender renders:
// a Vault issuer that authenticates with a ServiceAccount's bound token,
// the RBAC that lets cert-manager request that token, and the
// Certificates of the gateways' credentials. The types hold the fields of
// cert-manager.io/v1 that meshrender sets, under their API names; the
// tests check every rendered object against cert-manager's own CRDs from
// its pinned module.
package certmanager

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Group is cert-manager's API group; APIVersion the version rendered.
const (
	Group      = "cert-manager.io"
	APIVersion = Group + "/v1"
)

// Issuer is an Issuer or a ClusterIssuer: the same spec, namespaced or
// not.
//
// +k8s:deepcopy-gen=true
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type Issuer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              IssuerSpec `json:"spec"`
}

// IssuerSpec configures an issuer; meshrender renders Vault ones.
//
// +k8s:deepcopy-gen=true
type IssuerSpec struct {
	Vault *VaultIssuer `json:"vault,omitempty"`
}

// VaultIssuer signs certificates with a Vault PKI secrets engine.
//
// +k8s:deepcopy-gen=true
type VaultIssuer struct {
	// Server is Vault's URL, such as https://vault.example.com:8200.
	Server string `json:"server"`
	// Path is the PKI engine's signing path, such as
	// pki_int/sign/example-dot-com.
	Path string `json:"path"`
	// Namespace is the Vault Enterprise namespace, if any.
	Namespace string `json:"namespace,omitempty"`
	// CABundle holds the PEM CAs Vault's certificate is checked against;
	// it is base64 in JSON.
	CABundle []byte    `json:"caBundle,omitempty"`
	Auth     VaultAuth `json:"auth"`
}

// VaultAuth is how cert-manager logs in to Vault.
//
// +k8s:deepcopy-gen=true
type VaultAuth struct {
	Kubernetes *VaultKubernetesAuth `json:"kubernetes,omitempty"`
}

// VaultKubernetesAuth logs in with a Kubernetes ServiceAccount token.
//
// +k8s:deepcopy-gen=true
type VaultKubernetesAuth struct {
	// Path is where Vault's Kubernetes auth method is mounted.
	Path string `json:"mountPath,omitempty"`
	// Role is the Vault role bound to the ServiceAccount.
	Role string `json:"role"`
	// ServiceAccountRef names the ServiceAccount cert-manager requests a
	// short-lived bound token for, instead of a long-lived token Secret.
	ServiceAccountRef *ServiceAccountRef `json:"serviceAccountRef,omitempty"`
}

// ServiceAccountRef names a ServiceAccount in the issuer's namespace (for
// a ClusterIssuer, cert-manager's cluster resource namespace).
//
// +k8s:deepcopy-gen=true
type ServiceAccountRef struct {
	Name string `json:"name"`
	// TokenAudiences are extra audiences of the token.
	TokenAudiences []string `json:"audiences,omitempty"`
}

// Certificate asks cert-manager for a certificate kept in a Secret.
//
// +k8s:deepcopy-gen=true
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type Certificate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CertificateSpec `json:"spec"`
}

// CertificateSpec is what to issue and where to keep it.
//
// +k8s:deepcopy-gen=true
type CertificateSpec struct {
	// SecretName is the Secret of the certificate: the credentialName a
	// Gateway's server names.
	SecretName  string           `json:"secretName"`
	IssuerRef   IssuerRef        `json:"issuerRef"`
	CommonName  string           `json:"commonName,omitempty"`
	DNSNames    []string         `json:"dnsNames,omitempty"`
	Duration    *metav1.Duration `json:"duration,omitempty"`
	RenewBefore *metav1.Duration `json:"renewBefore,omitempty"`
	PrivateKey  *PrivateKey      `json:"privateKey,omitempty"`
	Usages      []string         `json:"usages,omitempty"`
	// IsCA asks for a certificate authority: an intermediate that signs
	// certificates of its own, such as istiod's.
	IsCA    bool     `json:"isCA,omitempty"`
	Subject *Subject `json:"subject,omitempty"`
}

// Subject is the certificate's subject beyond its common name.
//
// +k8s:deepcopy-gen=true
type Subject struct {
	Organizations []string `json:"organizations,omitempty"`
}

// IssuerRef names the issuer of a certificate.
//
// +k8s:deepcopy-gen=true
type IssuerRef struct {
	Name  string `json:"name"`
	Kind  string `json:"kind,omitempty"`
	Group string `json:"group,omitempty"`
}

// PrivateKey says what key to generate and when to make a new one.
//
// +k8s:deepcopy-gen=true
type PrivateKey struct {
	Algorithm      string `json:"algorithm,omitempty"`
	Size           int    `json:"size,omitempty"`
	RotationPolicy string `json:"rotationPolicy,omitempty"`
}
