//go:build e2e

package golden

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/istioproc"
	"github.com/meshrender/meshrender/golden/internal/simcluster"
	"github.com/meshrender/meshrender/plugin/cli"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// The service that runs only in the second cluster, and the address the
// cloud gives that cluster's east-west gateway.
const (
	remoteService   = "reviews"
	eastWestAddress = "192.0.2.20"
)

// TestMultiClusterAcrossNetworks runs two clusters of the fleet example
// on two networks, each a real API server with its real istiod signing
// with an intermediate of one root (the cacerts a secret store would
// provide). The first cluster's istiod reads the second through the
// remote secret `meshrender remote-secret` makes from the second's
// rendered reader token, so RBAC is exactly the rendered reader's: a
// Service whose endpoints are only in the second cluster reaches a
// sidecar agent in the first over EDS as the second network's east-west
// gateway, never as the unreachable pod address.
func TestMultiClusterAcrossNetworks(t *testing.T) {
	t.Parallel()
	if err := runTwoClusters(t, fleetClusterMesh(t, "app-eu1"), fleetClusterMesh(t, "app-eu2")); err != nil {
		t.Fatal(err)
	}
}

// TestMultiClusterCheckCatchesBrokenRenders: with the second cluster on
// the first one's network, its pods would be reached directly, and the
// check that they are reached through the east-west gateway fails.
func TestMultiClusterCheckCatchesBrokenRenders(t *testing.T) {
	t.Parallel()
	b := fleetClusterMesh(t, "app-eu2")
	b.Spec.MultiCluster.Network = "eu-west"
	err := runTwoClusters(t, fleetClusterMesh(t, "app-eu1"), b)
	// kwok gives pods addresses of 10.244.0.0/16.
	want := fmt.Sprintf("reaches %s only at [10.244.", remoteService)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("the check on a broken render reported %v, want a failure saying %q", err, want)
	}
	t.Logf("the check failed, as it must: %s", strings.SplitN(err.Error(), "\n", 2)[0])
}

// runTwoClusters starts cluster b, then cluster a reading b, and checks
// what a's sidecar gets for b's service.
func runTwoClusters(t *testing.T, a, b v1alpha1.Mesh) error {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	root := newTestCA(t)
	streamA, err := renderYAML(a)
	if err != nil {
		t.Fatal(err)
	}
	streamB, err := renderYAML(b)
	if err != nil {
		t.Fatal(err)
	}
	// Cluster b: its token controller fills in the reader's token.
	serverB, clientB := newServer(t)
	cb, err := simcluster.Start(ctx, simcluster.Options{
		BinDir: binDir, Dir: t.TempDir(), Server: serverB.Config,
		Nodes:           simcluster.NodesInZones([]string{"zone-b"}, 1),
		MoreControllers: []string{"serviceaccount-token-controller"},
		TokenSigningKey: serverB.ServiceAccountKeyFile(), RootCA: serverB.ServingCertificateFile(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cb.Stop)
	meshB := startMeshOn(ctx, t, serverB, clientB, streamB, jsonDocs(t, root.cacerts(t, b.Metadata.Name)))
	if err := exposeRemoteService(ctx, t, cb, meshB); err != nil {
		t.Fatal(err)
	}
	remote, err := remoteSecretOf(ctx, t, cb, serverB, clientB, b.Metadata.Name)
	if err != nil {
		t.Fatal(err)
	}
	serverA, clientA := newServer(t)
	meshA := startMeshOn(ctx, t, serverA, clientA, streamA, jsonDocs(t, root.cacerts(t, a.Metadata.Name), remote))
	// One trust: both istiods sign with the fleet's root.
	for _, m := range []*runningMesh{meshA, meshB} {
		got, err := m.caRoot(ctx)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, root.pem) {
			return errors.New("an istiod's root is not the fleet's")
		}
	}
	pod, err := meshA.injectedPod(ctx, t, "shop", "client", map[string]string{"app": "client"})
	if err != nil {
		return err
	}
	host := "outbound|9080||" + remoteService + ".shop.svc.cluster.local"
	want := eastWestAddress + ":15443"
	short, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	return meshA.checkProxy(short, t, proxyRun{
		dir: "client", namespace: pod.Namespace, name: pod.Name,
		template:    corev1.PodTemplateSpec{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec},
		checkConfig: func(map[string]any) error { return nil },
		xds: func(ctx context.Context, agent *istioproc.Agent) error {
			return agent.XDS(ctx, "endpoints", func(got []map[string]any) error {
				i := slices.IndexFunc(got, func(r map[string]any) bool { return r["cluster_name"] == host })
				if i < 0 {
					return fmt.Errorf("no endpoints of %s", host)
				}
				assignment := got[i]
				at := []string{}
				localities, _ := assignment["endpoints"].([]any)
				for _, l := range localities {
					lbs, _ := fieldOf(l, "lb_endpoints").([]any)
					for _, lb := range lbs {
						sa := fieldMap(lb, "endpoint", "address", "socket_address")
						at = append(at, fmt.Sprintf("%v:%v", sa["address"], sa["port_value"]))
					}
				}
				if len(at) != 1 || at[0] != want {
					return fmt.Errorf("the sidecar in %s reaches %s only at %v, want %s's east-west gateway %s", a.Metadata.Name, remoteService, at, b.Metadata.Name, want)
				}
				return nil
			})
		},
	})
}

// fieldOf is a field of a JSON object, or nil.
func fieldOf(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

// exposeRemoteService gives the cluster's east-west gateway the address
// its cloud would, and runs an injected pod behind a Service: the
// cluster's scheduler places it, kwok runs it and its EndpointSlice
// controller makes the Service's endpoints.
func exposeRemoteService(ctx context.Context, t *testing.T, c *simcluster.Cluster, m *runningMesh) error {
	kube := m.client.Kube
	ns := v1alpha1.DefaultEastWestNamespace
	gateways, err := kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{LabelSelector: v1alpha1.LabelNetwork})
	if err != nil {
		return err
	}
	// Its load balancer is what other networks reach.
	gateways.Items = slices.DeleteFunc(gateways.Items, func(s corev1.Service) bool { return s.Spec.Type != corev1.ServiceTypeLoadBalancer })
	if len(gateways.Items) != 1 {
		return fmt.Errorf("%d load balancers labelled with a network in %s, want the east-west gateway's", len(gateways.Items), ns)
	}
	gw := gateways.Items[0]
	gw.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: eastWestAddress}}
	if _, err := kube.CoreV1().Services(ns).UpdateStatus(ctx, &gw, metav1.UpdateOptions{}); err != nil {
		return err
	}
	labels := map[string]string{"app": remoteService}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: remoteService, Namespace: "shop"},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Name: "http", Port: 9080}}},
	}
	if _, err := kube.CoreV1().Services("shop").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return err
	}
	pod, err := m.injectedPod(ctx, t, "shop", remoteService, labels)
	if err != nil {
		return err
	}
	var ip string
	if err := c.WaitFor(ctx, "the pod of "+remoteService+" running", func() error {
		p, err := kube.CoreV1().Pods("shop").Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if ip = p.Status.PodIP; ip == "" {
			return errors.New("no address yet")
		}
		return nil
	}); err != nil {
		return err
	}
	// The Service's EndpointSlice, as the EndpointSlice controller makes
	// it. The controller itself does not run: it would take over the
	// EndpointSlices through which the API server reaches istiod's
	// webhooks on loopback.
	port, ready := int32(9080), true
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: remoteService + "-1", Namespace: "shop", Labels: map[string]string{discoveryv1.LabelServiceName: remoteService}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: pod.Name, UID: pod.UID},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: new("http"), Port: &port}},
	}
	_, err = kube.DiscoveryV1().EndpointSlices("shop").Create(ctx, slice, metav1.CreateOptions{})
	return err
}

// remoteSecretOf waits for the cluster's reader token and returns the
// remote secret `meshrender remote-secret` makes of it.
func remoteSecretOf(ctx context.Context, t *testing.T, c *simcluster.Cluster, server *apiserver.Server, client *apiserver.Client, cluster string) (*corev1.Secret, error) {
	ns := v1alpha1.DefaultIstiodNamespace
	if err := c.WaitFor(ctx, "the reader's token", func() error {
		s, err := client.Kube.CoreV1().Secrets(ns).Get(ctx, v1alpha1.ReaderTokenSecret, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(s.Data[corev1.ServiceAccountTokenKey]) == 0 {
			return errors.New("no token yet")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := apiserver.WriteKubeconfig(kubeconfig, server.Config); err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Main([]string{"remote-secret", "--kubeconfig", kubeconfig, "--cluster", cluster}, nil, &stdout, &stderr); code != 0 {
		return nil, fmt.Errorf("meshrender remote-secret exited %d: %s", code, stderr.String())
	}
	var secret corev1.Secret
	if err := yaml.UnmarshalStrict(stdout.Bytes(), &secret); err != nil {
		return nil, fmt.Errorf("the remote secret: %w\n%s", err, stdout.String())
	}
	return &secret, nil
}

// cacerts is the cacerts Secret of a cluster's istiod: an intermediate
// of the root for that cluster alone, as the secret store holds it.
func (ca *testCA) cacerts(t *testing.T, cluster string) *corev1.Secret {
	t.Helper()
	cert, key := ca.sign(t, &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{Organization: []string{"meshrender tests"}, CommonName: cluster + " intermediate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign})
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "cacerts", Namespace: v1alpha1.DefaultIstiodNamespace},
		Data: map[string][]byte{
			"ca-cert.pem": cert, "ca-key.pem": key,
			"root-cert.pem": ca.pem, "cert-chain.pem": append(append([]byte{}, cert...), ca.pem...),
		},
	}
}
