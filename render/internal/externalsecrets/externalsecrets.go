// Package externalsecrets builds the ExternalSecrets meshrender renders
// for what a pure function cannot: credentials that only another cluster
// can issue (the remote secrets istiod reads other clusters with) and a
// plugged-in CA's keys. The External Secrets Operator copies them from a
// secret store into Secrets. The types hold the fields of
// external-secrets.io/v1 that meshrender sets, under their API names; the
// tests check every rendered object against the operator's own CRD from
// its pinned module.
package externalsecrets

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.36.3 --output-file zz_generated.deepcopy.go .

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Group is the operator's API group; APIVersion the version rendered.
const (
	Group      = "external-secrets.io"
	APIVersion = Group + "/v1"
)

// Store kinds.
const (
	KindClusterSecretStore = "ClusterSecretStore"
	KindSecretStore        = "SecretStore"
)

// ExternalSecret asks the operator for a Secret made of values from a
// store.
//
// +k8s:deepcopy-gen=true
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type ExternalSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ExternalSecretSpec `json:"spec"`
}

// ExternalSecretSpec says where the values come from and what Secret they
// make.
//
// +k8s:deepcopy-gen=true
type ExternalSecretSpec struct {
	SecretStoreRef  StoreRef         `json:"secretStoreRef"`
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`
	Target          Target           `json:"target"`
	Data            []Data           `json:"data"`
}

// StoreRef names a SecretStore (in the ExternalSecret's namespace) or a
// ClusterSecretStore.
//
// +k8s:deepcopy-gen=true
type StoreRef struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Target is the Secret the operator makes and owns.
//
// +k8s:deepcopy-gen=true
type Target struct {
	Name string `json:"name"`
	// CreationPolicy Owner: the Secret goes when the ExternalSecret does.
	CreationPolicy string `json:"creationPolicy"`
	// DeletionPolicy Retain keeps the Secret when the store loses the
	// value, so a store outage never takes a credential away.
	DeletionPolicy string    `json:"deletionPolicy"`
	Template       *Template `json:"template,omitempty"`
}

// Template sets the Secret's labels and annotations; its data are the
// values as the store holds them.
//
// +k8s:deepcopy-gen=true
type Template struct {
	Metadata TemplateMetadata `json:"metadata"`
}

// TemplateMetadata is the Secret's metadata.
//
// +k8s:deepcopy-gen=true
type TemplateMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Data is one key of the Secret and where its value is in the store.
//
// +k8s:deepcopy-gen=true
type Data struct {
	SecretKey string    `json:"secretKey"`
	RemoteRef RemoteRef `json:"remoteRef"`
}

// RemoteRef is a value in the store: a key, and a property of it when the
// key holds several.
//
// +k8s:deepcopy-gen=true
type RemoteRef struct {
	Key      string `json:"key"`
	Property string `json:"property,omitempty"`
}

// Values are what every ExternalSecret of a mesh shares.
type Values struct {
	Meta objects.Meta
	// Namespace holds the ExternalSecret and its Secret.
	Namespace string
	// Store is the store the values are read from.
	Store StoreRef
	// RefreshInterval is how often the operator reads the store again.
	RefreshInterval *metav1.Duration
}

// app names what meshrender renders for the operator.
const app = "istio-external-secrets"

// New is an ExternalSecret whose Secret has the ExternalSecret's name.
func New(v Values, name string, template *Template, data []Data) *ExternalSecret {
	return &ExternalSecret{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: "ExternalSecret"},
		ObjectMeta: v.Meta.ObjectMeta(name, v.Namespace, app, nil),
		Spec: ExternalSecretSpec{
			SecretStoreRef: v.Store, RefreshInterval: v.RefreshInterval,
			Target: Target{Name: name, CreationPolicy: "Owner", DeletionPolicy: "Retain", Template: template},
			Data:   data,
		},
	}
}
