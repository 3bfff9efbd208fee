// Package simcluster makes the end-to-end tests' API server a cluster that
// runs pods: kube-controller-manager turns Deployments, DaemonSets and
// autoscalers into pods, kube-scheduler places them, and kwok plays the
// kubelets of simulated nodes, marking every pod bound to one of them
// Running and Ready. No container runs; what is tested is where pods go
// and what the controllers make of them.
package simcluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/ports"
	"github.com/meshrender/meshrender/golden/internal/proc"
)

// Binaries names the executables and files this package needs, relative
// to the repository's bin directory.
var Binaries = []string{"kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages.yaml"}

// Controllers are the kube-controller-manager controllers a cluster runs:
// what turns the rendered workloads into pods (with the autoscalers'
// minimum replicas), keeps the disruption budgets' status for the
// Eviction API, gives namespaces their default ServiceAccount, and lifts
// the not-ready taint the API server puts on every new node once kwok
// reports it Ready.
var Controllers = []string{
	"node-lifecycle-controller",
	"deployment-controller",
	"replicaset-controller",
	"daemonset-controller",
	"horizontal-pod-autoscaler-controller",
	"disruption-controller",
	"serviceaccount-controller",
}

// Labels every node carries, as a cloud provider's kubelet sets them.
const (
	ZoneLabel     = "topology.kubernetes.io/zone"
	HostnameLabel = "kubernetes.io/hostname"
)

// kwokAnnotation marks the nodes kwok manages.
const kwokAnnotation = "kwok.x-k8s.io/node"

// Node is a simulated node.
type Node struct {
	Name, Zone string
}

// NodesInZones returns perZone nodes in every zone, named after their
// zone: zone-a-1, zone-a-2, ….
func NodesInZones(zones []string, perZone int) []Node {
	var nodes []Node
	for _, z := range zones {
		for i := 1; i <= perZone; i++ {
			nodes = append(nodes, Node{Name: fmt.Sprintf("%s-%d", z, i), Zone: z})
		}
	}
	return nodes
}

// Options say what cluster to make of an API server.
type Options struct {
	// BinDir holds the Binaries.
	BinDir string
	// Dir is where the processes' kubeconfig and logs go; it must exist.
	Dir string
	// Server reaches the API server as a cluster administrator.
	Server *rest.Config
	// Nodes are created and run by kwok.
	Nodes []Node
	// MoreControllers are kube-controller-manager controllers to run
	// beside Controllers, such as namespace-controller for a test that
	// deletes namespaces.
	MoreControllers []string
	// TokenSigningKey and RootCA, when set, are the API server's
	// ServiceAccount key and serving certificate, with which the
	// serviceaccount-token-controller (in MoreControllers) fills in
	// ServiceAccount token Secrets.
	TokenSigningKey, RootCA string
	// LoadBalancers plays a cloud's service controller: every Service of
	// type LoadBalancer gets an address in its status, as tools that
	// count such a Service ready only then (Argo CD) expect.
	LoadBalancers bool
}

// Cluster is the processes that run an API server's pods.
type Cluster struct {
	procs map[string]*proc.Process
	// stop ends the load balancer controller, if any.
	stop context.CancelFunc
}

// Start creates the nodes and starts kube-controller-manager,
// kube-scheduler and kwok against the API server, and returns once every
// node is Ready and the controllers and the scheduler are healthy.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	for _, name := range Binaries {
		p := filepath.Join(opts.BinDir, name)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s is missing; run make e2e, which builds it: %w", p, err)
		}
	}
	kube, err := kubernetes.NewForConfig(opts.Server)
	if err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(opts.Dir, "kubeconfig")
	if err := apiserver.WriteKubeconfig(kubeconfig, opts.Server); err != nil {
		return nil, err
	}
	c := &Cluster{procs: map[string]*proc.Process{}}
	bin := func(name string) string { return filepath.Join(opts.BinDir, name) }
	kcmPort, err := ports.Free()
	if err != nil {
		return nil, err
	}
	schedPort, err := ports.Free()
	if err != nil {
		return nil, err
	}
	var tokenFlags []string
	if opts.TokenSigningKey != "" {
		tokenFlags = []string{"--service-account-private-key-file", opts.TokenSigningKey, "--root-ca-file", opts.RootCA}
	}
	// Leader election is off: each process is the only one of its kind
	// for its API server, and electing one would cost seconds. Without an
	// authentication kubeconfig their servers answer only /healthz and
	// the like, which is all the wait below asks.
	if err = c.start("kube-controller-manager", opts.Dir, bin("kube-controller-manager"), append([]string{
		"--kubeconfig", kubeconfig,
		"--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(kcmPort),
		"--leader-elect=false",
		"--controllers", strings.Join(append(slices.Clone(Controllers), opts.MoreControllers...), ","),
		"--use-service-account-credentials=false",
		// The autoscalers act at once on their minimum, not 15s later.
		"--horizontal-pod-autoscaler-sync-period", "2s",
		"--v", "1",
	}, tokenFlags...)...); err != nil {
		c.Stop()
		return nil, err
	}
	if err = c.start("kube-scheduler", opts.Dir, bin("kube-scheduler"),
		"--kubeconfig", kubeconfig,
		"--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(schedPort),
		"--leader-elect=false",
		"--v", "1",
	); err != nil {
		c.Stop()
		return nil, err
	}
	if err = c.start("kwok", opts.Dir, bin("kwok"),
		"--kubeconfig", kubeconfig,
		"--config", bin("kwok-stages.yaml"),
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector", kwokAnnotation+"=fake",
		"--node-lease-duration-seconds", "40",
		"--cidr", "10.244.0.0/16",
	); err != nil {
		c.Stop()
		return nil, err
	}
	for _, n := range opts.Nodes {
		if _, err := kube.CoreV1().Nodes().Create(ctx, node(n), metav1.CreateOptions{}); err != nil {
			c.Stop()
			return nil, fmt.Errorf("creating node %s: %w", n.Name, err)
		}
	}
	if err := c.waitReady(ctx, kube, kcmPort, schedPort, opts.Nodes); err != nil {
		c.Stop()
		return nil, err
	}
	if opts.LoadBalancers {
		lbCtx, cancel := context.WithCancel(context.Background())
		c.stop = cancel
		go serveLoadBalancers(lbCtx, kube)
	}
	return c, nil
}

// serveLoadBalancers gives every Service of type LoadBalancer without
// an address one in the documentation range (RFC 5737; nothing is ever
// sent to it), every half second until ctx ends.
func serveLoadBalancers(ctx context.Context, kube kubernetes.Interface) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		svcs, err := kube.CoreV1().Services("").List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for i := range svcs.Items {
			svc := &svcs.Items[i]
			if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Status.LoadBalancer.Ingress) > 0 {
				continue
			}
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.1"}}
			// A conflict is retried on the next tick.
			_, _ = kube.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{})
		}
	}
}

// node is the Node object of a simulated node, labelled as a kubelet
// labels its node, with kwok's annotation so kwok plays its kubelet.
func node(n Node) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.Name,
			Annotations: map[string]string{kwokAnnotation: "fake"},
			Labels: map[string]string{
				ZoneLabel:            n.Zone,
				HostnameLabel:        n.Name,
				"kubernetes.io/os":   "linux",
				"kubernetes.io/arch": "amd64",
			},
		},
	}
}

func (c *Cluster) start(name, dir, bin string, args ...string) error {
	p, err := proc.Start(exec.Command(bin, args...), filepath.Join(dir, name+".log"))
	if err != nil {
		return err
	}
	c.procs[name] = p
	return nil
}

// waitReady polls until the controller manager and the scheduler answer
// their health checks and kwok has made every node Ready.
func (c *Cluster) waitReady(ctx context.Context, kube kubernetes.Interface, kcmPort, schedPort int, nodes []Node) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 5 * time.Second}
	healthy := func(port int) func() error {
		return func() error {
			resp, err := client.Get("https://127.0.0.1:" + strconv.Itoa(port) + "/healthz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("/healthz: %s", resp.Status)
			}
			return nil
		}
	}
	if err := c.procs["kube-controller-manager"].WaitFor(ctx, "kube-controller-manager healthy", healthy(kcmPort)); err != nil {
		return err
	}
	if err := c.procs["kube-scheduler"].WaitFor(ctx, "kube-scheduler healthy", healthy(schedPort)); err != nil {
		return err
	}
	return c.procs["kwok"].WaitFor(ctx, "every node Ready and untainted", func() error {
		for _, n := range nodes {
			got, err := kube.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !nodeReady(got) {
				return fmt.Errorf("node %s is not Ready", n.Name)
			}
			if len(got.Spec.Taints) > 0 {
				return fmt.Errorf("node %s still has taints %v", n.Name, got.Spec.Taints)
			}
		}
		return nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// WaitFor polls check until it succeeds or ctx ends, and fails at once
// when one of the cluster's processes has exited: then no pod would move
// any more.
func (c *Cluster) WaitFor(ctx context.Context, what string, check func() error) error {
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		for name, p := range c.procs {
			if p.Exited() {
				return fmt.Errorf("%s: %s exited; its log:\n%s", what, name, tail(p.Logs()))
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %v (last: %v)", what, ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Logs returns the tail of every process's log, for a failed test.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for _, name := range []string{"kube-controller-manager", "kube-scheduler", "kwok"} {
		if p := c.procs[name]; p != nil {
			fmt.Fprintf(&b, "--- %s:\n%s\n", name, tail(p.Logs()))
		}
	}
	return b.String()
}

// Stop ends every process.
func (c *Cluster) Stop() {
	if c.stop != nil {
		c.stop()
	}
	for _, p := range c.procs {
		p.Stop()
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}
