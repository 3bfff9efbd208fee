// Package remotesecret makes the remote secret through which one
// cluster's istiod reads another cluster's API server: a Secret in
// istiod's namespace, labelled istio/multiCluster, whose data key is the
// read cluster's name and whose value is a kubeconfig with the token of
// that cluster's reader ServiceAccount. Only the read cluster can issue
// the token, so the Secret is made from what that cluster holds: the
// token Secret meshrender renders there (spec.multiCluster.readerToken),
// which kube-controller-manager fills in.
package remotesecret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	clientcmdlatest "k8s.io/client-go/tools/clientcmd/api/latest"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// Options say which cluster to read and how others reach it.
type Options struct {
	// Cluster is the read cluster's name in the mesh: the Secret's data
	// key and name suffix.
	Cluster string
	// Namespace is istiod's namespace in both clusters (default
	// istio-system).
	Namespace string
	// Server is the URL other clusters reach the read cluster's API
	// server at (default: the one Config reaches it at).
	Server string
}

// Make reads the reader's token Secret from the cluster Config reaches
// and returns the remote secret for it.
func Make(ctx context.Context, config *rest.Config, o Options) (*corev1.Secret, error) {
	if o.Namespace == "" {
		o.Namespace = v1alpha1.DefaultIstiodNamespace
	}
	if o.Server == "" {
		o.Server = config.Host
	}
	client, err := corev1client.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	tok, err := client.Secrets(o.Namespace).Get(ctx, v1alpha1.ReaderTokenSecret, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("cluster %s has no Secret %s/%s: render it with spec.multiCluster.readerToken (a Fleet of several clusters sets it) and apply it there", o.Cluster, o.Namespace, v1alpha1.ReaderTokenSecret)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the reader's token in cluster %s: %w", o.Cluster, err)
	}
	if tok.Type != corev1.SecretTypeServiceAccountToken {
		return nil, fmt.Errorf("Secret %s/%s in cluster %s is of type %s, not %s", o.Namespace, tok.Name, o.Cluster, tok.Type, corev1.SecretTypeServiceAccountToken)
	}
	token := tok.Data[corev1.ServiceAccountTokenKey]
	if len(token) == 0 {
		return nil, fmt.Errorf("Secret %s/%s in cluster %s has no token yet: kube-controller-manager's token controller fills it in", o.Namespace, tok.Name, o.Cluster)
	}
	ca := tok.Data[corev1.ServiceAccountRootCAKey]
	if len(ca) == 0 {
		ca = config.CAData
	}
	if len(ca) == 0 {
		return nil, errors.New("neither the token Secret nor the kubeconfig has the cluster's CA; the remote secret would not verify the API server")
	}
	kubeconfig, err := Kubeconfig(o.Cluster, o.Server, ca, string(token))
	if err != nil {
		return nil, err
	}
	return Secret(o.Cluster, o.Namespace, kubeconfig), nil
}

// Kubeconfig is a kubeconfig that reaches server, verified against ca,
// as the holder of token, and nothing else.
func Kubeconfig(cluster, server string, ca []byte, token string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[cluster] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[cluster] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[cluster] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: cluster}
	cfg.CurrentContext = cluster
	out, err := runtimeEncode(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the kubeconfig: %w", err)
	}
	return out, nil
}

// runtimeEncode writes a kubeconfig in its v1 form, as YAML.
func runtimeEncode(cfg *clientcmdapi.Config) ([]byte, error) {
	obj, err := clientcmdlatest.Scheme.ConvertToVersion(cfg, clientcmdlatest.ExternalVersion)
	if err != nil {
		return nil, err
	}
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return yamlenc.FromJSON(nil, j)
}

// Secret is the remote secret for a cluster: istiod of any cluster it is
// applied to reads the cluster with the kubeconfig.
func Secret(cluster, namespace string, kubeconfig []byte) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{
			Name: v1alpha1.RemoteSecretPrefix + cluster, Namespace: namespace,
			Labels:      map[string]string{v1alpha1.LabelMultiCluster: "true"},
			Annotations: map[string]string{v1alpha1.AnnotationRemoteCluster: cluster},
		},
		StringData: map[string]string{cluster: string(kubeconfig)},
	}
}
