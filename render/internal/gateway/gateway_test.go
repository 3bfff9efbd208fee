package gateway

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// TestEnvNamesAreTheProxysOwn: EnvNames, the variables extra env may not
// set again, are the proxy's own variables whatever the values, each
// once, and extra env follows them in its order.
func TestEnvNamesAreTheProxysOwn(t *testing.T) {
	if len(EnvNames) == 0 {
		t.Fatal("EnvNames is empty")
	}
	for i, name := range EnvNames {
		if slices.Contains(EnvNames[:i], name) {
			t.Errorf("EnvNames has %s twice", name)
		}
	}
	extra := []corev1.EnvVar{{Name: "EXTRA", Value: "1"}, {Name: "ANOTHER", Value: "2"}}
	v := Values{Name: IngressName, Namespace: "ns", Selector: map[string]string{"app": IngressName}, Revision: "canary",
		DiscoveryAddress: "istiod-canary.istio-system.svc:15012", TrustDomain: "example.org", ProxyConfig: `{"concurrency":2}`,
		Workload: objects.Workload{MinReplicas: 1, MaxReplicas: 2, Env: extra}}
	var env []string
	for _, o := range Objects(v) {
		if d, ok := o.(*appsv1.Deployment); ok {
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				env = append(env, e.Name)
			}
		}
	}
	if want := append(slices.Clone(EnvNames), "EXTRA", "ANOTHER"); !slices.Equal(env, want) {
		t.Errorf("the proxy's env is %v, want EnvNames and then the extra env: %v", env, want)
	}
}
