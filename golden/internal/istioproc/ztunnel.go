package istioproc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/meshrender/meshrender/golden/internal/proc"
)

// ZtunnelOptions say which rendered ztunnel the stand-in ztunnel
// (golden/tools/fakeztunnel) runs as, and what it waits for.
type ZtunnelOptions struct {
	// Binary is the stand-in ztunnel; WithHosts the helper that gives it
	// its own /etc/hosts.
	Binary, WithHosts string
	// Dir is the scratch directory that stands for the container's root.
	Dir string
	// Pod is the ztunnel pod as the API server has it: the rendered
	// DaemonSet's template, and the pod's name, node, IP and UID, to which
	// its projected token is bound.
	Pod  Pod
	Kube kubernetes.Interface
	// Hosts maps host names, such as istiod.istio-system.svc, to the
	// addresses the stand-in resolves them to, as cluster DNS would.
	Hosts map[string]string
	// Token, if set, is presented in place of the pod's projected token,
	// as a pod of another ServiceAccount would.
	Token string
	// Release is the Istio release of the pod's ztunnel image, which sets
	// ISTIO_META_ISTIO_VERSION in its environment.
	Release string
	// Args are the stand-in's flags: what it waits for.
	Args []string
}

// ZtunnelResult is what the stand-in ztunnel got from istiod, as it
// writes it.
type ZtunnelResult struct {
	Node string
	// Resources are the names of the xDS resources istiod sent, by type
	// URL.
	Resources    map[string][]string
	Responses    int
	XDSError     string
	Certificates []ZtunnelCertificate
	Error        string
}

// ZtunnelCertificate is the CA's answer for one identity: the URI SANs of
// the certificate, or the refusal.
type ZtunnelCertificate struct {
	Identity string
	URIs     []string
	Error    string
	Attempts int
}

// RunZtunnel runs the stand-in ztunnel as the pod's istio-proxy
// container would run ztunnel: its env (field and resource references
// resolved), its volumes (the projected istio-ca token, bound to the pod,
// and istiod's root certificate) and Service names resolved by Hosts. It
// returns what the stand-in got once it ends, which it does when what
// Args ask for has arrived (no error) or at ctx's deadline (an error
// saying what is missing, with the result so far).
func RunZtunnel(ctx context.Context, opts ZtunnelOptions) (*ZtunnelResult, error) {
	pod := opts.Pod
	c, err := pod.Container(proxyContainer)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(opts.Dir, "root")
	if err := pod.Mount(ctx, opts.Kube, root, c); err != nil {
		return nil, err
	}
	if opts.Token != "" {
		if err := writeFile(filepath.Join(root, "var/run/secrets/tokens/istio-token"), []byte(opts.Token)); err != nil {
			return nil, err
		}
	}
	env, err := pod.Env(c)
	if err != nil {
		return nil, err
	}
	// The image's environment, which the container's overrides.
	env = append([]string{"ISTIO_META_ISTIO_VERSION=" + opts.Release}, env...)
	hosts := filepath.Join(opts.Dir, "hosts")
	if err := writeFile(hosts, hostsFile(opts.Hosts)); err != nil {
		return nil, err
	}
	out := filepath.Join(opts.Dir, "result.json")
	// The stand-in gives up a little before ctx ends, to say itself what
	// it lacks.
	timeout := time.Minute
	if deadline, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(deadline)-3*time.Second, time.Second)
	}
	args := append([]string{hosts, opts.Binary, "-out", out, "-timeout", timeout.String()}, opts.Args...)
	cmd := exec.Command(opts.WithHosts, args...)
	cmd.Dir = root
	cmd.Env = env
	cmd.SysProcAttr = mountNamespace()
	p, err := proc.Start(cmd, filepath.Join(opts.Dir, "ztunnel.log"))
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	waitErr := p.Wait(ctx)
	var res ZtunnelResult
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("the stand-in ztunnel wrote no result (%v); its log:\n%s", waitErr, lastLines(p.Logs(), 20))
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, err
	}
	if waitErr != nil || res.Error != "" {
		return &res, fmt.Errorf("the stand-in ztunnel: %s (%v); its log:\n%s", res.Error, waitErr, lastLines(p.Logs(), 20))
	}
	return &res, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
