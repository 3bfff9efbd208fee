package render

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/certmanager"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// certificatesOf are the certificates of a gateway set.
func (t *topology) certificatesOf(set string) []v1alpha1.GatewayCertificate {
	var out []v1alpha1.GatewayCertificate
	for _, g := range t.spec.Certificates.Gateways {
		if g.Gateway == set {
			out = append(out, g)
		}
	}
	return out
}

// teamsOf are the teams that configure a gateway set.
func (t *topology) teamsOf(set string) []v1alpha1.GatewayTeam {
	var out []v1alpha1.GatewayTeam
	for _, team := range t.spec.Certificates.Teams {
		if slices.Contains(team.Gateways, set) {
			out = append(out, team)
		}
	}
	return out
}

// issuerComponents plans what the certificates of every gateway share,
// in policies/certificate-issuer: a cluster issuer with its
// ServiceAccount and RBAC, and the ClusterRole the teams are bound to.
//
// When the issuer also issues istiod's intermediate CA, the component is
// part of the control plane, with the intermediate's Certificate: istiod
// waits for its cacerts, so the issuer must come with it, not after.
func issuerComponents(t *topology) []component {
	c := &t.spec.Certificates
	clusterIssuer := !c.IsZero() && c.Issuer.Kind == certmanager.KindClusterIssuer
	if !clusterIssuer && len(c.Teams) == 0 {
		return nil
	}
	issuesCA := t.spec.Istiod.CA.Source == v1alpha1.CACertManager
	layer := LayerPolicies
	if issuesCA {
		layer = LayerControlPlane
	}
	return []component{policyComponent(layer, "certificate-issuer", "spec.certificates", func() []typedObject {
		meta := t.meta(t.ClusterWide.Version)
		var out []typedObject
		if clusterIssuer {
			out = append(out, certmanager.IssuerObjects(issuerValues(c, meta, c.CertManager.Namespace))...)
		}
		if issuesCA {
			out = append(out, t.intermediateCA(meta))
		}
		if len(c.Teams) > 0 {
			out = append(out, certmanager.GatewayConfigRole(meta, v1alpha1.GatewayConfigRole))
		}
		return out
	})}
}

// issuerValues are what the issuer is built from, for a namespace (the
// gateway namespace of an Issuer, cert-manager's of a ClusterIssuer).
func issuerValues(c *v1alpha1.Certificates, meta objects.Meta, namespace string) certmanager.IssuerValues {
	v := c.Issuer.Vault
	return certmanager.IssuerValues{
		Meta: meta, Name: c.Issuer.Name, Kind: c.Issuer.Kind, Namespace: namespace,
		Vault: certmanager.VaultIssuer{
			Server: v.Server, Path: v.Path, Namespace: v.Namespace, CABundle: []byte(v.CABundle),
			Auth: certmanager.VaultAuth{Kubernetes: &certmanager.VaultKubernetesAuth{Path: v.MountPath, Role: v.Role}},
		},
		ServiceAccount: v.ServiceAccount, TokenAudiences: v.Audiences,
		CertManagerNamespace: c.CertManager.Namespace, CertManagerServiceAccount: c.CertManager.ServiceAccount,
	}
}

// certificate is a gateway credential in one of its gateways' namespaces.
func certificate(c *v1alpha1.Certificates, meta objects.Meta, namespace string, g v1alpha1.GatewayCertificate) typedObject {
	return certmanager.NewCertificate(meta, namespace, g.Name, certmanager.CertificateSpec{
		SecretName: g.SecretName,
		IssuerRef:  certmanager.IssuerRef{Name: c.Issuer.Name, Kind: c.Issuer.Kind, Group: certmanager.Group},
		CommonName: g.CommonName, DNSNames: g.DNSNames, Duration: g.Duration, RenewBefore: g.RenewBefore,
		PrivateKey: &certmanager.PrivateKey{Algorithm: g.PrivateKeyAlgorithm, RotationPolicy: "Always"},
		Usages:     usages(g.PrivateKeyAlgorithm),
	})
}

// intermediateCA is the Certificate of istiod's intermediate CA, in the
// cacerts Secret istiod reads (cert-manager's tls.crt, tls.key and
// ca.crt, which istiod takes as the intermediate, its key and the root).
func (t *topology) intermediateCA(meta objects.Meta) typedObject {
	c := &t.spec.Certificates
	return certmanager.NewCertificate(meta, t.spec.Istiod.Namespace, "istio-ca", certmanager.CertificateSpec{
		SecretName: "cacerts",
		IssuerRef:  certmanager.IssuerRef{Name: c.Issuer.Name, Kind: c.Issuer.Kind, Group: certmanager.Group},
		CommonName: t.spec.MultiCluster.ClusterName,
		Subject:    &certmanager.Subject{Organizations: []string{t.TrustDomain}},
		IsCA:       true,
		PrivateKey: &certmanager.PrivateKey{Algorithm: "ECDSA", RotationPolicy: "Always"},
		Usages:     []string{"cert sign", "crl sign", "digital signature"},
	})
}

// usages are a TLS server's key usages: RSA keys also encipher the
// session key, which ECDSA and Ed25519 keys never do.
func usages(algorithm string) []string {
	if algorithm == "RSA" {
		return []string{"server auth", "digital signature", "key encipherment"}
	}
	return []string{"server auth", "digital signature"}
}

// subjects are a team's members as RBAC subjects.
func subjects(t v1alpha1.GatewayTeam) []rbacv1.Subject {
	var out []rbacv1.Subject
	for _, g := range t.Groups {
		out = append(out, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: g})
	}
	for _, u := range t.Users {
		out = append(out, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u})
	}
	for _, sa := range t.ServiceAccounts {
		ns, name, _ := strings.Cut(sa, "/")
		out = append(out, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name})
	}
	return out
}
