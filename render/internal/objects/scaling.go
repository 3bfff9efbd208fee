package objects

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// CPUAutoscaler scales the Deployment named in meta between the
// workload's bounds, keeping its CPU at the target (upstream's 80% unless
// set).
func CPUAutoscaler(meta metav1.ObjectMeta, w Workload) *autoscalingv2.HorizontalPodAutoscaler {
	target := w.TargetCPU
	if target == 0 {
		target = 80
	}
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: meta,
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: meta.Name},
			MinReplicas:    new(w.MinReplicas),
			MaxReplicas:    w.MaxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: new(target)},
				},
			}},
		},
	}
}

// DisruptionBudget keeps one pod of the selected workload up during
// voluntary disruptions. Like upstream it is only made when the workload
// never runs fewer than two replicas: with one, minAvailable 1 would block
// every node drain. Unhealthy pods may always be evicted so a crash-looping
// pod cannot block a drain either.
func DisruptionBudget(meta metav1.ObjectMeta, selector map[string]string, minReplicas int32) *policyv1.PodDisruptionBudget {
	if minReplicas < 2 {
		return nil
	}
	one := intstr.FromInt32(1)
	always := policyv1.AlwaysAllow
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: meta,
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable:               &one,
			Selector:                   &metav1.LabelSelector{MatchLabels: selector},
			UnhealthyPodEvictionPolicy: &always,
		},
	}
}
