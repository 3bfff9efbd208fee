package v1alpha1

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Replicas bounds a horizontal pod autoscaler.
//
// +k8s:deepcopy-gen=true
type Replicas struct {
	Min *int32 `json:"min,omitempty"`
	Max *int32 `json:"max,omitempty"`
	// TargetCPUUtilization is the average CPU use, in percent of the
	// request, the autoscaler keeps (default 80).
	TargetCPUUtilization *int32 `json:"targetCPUUtilization,omitempty"`
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
	switch {
	case scale > 1 && int64(hi)*int64(scale) > maxReplicas:
		p.add(field+".max", "%d replicas times %d zones is more than %d", hi, scale, maxReplicas)
	case scale <= 1 && hi > maxReplicas:
		// With no zones or one, nothing multiplies the bound.
		p.add(field+".max", "must be at most %d, got %d", maxReplicas, hi)
	}
	if t := r.TargetCPUUtilization; t != nil && *t < 1 {
		p.add(field+".targetCPUUtilization", "must be a percentage of the CPU request above 0, got %d", *t)
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

// RollingUpdate bounds how a Deployment rolls out: how many pods above
// the desired number may start, and how many may be missing, each a
// number or a percentage.
//
// +k8s:deepcopy-gen=true
type RollingUpdate struct {
	// MaxSurge defaults to 100%.
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
	// MaxUnavailable defaults to 25%.
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

func validateRollingUpdate(p *problems, field string, r RollingUpdate) {
	for _, bound := range []struct {
		name string
		v    *intstr.IntOrString
	}{{"maxSurge", r.MaxSurge}, {"maxUnavailable", r.MaxUnavailable}} {
		v := bound.v
		if v == nil {
			continue
		}
		f := field + "." + bound.name
		switch v.Type {
		case intstr.Int:
			if v.IntVal < 0 {
				p.add(f, "must not be negative, got %d", v.IntVal)
			}
		case intstr.String:
			if n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%")); err != nil || !strings.HasSuffix(v.StrVal, "%") || n < 0 || n > 100 {
				p.add(f, "%q is not a number or a percentage between 0%% and 100%%", v.StrVal)
			}
		}
	}
	if zero := func(v *intstr.IntOrString) bool {
		return v != nil && (v.Type == intstr.Int && v.IntVal == 0 || v.StrVal == "0%")
	}; zero(r.MaxSurge) && zero(r.MaxUnavailable) {
		p.add(field, "maxSurge and maxUnavailable cannot both be 0: the rollout could never start")
	}
}

// validateEnv checks extra environment variables for a container whose own
// variables are reserved: meshrender sets those.
func validateEnv(p *problems, field string, env []corev1.EnvVar, reserved []string) {
	seen := map[string]int{}
	for i, e := range env {
		f := fmt.Sprintf("%s[%d]", field, i)
		for _, msg := range validation.IsEnvVarName(e.Name) {
			p.add(f+".name", "%q is not an environment variable name: %s", e.Name, msg)
		}
		if slices.Contains(reserved, e.Name) {
			p.add(f+".name", "%s is set by meshrender", e.Name)
		}
		if j, ok := seen[e.Name]; ok {
			p.add(f+".name", "duplicate variable %s (also %s[%d])", e.Name, field, j)
		}
		seen[e.Name] = i
		if e.ValueFrom != nil && e.Value != "" {
			p.add(f, "takes value or valueFrom, not both")
		}
	}
}
