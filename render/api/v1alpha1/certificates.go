package v1alpha1

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/render/internal/certmanager"
)

// Certificates are the gateways' TLS credentials, issued by a Vault PKI
// through cert-manager, and who may ask for more. cert-manager and its
// CRDs must be installed first; meshrender renders no part of
// cert-manager itself.
//
// +k8s:deepcopy-gen=true
type Certificates struct {
	// Issuer is the Vault issuer every certificate comes from.
	Issuer CertificateIssuer `json:"issuer,omitzero"`
	// CertManager is where cert-manager's controller runs.
	CertManager CertManager `json:"certManager,omitzero"`
	// Gateways are the credentials, each rendered into the namespace of
	// every gateway of its set, where the gateway reads it.
	Gateways []GatewayCertificate `json:"gateways,omitempty"`
	// Teams may create Certificates and Istio Gateways in the namespaces
	// of the gateways they are given.
	Teams []GatewayTeam `json:"teams,omitempty"`
}

// CertificateIssuer is a cert-manager issuer for a Vault PKI.
//
// +k8s:deepcopy-gen=true
type CertificateIssuer struct {
	// Name of the issuer (default vault).
	Name string `json:"name,omitempty"`
	// Kind is ClusterIssuer (default), one for all gateways, or Issuer,
	// one in each gateway namespace that has certificates.
	Kind  string      `json:"kind,omitempty"`
	Vault VaultConfig `json:"vault,omitzero"`
}

// VaultConfig is where Vault is and how cert-manager logs in to it: with
// a short-lived token of a ServiceAccount of its own, never a long-lived
// token Secret.
//
// +k8s:deepcopy-gen=true
type VaultConfig struct {
	// Server is Vault's https URL. Required.
	Server string `json:"server,omitempty"`
	// Path is the PKI engine's signing path, such as
	// pki_int/sign/example-dot-com. Required.
	Path string `json:"path,omitempty"`
	// Namespace is the Vault Enterprise namespace, if any.
	Namespace string `json:"namespace,omitempty"`
	// CABundle is the PEM of the CAs Vault's certificate is checked
	// against (default cert-manager's own trust store).
	CABundle string `json:"caBundle,omitempty"`
	// Role is the role of Vault's Kubernetes auth method bound to the
	// ServiceAccount. Required.
	Role string `json:"role,omitempty"`
	// MountPath is where that auth method is mounted (default
	// /v1/auth/kubernetes).
	MountPath string `json:"mountPath,omitempty"`
	// ServiceAccount is the ServiceAccount the role is bound to (default
	// vault-issuer), in cert-manager's namespace for a ClusterIssuer, in
	// each gateway namespace for an Issuer.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// Audiences are extra audiences of its tokens.
	Audiences []string `json:"audiences,omitempty"`
}

// CertManager is where cert-manager runs: its namespace, the cluster
// resource namespace a ClusterIssuer's ServiceAccount lives in, and its
// controller's ServiceAccount, which requests the tokens.
//
// +k8s:deepcopy-gen=true
type CertManager struct {
	// Namespace defaults to cert-manager.
	Namespace string `json:"namespace,omitempty"`
	// ServiceAccount defaults to cert-manager.
	ServiceAccount string `json:"serviceAccount,omitempty"`
}

// GatewayCertificate is a gateway credential: a Certificate whose Secret
// a Gateway's server names as credentialName.
//
// +k8s:deepcopy-gen=true
type GatewayCertificate struct {
	// Name of the Certificate, and of its Secret unless SecretName says
	// otherwise.
	Name string `json:"name"`
	// Gateway is the set of gateways that serve it: "ingress" (the
	// gateways of spec.ingress, zonal ones included), an exposure class's
	// name, or "egress".
	Gateway string `json:"gateway"`
	// DNSNames are the names the certificate is for. Required.
	DNSNames []string `json:"dnsNames"`
	// CommonName, if any, must be one of DNSNames.
	CommonName string `json:"commonName,omitempty"`
	// SecretName is the credentialName (default Name).
	SecretName string `json:"secretName,omitempty"`
	// Duration and RenewBefore default to cert-manager's (90 days, and a
	// third of it).
	Duration    *metav1.Duration `json:"duration,omitempty"`
	RenewBefore *metav1.Duration `json:"renewBefore,omitempty"`
	// PrivateKeyAlgorithm is RSA, ECDSA (default) or Ed25519; a new key
	// is made at every renewal.
	PrivateKeyAlgorithm string `json:"privateKeyAlgorithm,omitempty"`
}

// GatewayTeam is an application team allowed to create Certificates and
// Istio Gateways in the namespaces of its gateways.
//
// +k8s:deepcopy-gen=true
type GatewayTeam struct {
	// Name names the team's RoleBindings (<name>-gateway-config).
	Name string `json:"name"`
	// Gateways are gateway sets as in GatewayCertificate.Gateway.
	Gateways []string `json:"gateways"`
	// Groups, Users and ServiceAccounts (namespace/name) are the team's
	// members; at least one is required.
	Groups          []string `json:"groups,omitempty"`
	Users           []string `json:"users,omitempty"`
	ServiceAccounts []string `json:"serviceAccounts,omitempty"`
}

// Defaults and names of the certificate layer.
const (
	DefaultIssuerName          = "vault"
	DefaultVaultServiceAccount = "vault-issuer"
	DefaultCertManagerName     = "cert-manager"
	// GatewaySetIngress and GatewaySetEgress name the gateway sets of
	// spec.ingress and spec.egress; an exposure class's set is its name.
	GatewaySetIngress = "ingress"
	GatewaySetEgress  = "egress"
	// GatewaySetEastWest is the set of the east-west gateway.
	GatewaySetEastWest = "eastwest"
	// GatewayConfigRole is the ClusterRole teams are bound to.
	GatewayConfigRole = "istio-gateway-config"
)

// IsZero reports certificates that set nothing.
func (c *Certificates) IsZero() bool {
	return c.Issuer.isZero() && len(c.Gateways) == 0 && len(c.Teams) == 0
}

func (i *CertificateIssuer) isZero() bool {
	return i.Name == "" && i.Kind == "" && i.Vault.Server == "" && i.Vault.Path == "" && i.Vault.Role == ""
}

func (c *Certificates) setDefaults() {
	if c.IsZero() {
		return
	}
	if c.Issuer.Name == "" {
		c.Issuer.Name = DefaultIssuerName
	}
	if c.Issuer.Kind == "" {
		c.Issuer.Kind = certmanager.KindClusterIssuer
	}
	v := &c.Issuer.Vault
	if v.MountPath == "" {
		v.MountPath = "/v1/auth/kubernetes"
	}
	if v.ServiceAccount == "" {
		v.ServiceAccount = DefaultVaultServiceAccount
	}
	if c.CertManager.Namespace == "" {
		c.CertManager.Namespace = DefaultCertManagerName
	}
	if c.CertManager.ServiceAccount == "" {
		c.CertManager.ServiceAccount = DefaultCertManagerName
	}
	for i := range c.Gateways {
		g := &c.Gateways[i]
		if g.SecretName == "" {
			g.SecretName = g.Name
		}
		if g.PrivateKeyAlgorithm == "" {
			g.PrivateKeyAlgorithm = "ECDSA"
		}
	}
}

func (t *Topology) validateCertificates(p *problems) {
	c := &t.spec.Certificates
	const field = "spec.certificates"
	if c.IsZero() {
		return
	}
	f := field + ".issuer"
	for _, msg := range validation.IsDNS1123Subdomain(c.Issuer.Name) {
		p.add(f+".name", "%q is not an issuer name: %s", c.Issuer.Name, msg)
	}
	p.checkEnum(f+".kind", "CertificateIssuer.Kind", c.Issuer.Kind)
	v := &c.Issuer.Vault
	f += ".vault"
	if v.Server == "" {
		p.add(f+".server", "must name Vault's https URL")
	} else if !isHTTPSURL(v.Server) {
		p.add(f+".server", "%q is not an https URL; certificates and tokens must not travel in the clear", v.Server)
	}
	if v.Path == "" {
		p.add(f+".path", "must name the PKI engine's signing path, such as pki_int/sign/example-dot-com")
	} else if strings.HasPrefix(v.Path, "/") || !strings.Contains(v.Path, "/") {
		p.add(f+".path", "%q is not a path such as pki_int/sign/example-dot-com", v.Path)
	}
	if v.Role == "" {
		p.add(f+".role", "must name the Vault role bound to the ServiceAccount")
	}
	if !strings.HasPrefix(v.MountPath, "/v1/") {
		p.add(f+".mountPath", "%q is not a Vault API path such as /v1/auth/kubernetes", v.MountPath)
	}
	for _, msg := range validation.IsDNS1123Subdomain(v.ServiceAccount) {
		p.add(f+".serviceAccount", "%q is not a ServiceAccount name: %s", v.ServiceAccount, msg)
	}
	if v.CABundle != "" && !validPEMCertificates(v.CABundle) {
		p.add(f+".caBundle", "is not PEM of one or more certificates")
	}
	for _, msg := range validation.IsDNS1123Label(c.CertManager.Namespace) {
		p.add(field+".certManager.namespace", "%q is not a namespace name: %s", c.CertManager.Namespace, msg)
	}
	sets := t.Sets
	checkSet := func(f, set string) {
		if _, ok := sets[set]; !ok {
			p.add(f, "%q is no gateway of the mesh; gateway sets are %q", set, sortedKeys(sets))
		}
	}
	secrets := map[string]string{} // namespace/secret -> field
	names := map[string]string{}   // gateway set/certificate -> field
	for i, g := range c.Gateways {
		f := fmt.Sprintf("%s.gateways[%d]", field, i)
		for _, msg := range validation.IsDNS1123Subdomain(g.Name) {
			p.add(f+".name", "%q is not a Certificate name: %s", g.Name, msg)
		}
		checkSet(f+".gateway", g.Gateway)
		if other, ok := names[g.Gateway+"/"+g.Name]; ok {
			p.add(f+".name", "duplicate Certificate %q for gateway set %q (also %s)", g.Name, g.Gateway, other)
		}
		names[g.Gateway+"/"+g.Name] = f
		if len(g.DNSNames) == 0 {
			p.add(f+".dnsNames", "must name at least one host")
		}
		for k, d := range g.DNSNames {
			for _, msg := range validation.IsWildcardDNS1123Subdomain(d) {
				if validation.IsDNS1123Subdomain(d) != nil {
					p.add(fmt.Sprintf("%s.dnsNames[%d]", f, k), "%q is not a host name: %s", d, msg)
				}
			}
		}
		if g.CommonName != "" && !slices.Contains(g.DNSNames, g.CommonName) {
			p.add(f+".commonName", "%q must be one of dnsNames", g.CommonName)
		}
		for _, msg := range validation.IsDNS1123Subdomain(g.SecretName) {
			p.add(f+".secretName", "%q is not a Secret name: %s", g.SecretName, msg)
		}
		p.checkEnum(f+".privateKeyAlgorithm", "GatewayCertificate.PrivateKeyAlgorithm", g.PrivateKeyAlgorithm)
		if g.Duration != nil && g.RenewBefore != nil && g.RenewBefore.Duration >= g.Duration.Duration {
			p.add(f+".renewBefore", "%s is not shorter than the duration %s", g.RenewBefore.Duration, g.Duration.Duration)
		}
		for _, ns := range sets[g.Gateway] {
			key := ns + "/" + g.SecretName
			if other, ok := secrets[key]; ok {
				p.add(f+".secretName", "%q in namespace %s is also the Secret of %s", g.SecretName, ns, other)
			}
			secrets[key] = f
		}
	}
	teams := map[string]int{}
	for i, team := range c.Teams {
		f := fmt.Sprintf("%s.teams[%d]", field, i)
		for _, msg := range validation.IsDNS1123Label(team.Name) {
			p.add(f+".name", "%q is not a DNS label: %s", team.Name, msg)
		}
		if j, ok := teams[team.Name]; ok {
			p.add(f+".name", "duplicate team %q (also %s.teams[%d])", team.Name, field, j)
		}
		teams[team.Name] = i
		if len(team.Gateways) == 0 {
			p.add(f+".gateways", "must name at least one gateway set")
		}
		for k, set := range team.Gateways {
			fk := fmt.Sprintf("%s.gateways[%d]", f, k)
			checkSet(fk, set)
			if j := slices.Index(team.Gateways, set); j < k {
				p.add(fk, "duplicate gateway set %q (also %s.gateways[%d])", set, f, j)
			}
		}
		if len(team.Groups)+len(team.Users)+len(team.ServiceAccounts) == 0 {
			p.add(f, "needs groups, users or serviceAccounts")
		}
		for k, sa := range team.ServiceAccounts {
			ns, name, ok := strings.Cut(sa, "/")
			if !ok || validation.IsDNS1123Label(ns) != nil || validation.IsDNS1123Subdomain(name) != nil {
				p.add(fmt.Sprintf("%s.serviceAccounts[%d]", f, k), "%q is not namespace/name of a ServiceAccount", sa)
			}
		}
	}
}

// validPEMCertificates reports PEM holding only parseable certificates.
func validPEMCertificates(data string) bool {
	rest := []byte(data)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return false
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return false
		}
		n++
	}
	return n > 0 && len(strings.TrimSpace(string(rest))) == 0
}
