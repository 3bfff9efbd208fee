// Package injector builds Istio's sidecar injector: ConfigMap
// istio-sidecar-injector with the injection templates and the values they
// read, ConfigMap values, and the MutatingWebhookConfiguration that sends
// new pods to istiod.
//
// The files under istio/ are Istio's, embedded as they are and never
// edited: the seven templates in
// manifests/charts/istio-control/istio-discovery/files/ of
// github.com/istio/istio at tag 1.30.3, the chart's injector values for a
// default install (values.json) and Istio's LICENSE. They are Copyright
// Istio Authors, under the Apache License 2.0. istio/SOURCE names the
// commit and path of each, istio/SHA256SUMS their checksums, which a test
// checks.
package injector

import "embed"

//go:embed istio
var files embed.FS

// template is one injection template: its key in the config and the
// chart file it comes from.
type template struct {
	key, file string
}

// templates are the chart's templates in the order its ConfigMap lists
// them.
var templates = []template{
	{"sidecar", "injection-template.yaml"},
	{"gateway", "gateway-injection-template.yaml"},
	{"grpc-simple", "grpc-simple.yaml"},
	{"grpc-agent", "grpc-agent.yaml"},
	{"waypoint", "waypoint.yaml"},
	{"kube-gateway", "kube-gateway.yaml"},
	{"agentgateway", "agentgateway.yaml"},
}

// defaultValuesFile holds the chart's injector values for a default
// install, printed as the chart prints them.
const defaultValuesFile = "values.json"

// file returns an embedded file; a missing one is a build error caught by
// the tests.
func file(name string) string {
	b, err := files.ReadFile("istio/" + name)
	if err != nil {
		panic("injector: " + err.Error())
	}
	return string(b)
}
