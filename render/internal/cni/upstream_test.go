package cni

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// upstreamFile holds istioctl 1.30.3's istio-cni objects verbatim.
const upstreamFile = "testdata/upstream.yaml"

// referenceValues are the settings istioctl's reference output was
// rendered with.
func referenceValues() Values {
	return Values{
		Meta:        objects.Meta{Instance: "mesh", Version: "1.30.3"},
		Namespace:   "kube-system",
		Revision:    "1-30-3",
		Image:       "registry.example.com/istio/install-cni:1.30.3",
		PullSecrets: []string{"registry-credentials"},
		Tag:         "1.30.3",
		Resources:   DefaultResources(),
	}
}

// upstream is istioctl's objects, decoded into their Go types.
type upstream struct {
	sa                     *corev1.ServiceAccount
	role, repairRole       *rbacv1.ClusterRole
	binding, repairBinding *rbacv1.ClusterRoleBinding
	config                 *corev1.ConfigMap
	ds                     *appsv1.DaemonSet
	all                    []objects.Object
	documents              [][]byte
}

// loadUpstream decodes the upstream file strictly: a field the Go types
// do not know fails the test instead of vanishing from the comparison.
func loadUpstream(t *testing.T) upstream {
	t.Helper()
	raw, err := os.ReadFile(upstreamFile)
	if err != nil {
		t.Fatal(err)
	}
	var u upstream
	for _, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatal(err)
		}
		var obj objects.Object
		switch tm.Kind {
		case "ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "ClusterRole":
			obj = &rbacv1.ClusterRole{}
		case "ClusterRoleBinding":
			obj = &rbacv1.ClusterRoleBinding{}
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		case "DaemonSet":
			obj = &appsv1.DaemonSet{}
		default:
			t.Fatalf("%s: unexpected kind %q", upstreamFile, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("%s: %s: %v", upstreamFile, tm.Kind, err)
		}
		u.all = append(u.all, obj)
		u.documents = append(u.documents, doc)
		switch o := obj.(type) {
		case *corev1.ServiceAccount:
			u.sa = o
		case *rbacv1.ClusterRole:
			if o.Name == RepairRoleName {
				u.repairRole = o
			} else {
				u.role = o
			}
		case *rbacv1.ClusterRoleBinding:
			if o.Name == RepairBindingName {
				u.repairBinding = o
			} else {
				u.binding = o
			}
		case *corev1.ConfigMap:
			u.config = o
		case *appsv1.DaemonSet:
			u.ds = o
		}
	}
	if len(u.all) != 7 || u.sa == nil || u.role == nil || u.repairRole == nil || u.binding == nil || u.repairBinding == nil || u.config == nil || u.ds == nil {
		t.Fatalf("%s: want istio-cni's 7 objects, got %d", upstreamFile, len(u.all))
	}
	return u
}

// rendered is Objects' output, by object.
type rendered struct {
	sa                     *corev1.ServiceAccount
	role, repairRole       *rbacv1.ClusterRole
	binding, repairBinding *rbacv1.ClusterRoleBinding
	config                 *corev1.ConfigMap
	ds                     *appsv1.DaemonSet
}

// render renders v and checks that it gives upstream's seven objects in
// upstream's order.
func render(t *testing.T, v Values) rendered {
	t.Helper()
	objs := Objects(v)
	want := []struct{ kind, name string }{
		{"ServiceAccount", Name},
		{"ClusterRole", Name},
		{"ClusterRole", RepairRoleName},
		{"ClusterRoleBinding", Name},
		{"ClusterRoleBinding", RepairBindingName},
		{"ConfigMap", ConfigMapName},
		{"DaemonSet", DaemonSetName},
	}
	if len(objs) != len(want) {
		t.Fatalf("Objects returned %d objects, want %d", len(objs), len(want))
	}
	for i, w := range want {
		if got := objs[i].GetObjectKind().GroupVersionKind().Kind; got != w.kind || objs[i].GetName() != w.name {
			t.Fatalf("object %d is %s %s, want %s %s", i, got, objs[i].GetName(), w.kind, w.name)
		}
	}
	return rendered{
		sa:            objs[0].(*corev1.ServiceAccount),
		role:          objs[1].(*rbacv1.ClusterRole),
		repairRole:    objs[2].(*rbacv1.ClusterRole),
		binding:       objs[3].(*rbacv1.ClusterRoleBinding),
		repairBinding: objs[4].(*rbacv1.ClusterRoleBinding),
		config:        objs[5].(*corev1.ConfigMap),
		ds:            objs[6].(*appsv1.DaemonSet),
	}
}

// quantities compares resource quantities by value and printed form.
var quantities = cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 && a.String() == b.String() })

func diff(want, got any) string { return cmp.Diff(want, got, quantities) }

// TestUpstreamDecodesLosslessly proves the comparisons below see all of
// upstream: each decoded object prints back to the same YAML tree as the
// verbatim document it came from.
func TestUpstreamDecodesLosslessly(t *testing.T) {
	u := loadUpstream(t)
	for i, obj := range u.all {
		printed, err := yamlenc.AppendManifest(nil, obj)
		if err != nil {
			t.Fatal(err)
		}
		var want, got any
		if err := yaml.Unmarshal(u.documents[i], &want); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(printed, &got); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s %s does not survive decoding (-file +decoded):\n%s", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), d)
		}
	}
}

// helmLabels are upstream's bookkeeping labels, which meshrender does not
// render.
var helmLabels = []string{"helm.sh/chart", "release", "install.operator.istio.io/owning-resource", "operator.istio.io/component"}

// asMeshrender is upstream's labels with the documented difference
// applied: Helm's bookkeeping labels dropped, and the app.kubernetes.io
// labels meshrender's standard ones for meta.
func asMeshrender(meta objects.Meta, upstream map[string]string) map[string]string {
	out := maps.Clone(upstream)
	for _, k := range helmLabels {
		delete(out, k)
	}
	maps.Copy(out, meta.Labels(Name, nil))
	return out
}

// TestMatchesUpstream compares every field upstream sets with what
// Objects renders for the same settings.
func TestMatchesUpstream(t *testing.T) {
	u := loadUpstream(t)
	v := referenceValues()
	r := render(t, v)
	upod, rpod := u.ds.Spec.Template.Spec, r.ds.Spec.Template.Spec
	if len(upod.Containers) != 1 || len(rpod.Containers) != 1 {
		t.Fatalf("want one container, upstream has %d, rendered %d", len(upod.Containers), len(rpod.Containers))
	}
	uc, rc := upod.Containers[0], rpod.Containers[0]

	tests := []struct {
		name      string
		want, got any
	}{
		{"ServiceAccount imagePullSecrets", u.sa.ImagePullSecrets, r.sa.ImagePullSecrets},
		{"ServiceAccount namespace", u.sa.Namespace, r.sa.Namespace},
		{"ClusterRole istio-cni rules", u.role.Rules, r.role.Rules},
		{"ClusterRole istio-cni-repair-role rules", u.repairRole.Rules, r.repairRole.Rules},
		{"ClusterRoleBinding istio-cni roleRef", u.binding.RoleRef, r.binding.RoleRef},
		{"ClusterRoleBinding istio-cni subjects", u.binding.Subjects, r.binding.Subjects},
		{"ClusterRoleBinding istio-cni-repair-rolebinding roleRef", u.repairBinding.RoleRef, r.repairBinding.RoleRef},
		{"ClusterRoleBinding istio-cni-repair-rolebinding subjects", u.repairBinding.Subjects, r.repairBinding.Subjects},
		{"ConfigMap namespace", u.config.Namespace, r.config.Namespace},
		{"ConfigMap data", u.config.Data, r.config.Data},
		{"DaemonSet namespace", u.ds.Namespace, r.ds.Namespace},
		{"DaemonSet selector", u.ds.Spec.Selector, r.ds.Spec.Selector},
		{"DaemonSet updateStrategy", u.ds.Spec.UpdateStrategy, r.ds.Spec.UpdateStrategy},
		{"nodeSelector", upod.NodeSelector, rpod.NodeSelector},
		{"tolerations", upod.Tolerations, rpod.Tolerations},
		{"priorityClassName", upod.PriorityClassName, rpod.PriorityClassName},
		{"serviceAccountName", upod.ServiceAccountName, rpod.ServiceAccountName},
		{"terminationGracePeriodSeconds", upod.TerminationGracePeriodSeconds, rpod.TerminationGracePeriodSeconds},
		{"pod imagePullSecrets", upod.ImagePullSecrets, rpod.ImagePullSecrets},
		{"hostNetwork", upod.HostNetwork, rpod.HostNetwork},
		{"pod securityContext", upod.SecurityContext, rpod.SecurityContext},
		{"volumes", upod.Volumes, rpod.Volumes},
		{"container name", uc.Name, rc.Name},
		{"image", uc.Image, rc.Image},
		{"imagePullPolicy", uc.ImagePullPolicy, rc.ImagePullPolicy},
		{"command", uc.Command, rc.Command},
		{"args", uc.Args, rc.Args},
		{"env", uc.Env, rc.Env},
		{"envFrom", uc.EnvFrom, rc.EnvFrom},
		{"ports", uc.Ports, rc.Ports},
		{"readinessProbe", uc.ReadinessProbe, rc.ReadinessProbe},
		{"container securityContext", withAppArmorField(uc.SecurityContext), rc.SecurityContext},
		{"volumeMounts", uc.VolumeMounts, rc.VolumeMounts},
		{"resource requests", uc.Resources.Requests, rc.Resources.Requests},
		// The documented differences: meshrender's labels in place of
		// Helm's, and a memory limit where upstream has none.
		{"ServiceAccount labels", asMeshrender(v.Meta, u.sa.Labels), r.sa.Labels},
		{"ClusterRole istio-cni labels", asMeshrender(v.Meta, u.role.Labels), r.role.Labels},
		{"ClusterRole istio-cni-repair-role labels", asMeshrender(v.Meta, u.repairRole.Labels), r.repairRole.Labels},
		{"ClusterRoleBinding istio-cni labels", asMeshrender(v.Meta, u.binding.Labels), r.binding.Labels},
		{"ClusterRoleBinding istio-cni-repair-rolebinding labels", asMeshrender(v.Meta, u.repairBinding.Labels), r.repairBinding.Labels},
		{"ConfigMap labels", asMeshrender(v.Meta, u.config.Labels), r.config.Labels},
		{"DaemonSet labels", asMeshrender(v.Meta, u.ds.Labels), r.ds.Labels},
		{"pod labels", asMeshrender(v.Meta, u.ds.Spec.Template.Labels), r.ds.Spec.Template.Labels},
		{"resource limits", corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}, rc.Resources.Limits},
		{"pod annotations without the AppArmor one", withoutAppArmorAnnotation(u.ds.Spec.Template.Annotations), r.ds.Spec.Template.Annotations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := diff(tt.want, tt.got); d != "" {
				t.Errorf("differs from upstream (-upstream +rendered):\n%s", d)
			}
		})
	}
	if upod.Containers[0].Resources.Limits != nil {
		t.Errorf("upstream sets limits %v; the memory limit is no longer a difference", uc.Resources.Limits)
	}
}

// TestNothingElseDiffers compares whole objects: upstream's with the
// documented differences applied must equal the rendered ones, so a field
// that no check above names cannot differ unnoticed.
func TestNothingElseDiffers(t *testing.T) {
	u := loadUpstream(t)
	v := referenceValues()
	objs := Objects(v)
	if len(objs) != len(u.all) {
		t.Fatalf("rendered %d objects, upstream has %d", len(objs), len(u.all))
	}
	for i, want := range u.all {
		want.SetLabels(asMeshrender(v.Meta, want.GetLabels()))
		if ds, ok := want.(*appsv1.DaemonSet); ok {
			tpl := &ds.Spec.Template
			tpl.Labels = asMeshrender(v.Meta, tpl.Labels)
			tpl.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(DefaultMemoryLimit)}
			tpl.Annotations = withoutAppArmorAnnotation(tpl.Annotations)
			tpl.Spec.Containers[0].SecurityContext = withAppArmorField(tpl.Spec.Containers[0].SecurityContext)
		}
		got := objs[i]
		name := fmt.Sprintf("%s %s", want.GetObjectKind().GroupVersionKind().Kind, want.GetName())
		if reflect.TypeOf(want) != reflect.TypeOf(got) {
			t.Errorf("%s: rendered a %T", name, got)
			continue
		}
		if d := diff(want, got); d != "" {
			t.Errorf("%s differs from upstream beyond the documented differences (-upstream +rendered):\n%s", name, d)
		}
	}
}

// appArmorAnnotation is how upstream's default keeps install-cni
// unconfined; meshrender sets the securityContext field instead, as
// upstream does with useAppArmorAnnotation: false.
const appArmorAnnotation = "container.apparmor.security.beta.kubernetes.io/" + ContainerName

func withoutAppArmorAnnotation(a map[string]string) map[string]string {
	if a[appArmorAnnotation] != "unconfined" {
		panic("upstream no longer keeps install-cni unconfined by annotation")
	}
	out := maps.Clone(a)
	delete(out, appArmorAnnotation)
	return out
}

func withAppArmorField(sc *corev1.SecurityContext) *corev1.SecurityContext {
	out := sc.DeepCopy()
	out.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	return out
}

// upstreamAmbientFile holds istioctl 1.30.3's istio-cni ConfigMap,
// DaemonSet and istio-cni-ambient ClusterRole verbatim from its ambient
// profile (`istioctl manifest generate --set profile=ambient`).
const upstreamAmbientFile = "testdata/upstream-ambient.yaml"

// TestAmbientModeMatchesUpstream compares what ambient mode changes with
// istioctl's ambient profile: the agent's settings, its mounts and host
// paths, and the rules of the ambient ClusterRole.
func TestAmbientModeMatchesUpstream(t *testing.T) {
	raw, err := os.ReadFile(upstreamAmbientFile)
	if err != nil {
		t.Fatal(err)
	}
	var config corev1.ConfigMap
	var ds appsv1.DaemonSet
	var role rbacv1.ClusterRole
	var binding rbacv1.ClusterRoleBinding
	for _, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatal(err)
		}
		target := map[string]any{"ConfigMap": &config, "DaemonSet": &ds, "ClusterRole": &role, "ClusterRoleBinding": &binding}[tm.Kind]
		if target == nil {
			t.Fatalf("%s: unexpected kind %q", upstreamAmbientFile, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, target); err != nil {
			t.Fatal(err)
		}
	}
	v := referenceValues()
	v.Ambient = true
	objs := Objects(v)
	var got struct {
		config  *corev1.ConfigMap
		ds      *appsv1.DaemonSet
		role    *rbacv1.ClusterRole
		binding *rbacv1.ClusterRoleBinding
		names   []string
	}
	for _, o := range objs {
		got.names = append(got.names, o.GetObjectKind().GroupVersionKind().Kind+" "+o.GetName())
		switch o := o.(type) {
		case *corev1.ConfigMap:
			got.config = o
		case *appsv1.DaemonSet:
			got.ds = o
		case *rbacv1.ClusterRole:
			if o.Name == AmbientRoleName {
				got.role = o
			}
		case *rbacv1.ClusterRoleBinding:
			if o.Name == AmbientRoleName {
				got.binding = o
			}
		}
	}
	wantNames := []string{"ServiceAccount istio-cni", "ClusterRole istio-cni", "ClusterRole istio-cni-ambient", "ClusterRole istio-cni-repair-role",
		"ClusterRoleBinding istio-cni", "ClusterRoleBinding istio-cni-ambient", "ClusterRoleBinding istio-cni-repair-rolebinding",
		"ConfigMap istio-cni-config", "DaemonSet istio-cni-node"}
	if d := cmp.Diff(wantNames, got.names); d != "" {
		t.Fatalf("objects in upstream's order (-want +got):\n%s", d)
	}
	if d := diff(config.Data, got.config.Data); d != "" {
		t.Errorf("ConfigMap data (-upstream +rendered):\n%s", d)
	}
	if d := diff(ds.Spec.Template.Spec.Containers[0].VolumeMounts, got.ds.Spec.Template.Spec.Containers[0].VolumeMounts); d != "" {
		t.Errorf("volume mounts (-upstream +rendered):\n%s", d)
	}
	if d := diff(ds.Spec.Template.Spec.Volumes, got.ds.Spec.Template.Spec.Volumes); d != "" {
		t.Errorf("volumes (-upstream +rendered):\n%s", d)
	}
	if d := diff(role.Rules, got.role.Rules); d != "" {
		t.Errorf("ClusterRole %s rules (-upstream +rendered):\n%s", AmbientRoleName, d)
	}
	// Upstream's subject is in istio-system, where its agent runs.
	binding.Subjects[0].Namespace = v.Namespace
	if d := diff([]any{binding.RoleRef, binding.Subjects, binding.Labels["k8s-app"]}, []any{got.binding.RoleRef, got.binding.Subjects, got.binding.Labels["k8s-app"]}); d != "" {
		t.Errorf("ClusterRoleBinding %s (-upstream +rendered):\n%s", AmbientRoleName, d)
	}
}
