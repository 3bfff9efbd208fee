package istiod

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// The RBAC rules are upstream's istio-discovery chart for 1.30.3, rule for
// rule and in the same order, so a diff against istioctl's output shows
// nothing here.

var (
	readVerbs  = []string{"get", "list", "watch"}
	writeVerbs = []string{"get", "watch", "list", "update", "patch", "create", "delete"}
	istioAPIs  = []string{"config.istio.io", "security.istio.io", "networking.istio.io", "authentication.istio.io", "rbac.istio.io", "telemetry.istio.io", "extensions.istio.io"}
)

func rule(groups, resources, verbs []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs}
}

func strs(s ...string) []string { return s }

// istiodClusterRules is what istiod needs cluster-wide.
func istiodClusterRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(strs("admissionregistration.k8s.io"), strs("mutatingwebhookconfigurations"), strs("get", "list", "watch", "update", "patch")),
		rule(strs("admissionregistration.k8s.io"), strs("validatingwebhookconfigurations"), strs("get", "list", "watch", "update")),
		rule(istioAPIs, strs("*"), strs("get", "watch", "list")),
		rule(strs("networking.istio.io"), strs("workloadentries"), writeVerbs),
		rule(strs("networking.istio.io"), strs("workloadentries/status", "serviceentries/status"), writeVerbs),
		rule(strs("security.istio.io"), strs("authorizationpolicies/status"), writeVerbs),
		rule(strs(""), strs("services/status"), writeVerbs),
		rule(strs("apiextensions.k8s.io"), strs("customresourcedefinitions"), readVerbs),
		rule(strs(""), strs("pods", "nodes", "services", "namespaces", "endpoints"), readVerbs),
		rule(strs("discovery.k8s.io"), strs("endpointslices"), readVerbs),
		rule(strs("networking.k8s.io"), strs("ingresses", "ingressclasses"), readVerbs),
		rule(strs("networking.k8s.io"), strs("ingresses/status"), strs("*")),
		rule(strs(""), strs("configmaps"), strs("create", "get", "list", "watch", "update")),
		rule(strs("authentication.k8s.io"), strs("tokenreviews"), strs("create")),
		rule(strs("authorization.k8s.io"), strs("subjectaccessreviews"), strs("create")),
		rule(strs("gateway.networking.k8s.io", "gateway.networking.x-k8s.io"), strs("*"), strs("get", "watch", "list")),
		rule(strs("gateway.networking.x-k8s.io"), strs("xbackendtrafficpolicies/status"), strs("update", "patch")),
		rule(strs("gateway.networking.k8s.io"), strs("backendtlspolicies/status", "gatewayclasses/status", "gateways/status", "grpcroutes/status",
			"httproutes/status", "referencegrants/status", "tcproutes/status", "tlsroutes/status", "udproutes/status", "listenersets/status"), strs("update", "patch")),
		rule(strs("gateway.networking.k8s.io"), strs("gatewayclasses"), strs("create", "update", "patch", "delete")),
		rule(strs("inference.networking.k8s.io"), strs("inferencepools"), strs("get", "watch", "list")),
		rule(strs("inference.networking.k8s.io"), strs("inferencepools/status"), strs("update", "patch")),
		rule(strs(""), strs("secrets"), strs("get", "watch", "list")),
		rule(strs("multicluster.x-k8s.io"), strs("serviceexports"), strs("get", "watch", "list", "create", "delete")),
		rule(strs("multicluster.x-k8s.io"), strs("serviceimports"), strs("get", "watch", "list")),
	}
}

// gatewayControllerRules lets istiod deploy gateways for Gateway API
// resources. meshrender turns that controller off (it needs the injector's
// templates) but keeps upstream's role so enabling it later is an env
// change, not an RBAC one.
func gatewayControllerRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(strs("apps"), strs("deployments"), writeVerbs),
		rule(strs("autoscaling"), strs("horizontalpodautoscalers"), writeVerbs),
		rule(strs("policy"), strs("poddisruptionbudgets"), writeVerbs),
		rule(strs(""), strs("services"), writeVerbs),
		rule(strs(""), strs("serviceaccounts"), writeVerbs),
	}
}

// readerClusterRules is for remote clusters' istiod and tooling that reads
// mesh state (istio-reader-service-account).
func readerClusterRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(istioAPIs, strs("*"), readVerbs),
		rule(strs(""), strs("endpoints", "pods", "services", "nodes", "replicationcontrollers", "namespaces", "secrets", "configmaps"), readVerbs),
		rule(strs("networking.istio.io"), strs("workloadentries"), strs("get", "watch", "list")),
		rule(strs("networking.x-k8s.io", "gateway.networking.k8s.io"), strs("gateways"), strs("get", "watch", "list")),
		rule(strs("apiextensions.k8s.io"), strs("customresourcedefinitions"), readVerbs),
		rule(strs("discovery.k8s.io"), strs("endpointslices"), readVerbs),
		rule(strs("multicluster.x-k8s.io"), strs("serviceexports"), strs("get", "list", "watch", "create", "delete")),
		rule(strs("multicluster.x-k8s.io"), strs("serviceimports"), readVerbs),
		rule(strs("apps"), strs("replicasets"), readVerbs),
		rule(strs("authentication.k8s.io"), strs("tokenreviews"), strs("create")),
		rule(strs("authorization.k8s.io"), strs("subjectaccessreviews"), strs("create")),
	}
}

// istiodNamespaceRules is what istiod needs in its own namespace: its CA
// secret, leader election and the validation dry-run.
func istiodNamespaceRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(strs("networking.istio.io"), strs("gateways"), strs("create")),
		rule(strs(""), strs("secrets"), strs("create", "get", "watch", "list", "update", "delete")),
		rule(strs(""), strs("configmaps"), strs("delete")),
		rule(strs("coordination.k8s.io"), strs("leases"), strs("get", "update", "patch", "create")),
	}
}
