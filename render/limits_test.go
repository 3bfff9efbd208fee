package render

import (
	"errors"
	"testing"
)

// problemsOf decodes a Mesh with spec and renders it, returning the
// problems found, each as "field: message".
func problemsOf(t *testing.T, spec string) []string {
	t.Helper()
	m, err := Decode([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata:\n  name: test\nspec:\n" + indent(spec)))
	if err == nil {
		_, err = Render(m)
	}
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	out := make([]string, len(ve.Errors))
	for i, fe := range ve.Errors {
		out[i] = fe.Error()
	}
	return out
}

// TestReplicaBoundMessages: the bound on replicas names the zones only
// when zones multiply it.
func TestReplicaBoundMessages(t *testing.T) {
	for _, tt := range []struct{ spec, want string }{
		{"ingress: {replicas: {max: 2147483647}}", "spec.ingress.replicas.max: must be at most 10000, got 2147483647"},
		{"zones: [a]\ningress: {replicas: {max: 10001}}", "spec.ingress.replicas.max: must be at most 10000, got 10001"},
		{"istiod: {replicas: {max: 20000}}", "spec.istiod.replicas.max: must be at most 10000, got 20000"},
		{"egress: {enabled: true, replicas: {max: 20000}}", "spec.egress.replicas.max: must be at most 10000, got 20000"},
		{"zones: [a, b, c]\ningress: {replicas: {max: 5000}}", "spec.ingress.replicas.max: 5000 replicas times 3 zones is more than 10000"},
	} {
		got := problemsOf(t, tt.spec)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.spec, got, tt.want)
		}
	}
}
