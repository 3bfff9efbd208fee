package remotesecret

import (
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// TestKubeconfigReadsBack checks that the kubeconfig is what client-go
// (and so istiod) reads: the server, the CA it verifies, the token.
func TestKubeconfigReadsBack(t *testing.T) {
	data, err := Kubeconfig("eu2", "https://eu2.example.com:6443", []byte("CA PEM"), "TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if cfg.Host != "https://eu2.example.com:6443" || string(cfg.CAData) != "CA PEM" || cfg.BearerToken != "TOKEN" || cfg.Insecure {
		t.Errorf("read back host %q, CA %q, token %q, insecure %v\n%s", cfg.Host, cfg.CAData, cfg.BearerToken, cfg.Insecure, data)
	}
	s := Secret("eu2", "istio-system", data)
	if s.Name != "istio-remote-secret-eu2" || s.Labels["istio/multiCluster"] != "true" || s.StringData["eu2"] != string(data) {
		t.Errorf("remote secret %+v", s)
	}
}
