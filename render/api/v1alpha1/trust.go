package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshrender/meshrender/render/internal/certmanager"
	"github.com/meshrender/meshrender/render/internal/externalsecrets"
)

// SecretStore is the External Secrets Operator's store that what a pure
// render cannot make comes from: other clusters' remote secrets and a
// plugged-in CA's keys. The operator and the store must be installed
// first; meshrender renders only the ExternalSecrets.
//
// +k8s:deepcopy-gen=true
type SecretStore struct {
	// Name of the store. Required when anything reads from it.
	Name string `json:"name,omitempty"`
	// Kind is ClusterSecretStore (default) or SecretStore, one in
	// istiod's namespace.
	Kind string `json:"kind,omitempty"`
	// RefreshInterval is how often the operator reads the store again
	// (default 1h): a rotated credential reaches istiod within it.
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`
}

// CA is where istiod's certificate authority comes from.
//
// +k8s:deepcopy-gen=true
type CA struct {
	// Source is SelfSigned (default: istiod makes its own root, so each
	// cluster trusts only itself), Secret (a cacerts Secret in istiod's
	// namespace that something other than meshrender puts there), or
	// ExternalSecret (cacerts copied from spec.secretStore), or
	// CertManager (an intermediate of the cluster's own, issued into
	// cacerts by spec.certificates.issuer, which must be a ClusterIssuer
	// whose Vault path signs intermediates). With a plugged-in CA istiod
	// signs with an intermediate of one root that every cluster of a mesh
	// shares, and it does not start until cacerts exists, so it never
	// issues certificates of a root of its own.
	Source string `json:"source,omitempty"`
	// Key is the store's key holding the intermediate (default
	// istio-cacerts-<clusterName>), with the properties ca-cert.pem,
	// ca-key.pem, root-cert.pem and cert-chain.pem, the names of the
	// cacerts Secret istiod reads.
	Key string `json:"key,omitempty"`
}

// Sources of istiod's CA.
const (
	CASelfSigned     = "SelfSigned"
	CASecret         = "Secret"
	CAExternalSecret = "ExternalSecret"
	CACertManager    = "CertManager"
)

// CACertsKeys are the keys of a plugged-in CA's cacerts Secret.
var CACertsKeys = []string{"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"}

// PluggedCA reports whether istiod signs with a CA from cacerts.
func (s *MeshSpec) PluggedCA() bool {
	switch s.Istiod.CA.Source {
	case CASecret, CAExternalSecret, CACertManager:
		return true
	}
	return false
}

// ReadsSecretStore reports whether anything is rendered from the store.
func (s *MeshSpec) ReadsSecretStore() bool {
	return len(s.MultiCluster.RemoteClusters) > 0 || s.Istiod.CA.Source == CAExternalSecret
}

func (s *MeshSpec) setTrustDefaults() {
	if s.Istiod.CA.Source == "" {
		s.Istiod.CA.Source = CASelfSigned
	}
	if s.Istiod.CA.Source == CAExternalSecret && s.Istiod.CA.Key == "" {
		s.Istiod.CA.Key = "istio-cacerts-" + s.MultiCluster.ClusterName
	}
	st := &s.SecretStore
	if st.Name == "" && !s.ReadsSecretStore() {
		return
	}
	if st.Kind == "" {
		st.Kind = externalsecrets.KindClusterSecretStore
	}
	if st.RefreshInterval == nil {
		st.RefreshInterval = &metav1.Duration{Duration: 3600e9}
	}
}

func (s *MeshSpec) validateTrust(p *problems) {
	p.checkEnum("spec.istiod.ca.source", "CA.Source", s.Istiod.CA.Source)
	if s.Istiod.CA.Key != "" && s.Istiod.CA.Source != CAExternalSecret {
		p.add("spec.istiod.ca.key", "names a key of the secret store, read only when spec.istiod.ca.source is %s", CAExternalSecret)
	}
	if s.Istiod.CA.Source == CACertManager {
		switch c := &s.Certificates; {
		case c.IsZero():
			p.add("spec.istiod.ca.source", "%s issues istiod's intermediate from spec.certificates.issuer; configure it", CACertManager)
		case c.Issuer.Kind != certmanager.KindClusterIssuer:
			p.add("spec.istiod.ca.source", "%s needs spec.certificates.issuer.kind %s: an %s is rendered only in the gateways' namespaces", CACertManager, certmanager.KindClusterIssuer, c.Issuer.Kind)
		}
	}
	st := &s.SecretStore
	if st.Name == "" {
		if len(s.MultiCluster.RemoteClusters) > 0 {
			p.add("spec.secretStore.name", "the remote secrets of spec.multiCluster.remoteClusters come from a secret store; name it, or leave remoteClusters empty and apply the output of `meshrender remote-secret` for each")
		}
		if s.Istiod.CA.Source == CAExternalSecret {
			p.add("spec.secretStore.name", "spec.istiod.ca.source %s reads cacerts from a secret store; name it", CAExternalSecret)
		}
		return
	}
	for _, msg := range validation.IsDNS1123Subdomain(st.Name) {
		p.add("spec.secretStore.name", "%q is not a store name: %s", st.Name, msg)
	}
	p.checkEnum("spec.secretStore.kind", "SecretStore.Kind", st.Kind)
	if st.RefreshInterval != nil && st.RefreshInterval.Duration < 0 {
		p.add("spec.secretStore.refreshInterval", "must not be negative")
	}
}
