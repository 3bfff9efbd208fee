//go:build e2e

package golden

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshrender/meshrender/golden/internal/simcluster"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// TestRemoteSecretReadsAsTheReader applies a fleet cluster's render to a
// real API server whose kube-controller-manager runs the token
// controller, which fills in the rendered token Secret of the reader
// ServiceAccount; `meshrender remote-secret` makes the remote secret from
// it, and what that kubeconfig reaches is the API server, verified by
// the CA the cluster published, as the reader: it reads what the rendered
// reader role grants and nothing else.
func TestRemoteSecretReadsAsTheReader(t *testing.T) {
	t.Parallel()
	m := fleetClusterMesh(t, "app-eu2")
	if err := checkRemoteSecret(t, m); err != nil {
		t.Fatal(err)
	}
}

// TestRemoteSecretCheckCatchesBrokenRenders: a token Secret of another
// ServiceAccount gives a kubeconfig that is not the reader's.
func TestRemoteSecretCheckCatchesBrokenRenders(t *testing.T) {
	t.Parallel()
	m := fleetClusterMesh(t, "app-eu2")
	m.Spec.Overlays = append(m.Spec.Overlays, v1alpha1.Overlay{
		Target: &v1alpha1.OverlayTarget{Kind: "Secret", Name: v1alpha1.ReaderTokenSecret, Namespace: "istio-system"},
		Patch:  `[{"op": "replace", "path": "/metadata/annotations/kubernetes.io~1service-account.name", "value": "istiod-1-31"}]`,
	})
	err := checkRemoteSecret(t, m)
	const want = "the remote secret authenticates as system:serviceaccount:istio-system:istiod-1-31"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("the check on a broken render reported %v, want a failure saying %q", err, want)
	}
	t.Logf("the check failed, as it must: %v", err)
}

// fleetClusterMesh is the Mesh of a cluster of the fleet example.
func fleetClusterMesh(t *testing.T, name string) v1alpha1.Mesh {
	t.Helper()
	f := fleetOfExample(t)
	m, err := f.Mesh(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkRemoteSecret applies the mesh to a fresh cluster, makes its remote
// secret and checks what the secret reaches the cluster as.
func checkRemoteSecret(t *testing.T, m v1alpha1.Mesh) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := renderYAML(m)
	if err != nil {
		t.Fatal(err)
	}
	server, client := newServer(t)
	c, err := simcluster.Start(ctx, simcluster.Options{
		BinDir: binDir, Dir: t.TempDir(), Server: server.Config,
		MoreControllers: []string{"serviceaccount-token-controller"},
		TokenSigningKey: server.ServiceAccountKeyFile(), RootCA: server.ServingCertificateFile(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("the cluster's logs:\n%s", c.Logs())
		}
	})
	rendered := parseRendered(t, out)
	installPrerequisitesFor(t, client, rendered.objs)
	if _, err := client.Apply(ctx, rendered.docs); err != nil {
		t.Fatalf("applying the rendered mesh: %v", err)
	}
	client.Warnings()
	secret, err := remoteSecretOf(ctx, t, c, server, client, m.Metadata.Name)
	if err != nil {
		t.Fatal(err)
	}
	if secret.Name != v1alpha1.RemoteSecretPrefix+m.Metadata.Name || secret.Labels[v1alpha1.LabelMultiCluster] != "true" {
		t.Errorf("remote secret %s labelled %v, want %s labelled %s", secret.Name, secret.Labels, v1alpha1.RemoteSecretPrefix+m.Metadata.Name, v1alpha1.LabelMultiCluster)
	}
	// The example keeps istiod in its default namespace.
	return checkReader(ctx, []byte(secret.StringData[m.Metadata.Name]), v1alpha1.DefaultIstiodNamespace)
}

// checkReader checks that a remote secret's kubeconfig verifies the API
// server and is the reader: it may list what istiod watches in a remote
// cluster and may not write.
func checkReader(ctx context.Context, kubeconfig []byte, ns string) error {
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("the remote secret's kubeconfig: %w", err)
	}
	if cfg.Insecure || len(cfg.CAData) == 0 {
		return errors.New("the remote secret's kubeconfig does not verify the API server")
	}
	reader, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	review, err := reader.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("the remote secret reaches no API server it trusts: %w", err)
	}
	want := "system:serviceaccount:" + ns + ":istio-reader-service-account"
	if got := review.Status.UserInfo.Username; got != want {
		return fmt.Errorf("the remote secret authenticates as %s, not %s", got, want)
	}
	if _, err := reader.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err != nil {
		return fmt.Errorf("the reader cannot list pods: %w", err)
	}
	if _, err := reader.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{}); err != nil {
		return fmt.Errorf("the reader cannot list endpoint slices: %w", err)
	}
	_, err = reader.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "written-by-a-reader"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		return fmt.Errorf("the reader may create a ConfigMap (err %v); it must only read", err)
	}
	return nil
}
