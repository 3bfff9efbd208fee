package objects

import (
	"cmp"
	"strings"
)

// installRank orders kinds so that everything an object needs exists
// before it: definitions and namespaces, cluster-wide RBAC, then namespaced
// objects in the order a workload needs them, then webhooks (which would
// otherwise intercept their own install), then Istio resources.
var installRank = map[string]int{
	"CustomResourceDefinition":       0,
	"Namespace":                      1,
	"ClusterRole":                    2,
	"ClusterRoleBinding":             3,
	"ServiceAccount":                 4,
	"Role":                           5,
	"RoleBinding":                    6,
	"ConfigMap":                      7,
	"Secret":                         8,
	"Service":                        9,
	"Deployment":                     10,
	"DaemonSet":                      10,
	"HorizontalPodAutoscaler":        11,
	"PodDisruptionBudget":            12,
	"MutatingWebhookConfiguration":   13,
	"ValidatingWebhookConfiguration": 13,
}

const (
	rankIstio   = 14
	rankUnknown = 15
)

// Rank returns where objects of a kind go in the install order.
func Rank(apiVersion, kind string) int {
	if r, ok := installRank[kind]; ok && !isIstio(apiVersion) {
		return r
	}
	if isIstio(apiVersion) {
		return rankIstio
	}
	return rankUnknown
}

func isIstio(apiVersion string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	return strings.HasSuffix(group, ".istio.io")
}

// Key identifies an object for ordering.
type Key struct {
	APIVersion, Kind, Namespace, Name string
}

// Compare orders keys by install rank, then namespace, name, kind and
// apiVersion, so that any set of objects has exactly one order.
func Compare(a, b Key) int {
	return CompareSortKeys(NewSortKey(a, 0), NewSortKey(b, 0))
}

// SortKey is a Key with its rank worked out once, for sorting many
// objects; Index says where the object was.
type SortKey struct {
	Key
	Rank  int
	Index int
}

// NewSortKey returns the sort key of the object at index i.
func NewSortKey(k Key, i int) SortKey {
	return SortKey{Key: k, Rank: Rank(k.APIVersion, k.Kind), Index: i}
}

// CompareSortKeys orders like Compare.
func CompareSortKeys(a, b SortKey) int {
	return cmp.Or(
		cmp.Compare(a.Rank, b.Rank),
		strings.Compare(a.Namespace, b.Namespace),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Kind, b.Kind),
		strings.Compare(a.APIVersion, b.APIVersion),
	)
}
