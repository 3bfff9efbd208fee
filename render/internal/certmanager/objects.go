package certmanager

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// app names what meshrender renders for cert-manager.
const app = "cert-manager-vault"

// Issuer kinds.
const (
	KindIssuer        = "Issuer"
	KindClusterIssuer = "ClusterIssuer"
)

// IssuerValues are what a Vault issuer is built from.
type IssuerValues struct {
	Meta objects.Meta
	// Name of the issuer, and Kind: Issuer or ClusterIssuer.
	Name, Kind string
	// Namespace holds the issuer when it is an Issuer, and its
	// ServiceAccount either way: for a ClusterIssuer, cert-manager's
	// cluster resource namespace.
	Namespace string
	Vault     VaultIssuer
	// ServiceAccount is the one Vault's role is bound to; cert-manager
	// requests its tokens.
	ServiceAccount string
	// TokenAudiences are extra audiences of its tokens.
	TokenAudiences []string
	// CertManager is cert-manager's controller ServiceAccount, which
	// requests the tokens: namespace and name.
	CertManagerNamespace, CertManagerServiceAccount string
}

// IssuerObjects are a Vault issuer that logs in with a bound token of its
// own ServiceAccount, never with a long-lived token Secret, that
// ServiceAccount, and a Role and RoleBinding that let cert-manager create
// tokens for it and for nothing else.
func IssuerObjects(v IssuerValues) []objects.Object {
	ns := v.Namespace
	meta := v.Meta.ObjectMeta(v.Name, ns, app, nil)
	if v.Kind == KindClusterIssuer {
		meta.Namespace = ""
	}
	vault := v.Vault
	vault.Auth = VaultAuth{Kubernetes: &VaultKubernetesAuth{
		Path: v.Vault.Auth.Kubernetes.Path, Role: v.Vault.Auth.Kubernetes.Role,
		ServiceAccountRef: &ServiceAccountRef{Name: v.ServiceAccount, TokenAudiences: v.TokenAudiences},
	}}
	tokenCreator := v.ServiceAccount + "-token-creator"
	return []objects.Object{
		&Issuer{
			TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: v.Kind},
			ObjectMeta: meta,
			Spec:       IssuerSpec{Vault: &vault},
		},
		&corev1.ServiceAccount{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: v.Meta.ObjectMeta(v.ServiceAccount, ns, app, nil),
			// cert-manager requests tokens through the API; nothing mounts one.
			AutomountServiceAccountToken: new(false),
		},
		&rbacv1.Role{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
			ObjectMeta: v.Meta.ObjectMeta(tokenCreator, ns, app, nil),
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"},
				ResourceNames: []string{v.ServiceAccount}, Verbs: []string{"create"},
			}},
		},
		&rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: v.Meta.ObjectMeta(tokenCreator, ns, app, nil),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: tokenCreator},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: v.CertManagerServiceAccount, Namespace: v.CertManagerNamespace}},
		},
	}
}

// NewCertificate is a Certificate in a gateway's namespace, where the
// gateway reads its Secret.
func NewCertificate(meta objects.Meta, namespace, name string, spec CertificateSpec) *Certificate {
	return &Certificate{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: "Certificate"},
		ObjectMeta: meta.ObjectMeta(name, namespace, app, nil),
		Spec:       spec,
	}
}

// GatewayConfigRole is the ClusterRole application teams are bound to in
// the gateway namespaces: the Certificates and Istio Gateways their
// services are exposed with, and reading what cert-manager makes of them.
func GatewayConfigRole(meta objects.Meta, name string) *rbacv1.ClusterRole {
	write := []string{"create", "get", "list", "watch", "update", "patch", "delete"}
	read := []string{"get", "list", "watch"}
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: meta.ObjectMeta(name, "", "gateway-config", nil),
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{Group}, Resources: []string{"certificates"}, Verbs: write},
			{APIGroups: []string{Group}, Resources: []string{"certificaterequests"}, Verbs: read},
			{APIGroups: []string{"networking.istio.io"}, Resources: []string{"gateways"}, Verbs: write},
		},
	}
}

// TeamBinding binds a team to the gateway config role in one gateway
// namespace.
func TeamBinding(meta objects.Meta, namespace, name, role string, subjects []rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: meta.ObjectMeta(name, namespace, "gateway-config", nil),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   subjects,
	}
}
