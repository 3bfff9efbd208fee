package golden

// The filter of istiod's log, used by the e2e tests and checked by a unit
// test of its own, so it is built without the e2e tag.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// expectedLogs are the warnings and errors istiod logs in a healthy run
// here: readiness polled before it has started, the API server's first
// webhook call before it has istiod's root, the first dry runs that decide
// when to fail closed, an update of its webhook that meets a GitOps
// re-apply and is retried, two istiods racing to create the same
// leader election record, istiod racing itself to create a GatewayClass,
// the keys of the examples' identity providers, which cannot be fetched
// here, and the Services of a proxy run here under a pod name the API
// server does not have.
var expectedLogs = []*regexp.Regexp{
	// The examples' identity providers are under .example, which never
	// resolves (RFC 2606): istiod cannot fetch their keys here.
	regexp.MustCompile(`(Failed to fetch public key from jwks URI|Failed to GET from) "https://[a-z0-9.-]+\.example/`),
	regexp.MustCompile(`JWKS fetch failed for issuer https://[a-z0-9.-]+\.example/`),
	regexp.MustCompile(`(discovery|sidecar injector|config validation) is not ready`),
	regexp.MustCompile(`slow startup task`),
	regexp.MustCompile(`TLS handshake error from 127\.0\.0\.1:\d+: remote error: tls: bad certificate`),
	regexp.MustCompile(`error handling istio-validator-[-a-z0-9]+, retrying \(retry count: [1-9]\): webhook is not ready, retry`),
	regexp.MustCompile(`validatingwebhookconfigurations.admissionregistration.k8s.io "istio-validator-[-a-z0-9]+": the object has been modified; please apply your changes to the latest version and try again`),
	// istiods sharing an API server (the revisions of a canary) both
	// find an election's ConfigMap missing and create it; the loser logs
	// this once and retries, as leader election does, then reads the
	// winner's record. Only istiod's own election ConfigMaps, by name.
	regexp.MustCompile(`error initially creating leader election record: configmaps "istio-[a-z0-9]+(-[a-z0-9]+)*" already exists$`),
	// With the Gateway API CRDs, every reconcile of istiod's GatewayClass
	// controller creates each built-in class its cache does not have yet;
	// one that meets a class the previous reconcile just created gets
	// AlreadyExists (istiod forgives only a Conflict) and is retried,
	// then finds it. Only istiod's own classes, by name.
	regexp.MustCompile(`error handling istio(-[a-z]+)*, retrying \(retry count: [1-9]\): gatewayclasses\.gateway\.networking\.k8s\.io "istio(-remote|-waypoint)?" already exists\tcontroller=gateway class$`),
	// The tests run a pod's agent as <pod>-local, a pod the API server
	// does not have, so istiod finds the proxy's Services from the labels
	// the agent sends instead of from its pod; Istio 1.31 reads those
	// labels first (1.30 matched with none and found nothing, silently),
	// and no Service selects the test application.
	regexp.MustCompile(`failed to get proxy service targets from metadata: no instances found for [a-z0-9]+(-[a-z0-9]+)*-local\.[a-z0-9]+(-[a-z0-9]+)*$`),
}

var logLevel = regexp.MustCompile(`^\S+\t(warn|error|fatal)\t`)

// checkIstiodLogs fails on any warning or error istiod logged that a
// healthy run does not: about the mesh config, unknown settings, RBAC or
// anything else.
func checkIstiodLogs(logs string) error {
	var unexpected []string
	for line := range strings.SplitSeq(logs, "\n") {
		if !logLevel.MatchString(line) {
			continue
		}
		if slices.ContainsFunc(expectedLogs, func(r *regexp.Regexp) bool { return r.MatchString(line) }) {
			continue
		}
		unexpected = append(unexpected, line)
	}
	if len(unexpected) > 0 {
		return fmt.Errorf("istiod logged %d unexpected warnings or errors:\n%s", len(unexpected), strings.Join(unexpected, "\n"))
	}
	return nil
}

// TestCheckIstiodLogs: the filter lets through what a healthy run logs,
// the leader election race only for istiod's own ConfigMaps, and fails
// on every other warning or error.
func TestCheckIstiodLogs(t *testing.T) {
	const ts = "2026-12-03T08:00:00.000000Z"
	line := func(level, scope, msg string) string { return ts + "\t" + level + "\t" + scope + "\t" + msg }
	expected := []string{
		line("error", "klog", `error initially creating leader election record: configmaps "istio-namespace-controller-election" already exists`),
		line("error", "klog", `error initially creating leader election record: configmaps "istio-gateway-status-leader" already exists`),
		line("error", "klog", `error initially creating leader election record: configmaps "istio-leader" already exists`),
		line("info", "ads", "ADS: new connection"),
		line("warn", "health", "discovery is not ready"),
		line("warn", "kube", "failed to get proxy service targets from metadata: no instances found for web-0-local.shop"),
		line("error", "controllers", `error handling istio, retrying (retry count: 1): gatewayclasses.gateway.networking.k8s.io "istio-waypoint" already exists`+"\tcontroller=gateway class"),
		line("error", "controllers", "error handling istio-waypoint, retrying (retry count: 1): gatewayclasses.gateway.networking.k8s.io \"istio-remote\" already exists\tcontroller=gateway class"),
	}
	if err := checkIstiodLogs(strings.Join(expected, "\n")); err != nil {
		t.Errorf("a healthy run's log fails: %v", err)
	}
	for _, bad := range []string{
		// Someone else's ConfigMap, or one that is not an election's.
		line("error", "klog", `error initially creating leader election record: configmaps "kube-controller-manager" already exists`),
		line("error", "klog", `error initially creating leader election record: configmaps "istio-ca-root-cert" is forbidden: User "x" cannot create resource`),
		line("error", "klog", `error initially creating leader election record: leases.coordination.k8s.io "istio-leader" already exists`),
		line("error", "klog", `error initially creating leader election record: configmaps "istio-leader" already exists; and more`),
		line("error", "klog", `error retrieving resource lock istio-system/istio-leader: configmaps "istio-leader" is forbidden`),
		line("error", "klog", `error initially creating leader election record: configmaps "istio-" already exists`),
		line("warn", "model", "unknown field in mesh config"),
		// A proxy of a pod the API server has, or another failure.
		line("warn", "kube", "failed to get proxy service targets from metadata: no instances found for web-0.shop"),
		line("warn", "kube", "failed to get proxy service targets from metadata: failed to find model service for web.shop.svc.cluster.local"),
		line("error", "ads", "failed to push"),
		// Someone else's GatewayClass, or another failure creating one.
		line("error", "controllers", `error handling istio, retrying (retry count: 1): gatewayclasses.gateway.networking.k8s.io "cilium" already exists`+"\tcontroller=gateway class"),
		line("error", "controllers", `error handling istio, retrying (retry count: 1): gatewayclasses.gateway.networking.k8s.io is forbidden`+"\tcontroller=gateway class"),
		// Creating a GatewayClass failing for another reason.
		line("error", "controllers", "error handling istio, retrying (retry count: 1): gatewayclasses.gateway.networking.k8s.io is forbidden: User \"x\" cannot create resource\tcontroller=gateway class"),
	} {
		err := checkIstiodLogs(strings.Join(append(slices.Clone(expected), bad), "\n"))
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "1 unexpected") {
			t.Errorf("the filter let through %q: %v", bad, err)
		}
	}
}
