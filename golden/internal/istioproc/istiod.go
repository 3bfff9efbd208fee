package istioproc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshrender/meshrender/golden/internal/proc"
)

// Istiod is a running istiod.
type Istiod struct {
	// IP is the loopback address istiod listens on, with Istio's ports:
	// 8080 (readiness and debug), 15010 (xDS), 15012 (xDS and CA over
	// TLS), 15017 (webhooks), 15014 (monitoring).
	IP        string
	Namespace string
	// Service is the rendered Service in front of it, istiod or
	// istiod-<revision>.
	Service string
	proc    *proc.Process
}

// IstiodOptions say which rendered istiod to run and where.
type IstiodOptions struct {
	// Binary is pilot-discovery.
	Binary string
	// Dir is the scratch directory that stands for the container's root.
	Dir string
	// Deployment is the rendered istiod Deployment; its Service has the
	// same name.
	Deployment *appsv1.Deployment
	// Server is the API server, reached as an administrator to set up;
	// istiod itself talks to it with a token of its rendered
	// ServiceAccount, so the rendered RBAC is what it has.
	Server *rest.Config
	Kube   kubernetes.Interface
	// IP is the loopback address to listen on (NewLoopbackIP).
	IP string
}

// istiodContainer is the name of istiod's container in the rendered
// Deployment.
const istiodContainer = "discovery"

// StartIstiod starts istiod as its rendered Deployment would run it. Its
// args and env are the rendered ones, with three things a local process
// needs instead: KUBECONFIG names a kubeconfig for the test API server,
// the listen addresses are on IP, and an EndpointSlice lets the API server
// call istiod's webhooks at IP (it resolves webhook Services to
// EndpointSlices, and accepts no loopback IP in one but does accept it as
// an FQDN address).
func StartIstiod(ctx context.Context, opts IstiodOptions) (*Istiod, error) {
	d := opts.Deployment
	pod := Pod{Template: d.Spec.Template, Namespace: d.Namespace, Name: d.Name + "-local", NodeName: "local", IP: opts.IP, CPUs: runtime.NumCPU(), MemoryBytes: 8 << 30}
	c, err := pod.Container(istiodContainer)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(opts.Dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	if err := pod.Mount(ctx, opts.Kube, root, c); err != nil {
		return nil, err
	}
	env, err := pod.Env(c)
	if err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(opts.Dir, "kubeconfig")
	if err := writeKubeconfig(ctx, opts.Server, opts.Kube, d.Namespace, d.Spec.Template.Spec.ServiceAccountName, kubeconfig); err != nil {
		return nil, err
	}
	env = setEnv(env, "KUBECONFIG", kubeconfig)
	if err := webhookEndpoints(ctx, opts.Kube, d.Namespace, d.Name, opts.IP); err != nil {
		return nil, err
	}
	args := append(pod.Args(c, env),
		"--httpAddr="+opts.IP+":8080", "--grpcAddr="+opts.IP+":15010", "--secureGRPCAddr="+opts.IP+":15012",
		"--httpsAddr="+opts.IP+":15017", "--monitoringAddr="+opts.IP+":15014", "--ctrlz_address="+opts.IP)
	cmd := exec.Command(opts.Binary, args...)
	cmd.Dir = root
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := proc.Start(cmd, filepath.Join(opts.Dir, "istiod.log"))
	if err != nil {
		return nil, err
	}
	return &Istiod{IP: opts.IP, Namespace: d.Namespace, Service: d.Name, proc: p}, nil
}

// setEnv sets NAME=value in env, in place of an earlier value.
func setEnv(env []string, name, value string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	return append(out, name+"="+value)
}

// writeKubeconfig writes a kubeconfig for the API server with a token of
// the given service account.
func writeKubeconfig(ctx context.Context, server *rest.Config, kube kubernetes.Interface, namespace, serviceAccount, path string) error {
	token, err := serviceAccountToken(ctx, kube, namespace, serviceAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: new(int64(24 * 3600))},
	})
	if err != nil {
		return err
	}
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: %s
  user: {token: %q}
contexts:
- name: test
  context: {cluster: test, user: %s}
current-context: test
`, server.Host, serviceAccount, token, serviceAccount)
	return os.WriteFile(path, []byte(config), 0o600)
}

// webhookEndpoints points the istiod Service's webhook port at ip.
func webhookEndpoints(ctx context.Context, kube kubernetes.Interface, namespace, service, ip string) error {
	svc, err := kube.CoreV1().Services(namespace).Get(ctx, service, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("the rendered Service %s/%s: %w", namespace, service, err)
	}
	var ports []discoveryv1.EndpointPort
	for _, p := range svc.Spec.Ports {
		ports = append(ports, discoveryv1.EndpointPort{Name: new(p.Name), Port: new(p.TargetPort.IntVal), Protocol: new(corev1.ProtocolTCP)})
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: service + "-local", Namespace: namespace, Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeFQDN,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: new(true)}}},
		Ports:       ports,
	}
	_, err = kube.DiscoveryV1().EndpointSlices(namespace).Create(ctx, slice, metav1.CreateOptions{})
	return err
}

// WaitReady waits until istiod reports ready on /ready.
func (i *Istiod) WaitReady(ctx context.Context) error {
	return i.proc.WaitFor(ctx, "istiod ready", func() error {
		_, err := i.Get(ctx, "/ready")
		return err
	})
}

// Get reads a path of istiod's HTTP port (readiness and the debug
// endpoints, open to clients on loopback).
func (i *Istiod) Get(ctx context.Context, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+i.IP+":8080"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("GET %s: %s: %.300s", path, resp.Status, body)
	}
	return body, nil
}

// WaitFor polls check until it succeeds, istiod exits or ctx ends.
func (i *Istiod) WaitFor(ctx context.Context, what string, check func() error) error {
	return i.proc.WaitFor(ctx, what, check)
}

// Logs returns what istiod has logged so far.
func (i *Istiod) Logs() string { return i.proc.Logs() }

// Stop ends istiod.
func (i *Istiod) Stop() { i.proc.Stop() }
