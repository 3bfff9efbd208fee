package golden

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/meshrender/meshrender/render/ownership"
)

// podSecurity is the Pod Security admission's own evaluator, the code the
// API server runs for the pod-security.kubernetes.io labels.
var podSecurity = func() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	return e
}()

// podSecurityViolations lists what keeps a pod from the Pod Security
// level, at the latest version of the standards; none means it meets it.
func podSecurityViolations(level psapi.Level, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []string {
	var out []string
	for _, r := range podSecurity.EvaluatePod(psapi.LevelVersion{Level: level, Version: psapi.LatestVersion()}, meta, spec) {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason+" ("+r.ForbiddenDetail+")")
		}
	}
	return out
}

// nodeAgents are the workloads meshrender renders that need the host:
// istio-cni writes the CNI plugin and its config on every node, ztunnel
// enters ambient pods' network namespaces.
var nodeAgents = []string{"DaemonSet/istio-cni-node", "DaemonSet/ztunnel"}

// TestPodTemplatesMeetPodSecurity evaluates every rendered pod template
// with the Pod Security admission library at the level its namespace
// enforces: every namespace meshrender owns says its level (an
// application namespace's, which it only labels, is its team's), and every workload
// but the CNI node agent meets "restricted" whatever its namespace; the
// CNI node agent runs in kube-system, which meshrender leaves alone, or in
// a namespace of its own labelled privileged.
func TestPodTemplatesMeetPodSecurity(t *testing.T) {
	for _, e := range examples(t) {
		t.Run(e.Name, func(t *testing.T) {
			levels := map[string]psapi.Level{}
			var workloads []*unstructured.Unstructured
			_, objs := decodeObjects(t, renderExample(t, e))
			for _, u := range objs {
				switch u.GetKind() {
				case "Namespace":
					if ownership.LabelsOnly(u.GetAnnotations()) {
						continue // an application's: its level is its team's
					}
					level, err := psapi.ParseLevel(u.GetLabels()[psapi.EnforceLevelLabel])
					if err != nil {
						t.Errorf("Namespace %s: %s: %v", u.GetName(), psapi.EnforceLevelLabel, err)
					}
					levels[u.GetName()] = level
				case "Deployment", "DaemonSet", "StatefulSet", "Job":
					workloads = append(workloads, u)
				}
			}
			if len(workloads) == 0 {
				t.Fatal("no workloads rendered")
			}
			for _, u := range workloads {
				id := u.GetKind() + "/" + u.GetName()
				tmpl, err := podTemplate(u)
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				level, rendered := levels[u.GetNamespace()]
				switch {
				case slices.Contains(nodeAgents, id) && !rendered && u.GetNamespace() != "kube-system":
					t.Errorf("%s runs in %s, which is neither kube-system nor a namespace meshrender renders privileged", id, u.GetNamespace())
				case slices.Contains(nodeAgents, id):
					if rendered && level != psapi.LevelPrivileged {
						t.Errorf("%s runs in %s, which enforces %s; the node agent needs privileged", id, u.GetNamespace(), level)
					}
					if v := podSecurityViolations(psapi.LevelRestricted, &tmpl.ObjectMeta, &tmpl.Spec); len(v) == 0 {
						t.Errorf("%s meets restricted; then its namespace need not be privileged", id)
					}
				case !rendered:
					t.Errorf("%s runs in %s, a namespace meshrender does not render", id, u.GetNamespace())
				case level != psapi.LevelRestricted:
					t.Errorf("%s runs in %s, which enforces %s, not restricted", id, u.GetNamespace(), level)
				default:
					if v := podSecurityViolations(psapi.LevelRestricted, &tmpl.ObjectMeta, &tmpl.Spec); len(v) > 0 {
						t.Errorf("%s/%s breaks Pod Security restricted:\n%s", u.GetNamespace(), id, strings.Join(v, "\n"))
					}
				}
			}
		})
	}
}

// podTemplate is the pod template of a workload object.
func podTemplate(u *unstructured.Unstructured) (*corev1.PodTemplateSpec, error) {
	raw, ok, err := unstructured.NestedMap(u.Object, "spec", "template")
	if err != nil || !ok {
		return nil, fmt.Errorf("no pod template: %v", err)
	}
	tmpl := &corev1.PodTemplateSpec{}
	err = runtime.DefaultUnstructuredConverter.FromUnstructured(raw, tmpl)
	return tmpl, err
}
