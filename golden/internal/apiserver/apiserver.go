// Package apiserver runs a real etcd and kube-apiserver, built from the
// pinned Kubernetes modules into ./bin, on 127.0.0.1 for end-to-end tests,
// and applies manifests to them with server-side apply.
package apiserver

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"k8s.io/client-go/rest"

	"github.com/meshrender/meshrender/golden/internal/ports"
	"github.com/meshrender/meshrender/golden/internal/proc"
)

// Binaries names the executables this package needs, relative to the
// repository's bin directory.
var Binaries = []string{"etcd", "kube-apiserver"}

// process is a server started from bin, with its files.
type process struct {
	proc *proc.Process
	dir  string
}

// Stop ends the server and removes its files.
func (p *process) Stop() {
	p.proc.Stop()
	os.RemoveAll(p.dir)
}

// checkOK sends req and wants 200 OK back.
func checkOK(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", req.URL.Path, resp.Status)
	}
	return nil
}

// Etcd is a running etcd server.
type Etcd struct {
	URL string
	process
}

// StartEtcd runs etcd from binDir on a free loopback port, with its data
// in a temporary directory.
func StartEtcd(binDir string) (*Etcd, error) {
	bin := filepath.Join(binDir, "etcd")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s is missing; run make e2e, which builds it: %w", bin, err)
	}
	dir, err := os.MkdirTemp("", "meshrender-etcd-")
	if err != nil {
		return nil, err
	}
	client, peer := freePort(), freePort()
	url := "http://127.0.0.1:" + strconv.Itoa(client)
	cmd := exec.Command(bin,
		"--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", url, "--advertise-client-urls", url,
		"--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peer),
		"--initial-advertise-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peer),
		"--initial-cluster", "default=http://127.0.0.1:"+strconv.Itoa(peer),
		"--unsafe-no-fsync", "--log-level", "warn",
	)
	p, err := proc.Start(cmd, filepath.Join(dir, "etcd.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	e := &Etcd{URL: url, process: process{proc: p, dir: dir}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A crashed etcd ends the wait at once.
	if err := p.WaitFor(ctx, "etcd healthy", func() error {
		req, _ := http.NewRequest(http.MethodGet, url+"/health", nil)
		return checkOK(http.DefaultClient, req)
	}); err != nil {
		e.Stop()
		return nil, fmt.Errorf("etcd did not start: %w", err)
	}
	return e, nil
}

// Server is a running kube-apiserver.
type Server struct {
	// Config reaches the server as a cluster administrator.
	Config *rest.Config
	process
}

// ServingCertificate is the PEM of the server's self-signed serving
// certificate: its cluster CA, as kube-controller-manager publishes it in
// every namespace's ConfigMap kube-root-ca.crt.
func (s *Server) ServingCertificate() ([]byte, error) {
	return os.ReadFile(s.ServingCertificateFile())
}

// ServiceAccountKeyFile is the private key the server signs and checks
// ServiceAccount tokens with, which kube-controller-manager's token
// controller signs token Secrets with too.
func (s *Server) ServiceAccountKeyFile() string {
	return filepath.Join(s.dir, "sa.key")
}

// ServingCertificateFile is the file ServingCertificate reads.
func (s *Server) ServingCertificateFile() string {
	return filepath.Join(s.dir, "certs", "apiserver.crt")
}

var prefixes struct {
	sync.Mutex
	n int
}

// Start runs a kube-apiserver from binDir against etcd. Every server gets
// its own etcd key prefix, so each one starts as an empty cluster.
func Start(binDir string, etcd *Etcd) (*Server, error) {
	bin := filepath.Join(binDir, "kube-apiserver")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s is missing; run make e2e, which builds it: %w", bin, err)
	}
	dir, err := os.MkdirTemp("", "meshrender-apiserver-")
	if err != nil {
		return nil, err
	}
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return nil, err
	}
	if err := writeServiceAccountKey(filepath.Join(dir, "sa.key")); err != nil {
		return nil, err
	}
	prefixes.Lock()
	prefixes.n++
	prefix := fmt.Sprintf("/cluster-%d-%d", os.Getpid(), prefixes.n)
	prefixes.Unlock()
	port := freePort()
	cmd := exec.Command(bin,
		"--etcd-servers", etcd.URL, "--etcd-prefix", prefix,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(port), "--cert-dir", filepath.Join(dir, "certs"),
		"--token-auth-file", filepath.Join(dir, "tokens.csv"),
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", filepath.Join(dir, "sa.key"),
		"--service-account-signing-key-file", filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16",
		// Webhook calls go to endpoints, not the unroutable ClusterIP:
		// with no istiod running they fail at once and, failing open,
		// let the request through.
		"--enable-aggregator-routing",
		"--v", "0",
	)
	p, err := proc.Start(cmd, filepath.Join(dir, "apiserver.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{
		process: process{proc: p, dir: dir},
		Config: &rest.Config{
			Host: "https://127.0.0.1:" + strconv.Itoa(port), BearerToken: token,
			TLSClientConfig: rest.TLSClientConfig{Insecure: true}, QPS: 1000, Burst: 1000,
		},
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := p.WaitFor(ctx, "kube-apiserver ready", func() error {
		req, _ := http.NewRequest(http.MethodGet, s.Config.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return checkOK(client, req)
	}); err != nil {
		s.Stop()
		return nil, fmt.Errorf("kube-apiserver did not become ready: %w", err)
	}
	return s, nil
}

// WriteKubeconfig writes a kubeconfig at path for cfg's host and bearer
// token, such as a Server's Config, for the programs the tests run
// against it. The server's certificate is self-signed, so it is not
// verified.
func WriteKubeconfig(path string, cfg *rest.Config) error {
	if cfg.BearerToken == "" {
		return errors.New("the server's config has no bearer token")
	}
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: %s
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, cfg.Host, cfg.BearerToken)
	return os.WriteFile(path, []byte(data), 0o600)
}

func freePort() int {
	port, err := ports.Free()
	if err != nil {
		panic(err)
	}
	return port
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", b), nil
}

func writeServiceAccountKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
}
