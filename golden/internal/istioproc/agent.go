package istioproc

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshrender/meshrender/golden/internal/ports"
	"github.com/meshrender/meshrender/golden/internal/proc"
)

// Agent is a running pilot-agent with the stand-in Envoy under it.
type Agent struct {
	dir  string
	proc *proc.Process
}

// AgentOptions say which rendered proxy to run and where.
type AgentOptions struct {
	// Binary is pilot-agent; FakeEnvoy the stand-in Envoy; WithHosts the
	// helper that gives the agent its own /etc/hosts; BootstrapTemplate
	// the proxyv2 image's Envoy bootstrap template.
	Binary, FakeEnvoy, WithHosts, BootstrapTemplate string
	// Dir is the scratch directory that stands for the container's root.
	Dir string
	// Namespace, Name and Template are the pod to run: a rendered
	// gateway Deployment's template, or an injected application pod.
	Namespace, Name string
	Template        corev1.PodTemplateSpec
	Kube            kubernetes.Interface
	// Hosts maps host names, such as istiod.istio-system.svc, to the
	// addresses the agent resolves them to, as cluster DNS would.
	Hosts map[string]string
}

// proxyContainer is the name of the proxy's container.
const proxyContainer = "istio-proxy"

// StartAgent starts pilot-agent as the pod's proxy container would run: its args and env, its volumes (the projected
// token from the API server, istiod's root certificate, the pod's labels
// and annotations), and Service names resolved by Hosts. What a local
// process must change is added to the proxy config the pod sets in
// PROXY_CONFIG, every other field kept: the Envoy binary (the stand-in),
// free local ports for the agent's status and Envoy's admin listener, and
// no drain delay at the end. OUTPUT_CERTS makes the agent write the
// workload certificate it gets, for the test to read.
func StartAgent(ctx context.Context, opts AgentOptions) (*Agent, error) {
	pod := Pod{Template: opts.Template, Namespace: opts.Namespace, Name: opts.Name + "-local", NodeName: "local", IP: "127.0.0.1", CPUs: 2, MemoryBytes: 1 << 30}
	c, err := pod.Container(proxyContainer)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(opts.Dir, "root")
	if err := pod.Mount(ctx, opts.Kube, root, c); err != nil {
		return nil, err
	}
	template, err := os.ReadFile(opts.BootstrapTemplate)
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(root, "var/lib/istio/envoy/envoy_bootstrap_tmpl.json"), template); err != nil {
		return nil, err
	}
	env, err := pod.Env(c)
	if err != nil {
		return nil, err
	}
	if env, err = localProxyConfig(env, opts.FakeEnvoy); err != nil {
		return nil, err
	}
	a := &Agent{dir: opts.Dir}
	if err := os.MkdirAll(a.certDir(), 0o755); err != nil {
		return nil, err
	}
	env = append(env, "OUTPUT_CERTS="+a.certDir(), "FAKE_ENVOY_OUT="+a.envoyDir(), "CLOUD_PLATFORM=none")
	hosts := filepath.Join(opts.Dir, "hosts")
	if err := writeFile(hosts, hostsFile(opts.Hosts)); err != nil {
		return nil, err
	}
	cmd := exec.Command(opts.WithHosts, append([]string{hosts, opts.Binary}, pod.Args(c, env)...)...)
	cmd.Dir = root
	cmd.Env = env
	cmd.SysProcAttr = mountNamespace()
	if a.proc, err = proc.Start(cmd, filepath.Join(opts.Dir, "agent.log")); err != nil {
		return nil, err
	}
	return a, nil
}

// mountNamespace starts the helper in a mount namespace of its own; one
// who is not root gets a user namespace too, in which they are. It runs
// in a process group of its own, which Stop ends with the Envoy under it.
func mountNamespace() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Setpgid: true}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	return attr
}

// localProxyConfig adds to the PROXY_CONFIG in env what a local run needs.
func localProxyConfig(env []string, fakeEnvoy string) ([]string, error) {
	cfg := map[string]any{}
	if i := slices.IndexFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PROXY_CONFIG=") }); i >= 0 {
		if err := json.Unmarshal([]byte(strings.TrimPrefix(env[i], "PROXY_CONFIG=")), &cfg); err != nil {
			return nil, fmt.Errorf("the rendered PROXY_CONFIG is not JSON: %w", err)
		}
	}
	status, err := ports.Free()
	if err != nil {
		return nil, err
	}
	admin, err := ports.Free()
	if err != nil {
		return nil, err
	}
	cfg["binaryPath"] = fakeEnvoy
	cfg["statusPort"] = status
	cfg["proxyAdminPort"] = admin
	cfg["terminationDrainDuration"] = "0s"
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return setEnv(env, "PROXY_CONFIG", string(data)), nil
}

func hostsFile(hosts map[string]string) []byte {
	lines := []string{"127.0.0.1 localhost", "::1 localhost"}
	for name, ip := range hosts {
		lines = append(lines, ip+" "+name)
	}
	slices.Sort(lines[2:])
	return []byte(strings.Join(lines, "\n") + "\n")
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func (a *Agent) certDir() string  { return filepath.Join(a.dir, "certs") }
func (a *Agent) envoyDir() string { return filepath.Join(a.dir, "envoy") }

// Bootstrap waits for the Envoy bootstrap the agent gives the stand-in
// and returns it.
func (a *Agent) Bootstrap(ctx context.Context) (map[string]any, error) {
	var bs map[string]any
	err := a.proc.WaitFor(ctx, "the Envoy bootstrap", func() error {
		data, err := os.ReadFile(filepath.Join(a.envoyDir(), "bootstrap.json"))
		if err != nil {
			return err
		}
		return json.Unmarshal(data, &bs)
	})
	return bs, err
}

// Certificate waits for the workload certificate the agent gets from the
// CA and returns it.
func (a *Agent) Certificate(ctx context.Context) (*x509.Certificate, error) {
	var cert *x509.Certificate
	err := a.proc.WaitFor(ctx, "a workload certificate", func() error {
		data, err := os.ReadFile(filepath.Join(a.certDir(), "cert-chain.pem"))
		if err != nil {
			return err
		}
		block, _ := pem.Decode(data)
		if block == nil {
			return errors.New("cert-chain.pem holds no PEM block yet")
		}
		cert, err = x509.ParseCertificate(block.Bytes)
		return err
	})
	return cert, err
}

// Listeners waits until the listeners the stand-in Envoy has from istiod
// include every one of want, and returns their names. istiod may send
// them in more than one push, so a first set without some is waited past.
func (a *Agent) Listeners(ctx context.Context, want ...string) ([]string, error) {
	var got struct{ Resources []string }
	err := a.proc.WaitFor(ctx, "listeners "+strings.Join(want, ", ")+" from istiod", func() error {
		data, err := os.ReadFile(filepath.Join(a.envoyDir(), "listeners.json"))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &got); err != nil {
			return err
		}
		if len(got.Resources) == 0 {
			return errors.New("no listeners yet")
		}
		for _, l := range want {
			if !slices.Contains(got.Resources, l) {
				return fmt.Errorf("istiod sent listeners %v, without %s", got.Resources, l)
			}
		}
		return nil
	})
	return got.Resources, err
}

// XDS waits until check accepts the resources of one type that the
// stand-in Envoy has from istiod, each decoded from Envoy's JSON: kind
// is "clusters", "endpoints" (the EDS clusters' load assignments),
// "listeners", "routes" (the route configurations the
// listeners name) or "secrets" (the Kubernetes credentials they name).
// istiod may send them in more than one push, so a set check refuses is
// waited past; what check last said is part of the error when ctx ends.
func (a *Agent) XDS(ctx context.Context, kind string, check func(resources []map[string]any) error) error {
	return a.proc.WaitFor(ctx, kind+" from istiod", func() error {
		data, err := os.ReadFile(filepath.Join(a.envoyDir(), kind+".json"))
		if err != nil {
			return fmt.Errorf("no %s yet", kind)
		}
		var got struct{ Configs []map[string]any }
		if err := json.Unmarshal(data, &got); err != nil {
			return err
		}
		return check(got.Configs)
	})
}

// Logs returns what the agent has logged so far.
func (a *Agent) Logs() string { return a.proc.Logs() }

// Stop ends the agent and the stand-in Envoy.
func (a *Agent) Stop() { a.proc.Stop() }
