// Package podsecurity holds pod templates to the Pod Security Standards
// with the Pod Security admission's own evaluator, the code a Kubernetes
// API server runs for a namespace's pod-security.kubernetes.io labels.
package podsecurity

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// The labels that set a namespace's level.
const (
	LabelEnforce = psapi.EnforceLevelLabel
	LabelWarn    = psapi.WarnLevelLabel
	LabelAudit   = psapi.AuditLevelLabel
)

// evaluator is built once: building it compiles every check.
var evaluator = func() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	return e
}()

// Violations lists what keeps a pod from a level ("restricted",
// "baseline" or "privileged"), at the latest version of the standards;
// none means the API server admits it.
func Violations(level string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) ([]string, error) {
	l, err := psapi.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range evaluator.EvaluatePod(psapi.LevelVersion{Level: l, Version: psapi.LatestVersion()}, meta, spec) {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason+" ("+r.ForbiddenDetail+")")
		}
	}
	return out, nil
}

// Template returns the pod template of a workload, or nil for an object
// that runs no pods.
func Template(obj runtime.Object) *corev1.PodTemplateSpec {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return &o.Spec.Template
	case *appsv1.DaemonSet:
		return &o.Spec.Template
	case *appsv1.StatefulSet:
		return &o.Spec.Template
	case *appsv1.ReplicaSet:
		return &o.Spec.Template
	case *batchv1.Job:
		return &o.Spec.Template
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template
	case *corev1.Pod:
		return &corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}
	}
	return nil
}

// workloads are the kinds that run pods, by apiVersion and kind.
var workloads = map[[2]string]func() runtime.Object{
	{"apps/v1", "Deployment"}:  func() runtime.Object { return &appsv1.Deployment{} },
	{"apps/v1", "DaemonSet"}:   func() runtime.Object { return &appsv1.DaemonSet{} },
	{"apps/v1", "StatefulSet"}: func() runtime.Object { return &appsv1.StatefulSet{} },
	{"apps/v1", "ReplicaSet"}:  func() runtime.Object { return &appsv1.ReplicaSet{} },
	{"batch/v1", "Job"}:        func() runtime.Object { return &batchv1.Job{} },
	{"batch/v1", "CronJob"}:    func() runtime.Object { return &batchv1.CronJob{} },
	{"v1", "Pod"}:              func() runtime.Object { return &corev1.Pod{} },
}

// Runs reports whether objects of the kind run pods.
func Runs(apiVersion, kind string) bool {
	_, ok := workloads[[2]string{apiVersion, kind}]
	return ok
}

// TemplateOf decodes a printed workload and returns its pod template, or
// nil for a kind that runs no pods.
func TemplateOf(apiVersion, kind string, printed []byte) (*corev1.PodTemplateSpec, error) {
	newObj, ok := workloads[[2]string{apiVersion, kind}]
	if !ok {
		return nil, nil
	}
	obj := newObj()
	if err := yaml.Unmarshal(printed, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return Template(obj), nil
}
