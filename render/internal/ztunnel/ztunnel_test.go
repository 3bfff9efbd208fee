package ztunnel

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// testdata/upstream-<minor>.yaml hold ztunnel's ServiceAccount and
// DaemonSet verbatim as istioctl's ambient profile renders them: `istioctl
// manifest generate --set profile=ambient` over the charts of the 1.30.3
// tag and of the release-1.31 branch at the 1.31.0 release (tag 1.31.4).

// upstreamValues are the settings istioctl's output was rendered with.
func upstreamValues(minor, tag string) Values {
	return Values{
		Meta:          objects.Meta{Instance: "istio", Version: tag},
		Namespace:     "istio-system",
		Image:         "docker.io/istio/ztunnel:" + tag + "-distroless",
		IstiodAddress: "istiod.istio-system.svc:15012",
		ClusterID:     "Kubernetes",
		Minor:         minor,
		// Upstream's requests, without meshrender's memory limit.
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("512Mi"),
		}},
		UpdateStrategy: RollingUpdate,
	}
}

// TestDaemonSetIsUpstreams compares the rendered DaemonSet with
// istioctl's for each minor release, field for field but the labels,
// which are meshrender's standard ones in place of Helm's.
func TestDaemonSetIsUpstreams(t *testing.T) {
	for _, r := range []struct{ minor, tag string }{{"1.30", "1.30.3"}, {"1.31", "1.31.4"}} {
		t.Run(r.minor, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/upstream-" + r.minor + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			var want appsv1.DaemonSet
			var sa corev1.ServiceAccount
			for _, doc := range bytes.Split(raw, []byte("\n---\n")) {
				target := any(&want)
				if bytes.Contains(doc, []byte("kind: ServiceAccount")) {
					target = &sa
				}
				if err := yaml.UnmarshalStrict(doc, target); err != nil {
					t.Fatal(err)
				}
			}
			objs := Objects(upstreamValues(r.minor, r.tag))
			got := objs[1].(*appsv1.DaemonSet).DeepCopy()
			if gotSA := objs[0].(*corev1.ServiceAccount); gotSA.Name != sa.Name || gotSA.Namespace != sa.Namespace || len(gotSA.ImagePullSecrets) != 0 {
				t.Errorf("ServiceAccount %s/%s, want %s/%s without pull secrets", gotSA.Namespace, gotSA.Name, sa.Namespace, sa.Name)
			}
			for _, ds := range []*appsv1.DaemonSet{got, &want} {
				ds.Labels, ds.Annotations = nil, nil
				for k := range ds.Spec.Template.Labels {
					if k != "app" && k != "istio.io/dataplane-mode" && k != "sidecar.istio.io/inject" {
						delete(ds.Spec.Template.Labels, k)
					}
				}
				// Upstream writes fieldRefs without apiVersion, which the API
				// server fills in.
				for i := range ds.Spec.Template.Spec.Containers[0].Env {
					if f := ds.Spec.Template.Spec.Containers[0].Env[i].ValueFrom; f != nil && f.FieldRef != nil {
						f.FieldRef.APIVersion = ""
					}
				}
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("DaemonSet differs from istioctl's (-upstream +rendered):\n%s", diff)
			}
		})
	}
}

// TestUpdateStrategy: OnDelete leaves running ztunnels alone; the default
// surges a new one beside the old on each node.
func TestUpdateStrategy(t *testing.T) {
	v := upstreamValues("1.31", "1.31.4")
	v.UpdateStrategy = OnDelete
	ds := Objects(v)[1].(*appsv1.DaemonSet)
	if s := ds.Spec.UpdateStrategy; s.Type != appsv1.OnDeleteDaemonSetStrategyType || s.RollingUpdate != nil {
		t.Errorf("update strategy %+v, want OnDelete alone", s)
	}
}
