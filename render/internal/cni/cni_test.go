package cni

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/meshrender/meshrender/render/internal/objcheck"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// printObjects prints objects as the pipeline does.
func printObjects(t *testing.T, objs []objects.Object) []byte {
	t.Helper()
	var out []byte
	for _, o := range objs {
		var err error
		if out, err = yamlenc.AppendManifest(out, o); err != nil {
			t.Fatal(err)
		}
		out = append(out, "---\n"...)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	first := printObjects(t, Objects(referenceValues()))
	for range 20 {
		if again := printObjects(t, Objects(referenceValues())); !bytes.Equal(first, again) {
			t.Fatalf("equal values printed differently:\n%s\n---- then ----\n%s", first, again)
		}
	}
}

// TestDoesNotAliasValues: changing the values after rendering leaves the
// objects as they were.
func TestDoesNotAliasValues(t *testing.T) {
	v := referenceValues()
	objs := Objects(v)
	before := printObjects(t, objs)
	v.PullSecrets[0] = "changed"
	v.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("7")
	v.Resources.Limits[corev1.ResourceMemory] = resource.MustParse("7Gi")
	if after := printObjects(t, objs); !bytes.Equal(before, after) {
		t.Errorf("changing the values changed rendered objects:\n%s", after)
	}
}

// TestTypeMeta: every object says what it is, and the kind has a place
// in the install order.
func TestTypeMeta(t *testing.T) {
	want := map[string]string{
		"*v1.ServiceAccount":     "v1 ServiceAccount",
		"*v1.ConfigMap":          "v1 ConfigMap",
		"*v1.ClusterRole":        "rbac.authorization.k8s.io/v1 ClusterRole",
		"*v1.ClusterRoleBinding": "rbac.authorization.k8s.io/v1 ClusterRoleBinding",
		"*v1.DaemonSet":          "apps/v1 DaemonSet",
	}
	for _, o := range Objects(referenceValues()) {
		gvk := o.GetObjectKind().GroupVersionKind()
		got := gvk.GroupVersion().String() + " " + gvk.Kind
		typ := fmt.Sprintf("%T", o)
		if want[typ] != got {
			t.Errorf("%s %s has TypeMeta %q, want %q", typ, o.GetName(), got, want[typ])
		}
		if _, ranked := objects.Rank(gvk.GroupVersion().String(), gvk.Kind); !ranked {
			t.Errorf("%s has no install rank", gvk.Kind)
		}
	}
}

// clusterScoped are the kinds Objects renders without a namespace.
var clusterScoped = []string{"ClusterRole", "ClusterRoleBinding"}

// TestValid checks every object as the renderer checks patched ones.
func TestValid(t *testing.T) {
	minimal := Values{Namespace: DefaultNamespace, Revision: "default", Image: "docker.io/istio/install-cni:1.30.3", Tag: "1.30.3"}
	for _, v := range []Values{referenceValues(), minimal} {
		for _, o := range Objects(v) {
			kind := o.GetObjectKind().GroupVersionKind().Kind
			for _, msg := range objcheck.Check(kind, o, !slices.Contains(clusterScoped, kind)) {
				t.Errorf("%s %s: %s", kind, o.GetName(), msg)
			}
		}
	}
}

// TestNamespace: the namespace in Values is the one every namespaced
// object lives in and every binding names; cluster-scoped objects have
// none.
func TestNamespace(t *testing.T) {
	for _, ns := range []string{DefaultNamespace, "istio-cni"} {
		t.Run(ns, func(t *testing.T) {
			v := referenceValues()
			v.Namespace = ns
			for _, o := range Objects(v) {
				kind := o.GetObjectKind().GroupVersionKind().Kind
				want := ns
				if slices.Contains(clusterScoped, kind) {
					want = ""
				}
				if o.GetNamespace() != want {
					t.Errorf("%s %s is in namespace %q, want %q", kind, o.GetName(), o.GetNamespace(), want)
				}
				if b, ok := o.(*rbacv1.ClusterRoleBinding); ok {
					for _, s := range b.Subjects {
						if s.Namespace != ns {
							t.Errorf("%s subject %s is in namespace %q, want %q", b.Name, s.Name, s.Namespace, ns)
						}
					}
				}
			}
			r := render(t, v)
			// Upstream excludes kube-system from redirection wherever the
			// agent runs.
			if got := r.config.Data["EXCLUDE_NAMESPACES"]; got != "kube-system" {
				t.Errorf("EXCLUDE_NAMESPACES is %q, want kube-system", got)
			}
		})
	}
}

// TestLabels holds the labels each object carries besides the standard
// ones: upstream's functional labels, never Helm's bookkeeping.
func TestLabels(t *testing.T) {
	for _, rev := range []string{"1-30-3", "default"} {
		t.Run(rev, func(t *testing.T) {
			v := referenceValues()
			v.Revision = rev
			r := render(t, v)
			app := map[string]string{"app": "istio-cni", "istio.io/rev": rev}
			tests := []struct {
				name      string
				got, want map[string]string
			}{
				{"ServiceAccount", r.sa.Labels, app},
				{"ClusterRole istio-cni", r.role.Labels, app},
				{"ClusterRole istio-cni-repair-role", r.repairRole.Labels, app},
				{"ClusterRoleBinding istio-cni", r.binding.Labels, app},
				{"ClusterRoleBinding istio-cni-repair-rolebinding", r.repairBinding.Labels, map[string]string{"k8s-app": "istio-cni-repair", "istio.io/rev": rev}},
				{"ConfigMap", r.config.Labels, app},
				{"DaemonSet", r.ds.Labels, map[string]string{"k8s-app": "istio-cni-node", "istio.io/rev": rev}},
				{"pod", r.ds.Spec.Template.Labels, map[string]string{"k8s-app": "istio-cni-node", "sidecar.istio.io/inject": "false", "istio.io/dataplane-mode": "none"}},
			}
			for _, tt := range tests {
				if d := diff(v.Meta.Labels("istio-cni", tt.want), tt.got); d != "" {
					t.Errorf("%s labels (-want +got):\n%s", tt.name, d)
				}
				for _, k := range helmLabels {
					if _, ok := tt.got[k]; ok {
						t.Errorf("%s has Helm's label %s", tt.name, k)
					}
				}
			}
		})
	}
}

// TestSettings: what Values sets shows up where upstream's chart puts the
// same setting, and nowhere else changes.
func TestSettings(t *testing.T) {
	hostPath := func(ds *appsv1.DaemonSet, volume string) string {
		for _, vol := range ds.Spec.Template.Spec.Volumes {
			if vol.Name == volume {
				return vol.HostPath.Path
			}
		}
		return "(no volume " + volume + ")"
	}
	mountPath := func(ds *appsv1.DaemonSet, volume string) string {
		for _, m := range ds.Spec.Template.Spec.Containers[0].VolumeMounts {
			if m.Name == volume {
				return m.MountPath
			}
		}
		return "(no mount of " + volume + ")"
	}
	tests := []struct {
		name  string
		set   func(*Values)
		check func(t *testing.T, r rendered)
	}{
		{"host dirs", func(v *Values) {}, func(t *testing.T, r rendered) {
			// The chart's defaults, mounted where the agent looks.
			for _, d := range []struct{ volume, host, mount string }{
				{volumeBin, "/opt/cni/bin", "/host/opt/cni/bin"},
				{volumeNet, "/etc/cni/net.d", "/host/etc/cni/net.d"},
			} {
				if got := hostPath(r.ds, d.volume); got != d.host {
					t.Errorf("%s is %s, want %s", d.volume, got, d.host)
				}
				if got := mountPath(r.ds, d.volume); got != d.mount {
					t.Errorf("%s is mounted at %s; the agent looks in %s", d.volume, got, d.mount)
				}
			}
		}},
		{"digest image and tag", func(v *Values) {
			v.Image = "registry.example.com/istio/install-cni@sha256:" + string(bytes.Repeat([]byte("a"), 64))
			v.Tag = "1.30.4"
		}, func(t *testing.T, r rendered) {
			if got := r.ds.Spec.Template.Spec.Containers[0].Image; got != "registry.example.com/istio/install-cni@sha256:"+string(bytes.Repeat([]byte("a"), 64)) {
				t.Errorf("image is %s", got)
			}
			if got := r.config.Data["CURRENT_AGENT_VERSION"]; got != "1.30.4" {
				t.Errorf("CURRENT_AGENT_VERSION is %s", got)
			}
		}},
		{"no pull secrets", func(v *Values) { v.PullSecrets = nil }, func(t *testing.T, r rendered) {
			if r.sa.ImagePullSecrets != nil {
				t.Errorf("ServiceAccount has pull secrets %v", r.sa.ImagePullSecrets)
			}
		}},
		{"two pull secrets, on the ServiceAccount only", func(v *Values) { v.PullSecrets = []string{"a", "b"} }, func(t *testing.T, r rendered) {
			if d := diff([]corev1.LocalObjectReference{{Name: "a"}, {Name: "b"}}, r.sa.ImagePullSecrets); d != "" {
				t.Errorf("ServiceAccount pull secrets (-want +got):\n%s", d)
			}
			if got := r.ds.Spec.Template.Spec.ImagePullSecrets; got != nil {
				t.Errorf("pod has pull secrets %v", got)
			}
		}},
		{"upstream's resources", func(v *Values) {
			v.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("100Mi"),
			}}
		}, func(t *testing.T, r rendered) {
			if got := r.ds.Spec.Template.Spec.Containers[0].Resources.Limits; got != nil {
				t.Errorf("limits %v that Values did not set", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := referenceValues()
			tt.set(&v)
			tt.check(t, render(t, v))
		})
	}
}

// TestDefaultResources: upstream's requests, a memory limit that
// GOMEMLIMIT reads, and no CPU limit.
func TestDefaultResources(t *testing.T) {
	want := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("100Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
	}
	if d := diff(want, DefaultResources()); d != "" {
		t.Errorf("DefaultResources (-want +got):\n%s", d)
	}
	r := render(t, referenceValues())
	var gomemlimit *corev1.EnvVar
	for i, e := range r.ds.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "GOMEMLIMIT" {
			gomemlimit = &r.ds.Spec.Template.Spec.Containers[0].Env[i]
		}
	}
	if gomemlimit == nil || gomemlimit.ValueFrom == nil || gomemlimit.ValueFrom.ResourceFieldRef == nil || gomemlimit.ValueFrom.ResourceFieldRef.Resource != "limits.memory" {
		t.Errorf("GOMEMLIMIT does not follow limits.memory: %+v", gomemlimit)
	}
}
