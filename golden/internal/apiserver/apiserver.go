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
)

// Binaries names the executables this package needs, relative to the
// repository's bin directory.
var Binaries = []string{"etcd", "kube-apiserver"}

// process is a server started from bin, with its files and log.
type process struct {
	cmd  *exec.Cmd
	dir  string
	logs *os.File
	done chan struct{} // closed when the process has exited
}

func newProcess(cmd *exec.Cmd, dir string, logs *os.File) process {
	p := process{cmd: cmd, dir: dir, logs: logs, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop ends the process and removes its files.
func (p *process) Stop() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	p.logs.Close()
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
	logs, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		return nil, err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(client)
	cmd := exec.Command(bin,
		"--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", url, "--advertise-client-urls", url,
		"--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peer),
		"--initial-advertise-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peer),
		"--initial-cluster", "default=http://127.0.0.1:"+strconv.Itoa(peer),
		"--unsafe-no-fsync", "--log-level", "warn",
	)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &Etcd{URL: url, process: newProcess(cmd, dir, logs)}
	if err := waitFor(30*time.Second, func() error {
		if e.exited() {
			return errExited
		}
		req, _ := http.NewRequest(http.MethodGet, url+"/health", nil)
		return checkOK(http.DefaultClient, req)
	}); err != nil {
		e.Stop()
		return nil, fmt.Errorf("etcd did not start: %w\n%s", err, tail(logs.Name()))
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
	return os.ReadFile(filepath.Join(s.dir, "certs", "apiserver.crt"))
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
	logs, err := os.Create(filepath.Join(dir, "apiserver.log"))
	if err != nil {
		return nil, err
	}
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
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{
		process: newProcess(cmd, dir, logs),
		Config: &rest.Config{
			Host: "https://127.0.0.1:" + strconv.Itoa(port), BearerToken: token,
			TLSClientConfig: rest.TLSClientConfig{Insecure: true}, QPS: 1000, Burst: 1000,
		},
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 5 * time.Second}
	if err := waitFor(120*time.Second, func() error {
		if s.exited() {
			return errExited
		}
		req, _ := http.NewRequest(http.MethodGet, s.Config.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return checkOK(client, req)
	}); err != nil {
		s.Stop()
		return nil, fmt.Errorf("kube-apiserver did not become ready: %w\n%s", err, tail(logs.Name()))
	}
	return s, nil
}

// errExited ends a wait: the process it waits for is gone.
var errExited = errors.New("the process exited")

func waitFor(timeout time.Duration, check func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		if last = check(); last == nil || errors.Is(last, errExited) {
			return last
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(200 * time.Millisecond):
		}
	}
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

func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}
