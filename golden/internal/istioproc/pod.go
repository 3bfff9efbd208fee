// Package istioproc runs the real Istio programs, istiod (pilot-discovery)
// and the proxy agent (pilot-agent), as local processes against a test
// kube-apiserver, the way the kubelet would run the containers meshrender
// renders: with the rendered args and env (field and resource references
// resolved) and the rendered volumes written where the container would
// see them.
//
// A local process has no container file system: each runs in a scratch
// directory that stands for the container's root, since Istio's programs
// find their files by paths relative to the working directory
// (./var/run/secrets/..., ./etc/istio/...). Only what cannot exist outside
// a cluster is changed, and each change is named where it is made: the
// API server's address (KUBECONFIG), listen addresses (every istiod gets
// a loopback address of its own), the Envoy binary (a stand-in) and the
// agent's local ports.
package istioproc

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Pod is one replica of a rendered pod template, as the kubelet would run
// it on a node.
type Pod struct {
	Template  corev1.PodTemplateSpec
	Namespace string
	Name      string
	NodeName  string
	// IP is the pod's and the host's address.
	IP string
	// CPUs and MemoryBytes are the node's, for resource references to
	// limits the container does not set.
	CPUs        int
	MemoryBytes int64
	// UID, if set, is that of the pod object in the API server, to which
	// projected tokens are then bound, as the kubelet binds them: the
	// token names the pod, and the API server its node.
	UID types.UID
}

// Container returns the container of the template with the given name,
// an init container included: an injected sidecar is a native one, an
// init container that keeps running.
func (p Pod) Container(name string) (corev1.Container, error) {
	for _, c := range append(slices.Clone(p.Template.Spec.Containers), p.Template.Spec.InitContainers...) {
		if c.Name == name {
			return c, nil
		}
	}
	return corev1.Container{}, fmt.Errorf("the pod template of %s/%s has no container %q", p.Namespace, p.Name, name)
}

// Env returns the container's environment as NAME=value, with field and
// resource references resolved and $(VAR) references expanded, as the
// kubelet does.
func (p Pod) Env(c corev1.Container) ([]string, error) {
	values := map[string]string{}
	var out []string
	for _, e := range c.Env {
		v := expand(e.Value, values)
		if e.ValueFrom != nil {
			var err error
			if v, err = p.valueFrom(c, e.ValueFrom); err != nil {
				return nil, fmt.Errorf("env %s: %w", e.Name, err)
			}
		}
		values[e.Name] = v
		out = append(out, e.Name+"="+v)
	}
	return out, nil
}

// Args returns the container's args with $(VAR) expanded from env.
func (p Pod) Args(c corev1.Container, env []string) []string {
	values := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		values[k] = v
	}
	out := make([]string, len(c.Args))
	for i, a := range c.Args {
		out[i] = expand(a, values)
	}
	return out
}

var varRef = regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// expand replaces $(NAME) with the value of NAME when it is defined, and
// $$ with $, as the kubelet does.
func expand(s string, values map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		if v, ok := values[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

func (p Pod) valueFrom(c corev1.Container, src *corev1.EnvVarSource) (string, error) {
	switch {
	case src.FieldRef != nil:
		return p.field(src.FieldRef.FieldPath)
	case src.ResourceFieldRef != nil:
		return p.resource(c, src.ResourceFieldRef)
	}
	return "", fmt.Errorf("only field and resource references can be resolved locally")
}

func (p Pod) field(path string) (string, error) {
	switch path {
	case "metadata.name":
		return p.Name, nil
	case "metadata.namespace":
		return p.Namespace, nil
	case "spec.nodeName":
		return p.NodeName, nil
	case "spec.serviceAccountName":
		return p.Template.Spec.ServiceAccountName, nil
	case "status.podIP", "status.hostIP":
		return p.IP, nil
	}
	return "", fmt.Errorf("field %s cannot be resolved locally", path)
}

// resource resolves a resource reference as the kubelet does: the
// container's value in units of the divisor, rounded up, or the node's
// capacity for a limit that is not set.
func (p Pod) resource(c corev1.Container, ref *corev1.ResourceFieldSelector) (string, error) {
	kind, name, _ := strings.Cut(ref.Resource, ".")
	list := c.Resources.Limits
	if kind == "requests" {
		list = c.Resources.Requests
	}
	q, ok := list[corev1.ResourceName(name)]
	if !ok {
		switch name {
		case "cpu":
			q = *resource.NewQuantity(int64(p.CPUs), resource.DecimalSI)
		case "memory":
			q = *resource.NewQuantity(p.MemoryBytes, resource.BinarySI)
		default:
			return "", fmt.Errorf("resource %s cannot be resolved locally", ref.Resource)
		}
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	return strconv.FormatInt(int64(math.Ceil(q.AsApproximateFloat64()/divisor.AsApproximateFloat64())), 10), nil
}

// Mount writes what each of the container's volume mounts holds under
// root, at the mount path, reading ConfigMaps and Secrets from the API
// server and asking it for projected tokens. A volume marked optional
// whose source is missing is an empty directory, as in a pod.
func (p Pod) Mount(ctx context.Context, kube kubernetes.Interface, root string, c corev1.Container) error {
	for _, m := range c.VolumeMounts {
		i := slices.IndexFunc(p.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if i < 0 {
			return fmt.Errorf("volume mount %s names no volume", m.Name)
		}
		dir := filepath.Join(root, m.MountPath)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := p.fill(ctx, kube, dir, p.Template.Spec.Volumes[i].VolumeSource); err != nil {
			return fmt.Errorf("volume %s: %w", m.Name, err)
		}
	}
	return nil
}

func (p Pod) fill(ctx context.Context, kube kubernetes.Interface, dir string, src corev1.VolumeSource) error {
	switch {
	case src.EmptyDir != nil:
		return nil
	case src.HostPath != nil:
		// A directory of the node, such as ztunnel's socket directory,
		// which istio-cni fills: empty on a new node.
		return nil
	case src.ConfigMap != nil:
		return p.configMap(ctx, kube, dir, *src.ConfigMap)
	case src.Secret != nil:
		s, err := kube.CoreV1().Secrets(p.Namespace).Get(ctx, src.Secret.SecretName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) && src.Secret.Optional != nil && *src.Secret.Optional {
			return nil
		}
		if err != nil {
			return err
		}
		for k, v := range s.Data {
			if err := os.WriteFile(filepath.Join(dir, k), v, 0o600); err != nil {
				return err
			}
		}
		return nil
	case src.DownwardAPI != nil:
		for _, item := range src.DownwardAPI.Items {
			if err := p.downward(dir, item); err != nil {
				return err
			}
		}
		return nil
	case src.Projected != nil:
		for _, s := range src.Projected.Sources {
			switch {
			case s.ServiceAccountToken != nil:
				token, err := p.token(ctx, kube, s.ServiceAccountToken)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dir, s.ServiceAccountToken.Path), []byte(token), 0o600); err != nil {
					return err
				}
			case s.ConfigMap != nil:
				if err := p.configMap(ctx, kube, dir, corev1.ConfigMapVolumeSource{LocalObjectReference: s.ConfigMap.LocalObjectReference, Items: s.ConfigMap.Items, Optional: s.ConfigMap.Optional}); err != nil {
					return err
				}
			case s.DownwardAPI != nil:
				for _, item := range s.DownwardAPI.Items {
					if err := p.downward(dir, item); err != nil {
						return err
					}
				}
			default:
				return fmt.Errorf("a projected source that cannot be made locally")
			}
		}
		return nil
	}
	return fmt.Errorf("a volume type that cannot be made locally")
}

func (p Pod) configMap(ctx context.Context, kube kubernetes.Interface, dir string, src corev1.ConfigMapVolumeSource) error {
	cm, err := kube.CoreV1().ConfigMaps(p.Namespace).Get(ctx, src.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && src.Optional != nil && *src.Optional {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ConfigMap %s/%s: %w", p.Namespace, src.Name, err)
	}
	files := map[string]string{}
	if len(src.Items) == 0 {
		for k, v := range cm.Data {
			files[k] = v
		}
	}
	for _, item := range src.Items {
		files[item.Path] = cm.Data[item.Key]
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// downward writes labels or annotations in the kubelet's format: one
// key="value" line each, sorted.
func (p Pod) downward(dir string, item corev1.DownwardAPIVolumeFile) error {
	if item.FieldRef == nil {
		return fmt.Errorf("downward API file %s: only field references can be made locally", item.Path)
	}
	var m map[string]string
	switch item.FieldRef.FieldPath {
	case "metadata.labels":
		m = p.Template.Labels
	case "metadata.annotations":
		m = p.Template.Annotations
	default:
		v, err := p.field(item.FieldRef.FieldPath)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, item.Path), []byte(v), 0o644)
	}
	var lines []string
	for k, v := range m {
		lines = append(lines, k+"="+strconv.Quote(v))
	}
	slices.Sort(lines)
	return os.WriteFile(filepath.Join(dir, item.Path), []byte(strings.Join(lines, "\n")), 0o644)
}

// token asks the API server for a token of the pod's service account, as
// the kubelet does for a projected volume: bound to the pod object when
// the pod has one (UID), else to nothing.
func (p Pod) token(ctx context.Context, kube kubernetes.Interface, src *corev1.ServiceAccountTokenProjection) (string, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: src.ExpirationSeconds}}
	if p.UID != "" {
		req.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID}
	}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	return serviceAccountToken(ctx, kube, p.Namespace, p.Template.Spec.ServiceAccountName, req)
}

// serviceAccountToken asks the API server for a token of a service
// account.
func serviceAccountToken(ctx context.Context, kube kubernetes.Interface, namespace, serviceAccount string, req *authenticationv1.TokenRequest) (string, error) {
	resp, err := kube.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, serviceAccount, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("a token for ServiceAccount %s/%s: %w", namespace, serviceAccount, err)
	}
	return resp.Status.Token, nil
}
