package objects

import (
	"cmp"
	"strings"
)

// GroupKind names a kind of object by its API group ("" for the core
// group) and kind, the way install order tells kinds apart.
type GroupKind struct {
	Group, Kind string
}

// installOrder lists kinds so that everything an object needs exists
// before it: definitions and namespaces, cluster-wide RBAC, then
// namespaced objects in the order a workload needs them (with network
// policies before any pod starts, so no pod runs unprotected), then
// webhooks, which would otherwise intercept their own install, then the
// certificate issuers and certificates cert-manager serves, then Istio
// resources, policies first. Kinds on one line share a rank.
var installOrder = [][]GroupKind{
	{{"apiextensions.k8s.io", "CustomResourceDefinition"}},
	{{"", "Namespace"}},
	{{"rbac.authorization.k8s.io", "ClusterRole"}},
	{{"rbac.authorization.k8s.io", "ClusterRoleBinding"}},
	{{"", "ServiceAccount"}},
	{{"rbac.authorization.k8s.io", "Role"}},
	{{"rbac.authorization.k8s.io", "RoleBinding"}},
	{{"", "ConfigMap"}},
	{{"", "Secret"}},
	{{"networking.k8s.io", "NetworkPolicy"}},
	{{"", "Service"}},
	{{"apps", "Deployment"}, {"apps", "DaemonSet"}},
	{{"autoscaling", "HorizontalPodAutoscaler"}},
	{{"policy", "PodDisruptionBudget"}},
	{{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"}, {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"}},
	{{"cert-manager.io", "ClusterIssuer"}, {"cert-manager.io", "Issuer"}},
	{{"cert-manager.io", "Certificate"}},
	{{"security.istio.io", "PeerAuthentication"}},
	{{"security.istio.io", "RequestAuthentication"}},
	{{"security.istio.io", "AuthorizationPolicy"}},
	{{"networking.istio.io", "Sidecar"}},
	{{"networking.istio.io", "ServiceEntry"}},
	{{"networking.istio.io", "DestinationRule"}},
	{{"networking.istio.io", "Gateway"}, {"gateway.networking.k8s.io", "Gateway"}},
	{{"networking.istio.io", "VirtualService"}},
	{{"telemetry.istio.io", "Telemetry"}},
	{{"networking.istio.io", "EnvoyFilter"}, {"networking.istio.io", "ProxyConfig"}, {"networking.istio.io", "WorkloadEntry"}, {"networking.istio.io", "WorkloadGroup"},
		{"extensions.istio.io", "WasmPlugin"}, {"extensions.istio.io", "TrafficExtension"}},
}

// installRank is installOrder as a lookup table.
var installRank = func() map[GroupKind]int {
	out := map[GroupKind]int{}
	for rank, kinds := range installOrder {
		for _, gk := range kinds {
			out[gk] = rank
		}
	}
	return out
}()

// rankUnknown puts kinds without a rank last; TestEveryRenderedKindHasARank
// keeps rendered kinds out of it.
var rankUnknown = len(installOrder)

// Rank returns where objects of a kind go in the install order, and
// whether the kind has a place in it at all.
func Rank(apiVersion, kind string) (int, bool) {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group = "" // core: apiVersion is just "v1"
	}
	r, known := installRank[GroupKind{group, kind}]
	if !known {
		return rankUnknown, false
	}
	return r, true
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
	r, _ := Rank(k.APIVersion, k.Kind)
	return SortKey{Key: k, Rank: r, Index: i}
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
