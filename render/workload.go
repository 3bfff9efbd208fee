package render

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Replicas bounds a horizontal pod autoscaler.
//
// +k8s:deepcopy-gen=true
type Replicas struct {
	Min *int32 `json:"min,omitempty"`
	Max *int32 `json:"max,omitempty"`
}

// defaultReplicas fills unset bounds, keeping min <= max when only one
// bound was given.
func defaultReplicas(r *Replicas, lo, hi int32) {
	if r.Min == nil {
		r.Min = ptr(min(lo, derefOr(r.Max, lo)))
	}
	if r.Max == nil {
		r.Max = ptr(max(hi, *r.Min))
	}
}

// maxReplicas keeps zone-scaled replica counts well inside int32.
const maxReplicas = 10000

func validateReplicas(p *problems, field string, r Replicas, scale int) {
	lo, hi := derefOr(r.Min, 1), derefOr(r.Max, 1)
	if lo < 1 {
		p.add(field+".min", "must be at least 1, got %d", lo)
	}
	if hi < lo {
		p.add(field+".max", "must be at least min (%d), got %d", lo, hi)
	}
	if int64(hi)*int64(max(scale, 1)) > maxReplicas {
		p.add(field+".max", "%d replicas times %d zones is more than %d", hi, scale, maxReplicas)
	}
}

func validateResources(p *problems, field string, r *corev1.ResourceRequirements) {
	if r == nil {
		return
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := r.Requests[name]
		lim, hasLim := r.Limits[name]
		if hasReq && hasLim && req.Cmp(lim) > 0 {
			p.add(fmt.Sprintf("%s.requests.%s", field, name), "request %s is more than the limit %s", req.String(), lim.String())
		}
	}
}

// resources builds requirements from quantities given as requests then
// limits, "" for one not set.
func resources(cpuRequest, memoryRequest, cpuLimit, memoryLimit string) *corev1.ResourceRequirements {
	list := func(cpu, memory string) corev1.ResourceList {
		out := corev1.ResourceList{}
		if cpu != "" {
			out[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if memory != "" {
			out[corev1.ResourceMemory] = resource.MustParse(memory)
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return &corev1.ResourceRequirements{Requests: list(cpuRequest, memoryRequest), Limits: list(cpuLimit, memoryLimit)}
}

func ptr[T any](v T) *T { return &v }

func derefOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
