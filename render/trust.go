package render

import (
	"slices"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/externalsecrets"
)

// externalSecrets are what istiod's namespace gets from the secret store:
// a remote secret for every cluster istiod reads, and the plugged-in CA.
func (t *topology) externalSecrets() []typedObject {
	s := t.spec
	if !s.ReadsSecretStore() {
		return nil
	}
	v := externalsecrets.Values{
		Meta: t.meta(t.ClusterWide.Version), Namespace: s.Istiod.Namespace,
		Store:           externalsecrets.StoreRef{Name: s.SecretStore.Name, Kind: s.SecretStore.Kind},
		RefreshInterval: s.SecretStore.RefreshInterval,
	}
	var out []typedObject
	if s.Istiod.CA.Source == v1alpha1.CAExternalSecret {
		var data []externalsecrets.Data
		for _, k := range v1alpha1.CACertsKeys {
			data = append(data, externalsecrets.Data{SecretKey: k, RemoteRef: externalsecrets.RemoteRef{Key: s.Istiod.CA.Key, Property: k}})
		}
		out = append(out, externalsecrets.New(v, "cacerts", nil, data))
	}
	clusters := slices.Clone(s.MultiCluster.RemoteClusters)
	slices.Sort(clusters)
	for _, c := range clusters {
		name := v1alpha1.RemoteSecretPrefix + c
		out = append(out, externalsecrets.New(v, name,
			&externalsecrets.Template{Metadata: externalsecrets.TemplateMetadata{
				Labels:      map[string]string{v1alpha1.LabelMultiCluster: "true"},
				Annotations: map[string]string{v1alpha1.AnnotationRemoteCluster: c},
			}},
			[]externalsecrets.Data{{SecretKey: c, RemoteRef: externalsecrets.RemoteRef{Key: name, Property: c}}}))
	}
	return out
}
