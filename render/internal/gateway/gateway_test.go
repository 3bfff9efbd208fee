package gateway

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// TestEnvNamesAreTheProxysOwn keeps EnvNames, the variables extra env may
// not set again, equal to what the proxy container sets.
func TestEnvNamesAreTheProxysOwn(t *testing.T) {
	v := Values{Name: IngressName, Namespace: "ns", Selector: map[string]string{"app": IngressName}, Revision: "default",
		Workload: objects.Workload{MinReplicas: 1, MaxReplicas: 2, Env: []corev1.EnvVar{{Name: "EXTRA", Value: "1"}}}}
	var env []string
	for _, o := range Objects(v) {
		if d, ok := o.(*appsv1.Deployment); ok {
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				env = append(env, e.Name)
			}
		}
	}
	if !slices.Equal(env[:len(env)-1], EnvNames) || env[len(env)-1] != "EXTRA" {
		t.Errorf("the proxy's env is %v; EnvNames is %v, and extra env goes last", env, EnvNames)
	}
}
