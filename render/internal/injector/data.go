// Package injector builds Istio's sidecar injector: ConfigMap
// istio-sidecar-injector with the injection templates and the values they
// read, ConfigMap values, and the MutatingWebhookConfiguration that sends
// new pods to istiod.
//
// The templates and values depend on the Istio minor release; the rest
// does not. The files under istio-<minor>/ are Istio's, embedded as they
// are and never edited: the injection templates in
// manifests/charts/istio-control/istio-discovery/files/ of
// github.com/istio/istio (istio-1.30/ at tag 1.30.3, istio-1.31/ on
// branch release-1.31 at the commit of the 1.31.0 release's charts), the
// chart's injector values for a default install (values.json) and Istio's
// LICENSE. They are Copyright Istio Authors, under the Apache License 2.0.
// SOURCE in each directory names the commit and path of each file,
// SHA256SUMS their checksums, which a test checks.
package injector

import (
	"embed"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

//go:embed istio-1.30 istio-1.31
var files embed.FS

// template is one injection template: its key in the config and the
// chart file it comes from.
type template struct {
	key, file string
}

// templates130 are the 1.30 chart's templates in the order its ConfigMap
// lists them.
var templates130 = []template{
	{"sidecar", "injection-template.yaml"},
	{"gateway", "gateway-injection-template.yaml"},
	{"grpc-simple", "grpc-simple.yaml"},
	{"grpc-agent", "grpc-agent.yaml"},
	{"waypoint", "waypoint.yaml"},
	{"kube-gateway", "kube-gateway.yaml"},
	{"agentgateway", "agentgateway.yaml"},
}

// templates131 are the 1.31 chart's: 1.30's and, last,
// agentgateway-waypoint, the template of the waypoints of Gateway class
// istio-agentgateway-waypoint.
var templates131 = append(slices.Clip(templates130), template{"agentgateway-waypoint", "agentgateway-waypoint.yaml"})

// defaultValuesFile holds the chart's injector values for a default
// install, printed as the chart prints them.
const defaultValuesFile = "values.json"

// minor is the injector data of one Istio minor release.
type minor struct {
	// name is the minor, such as "1.31"; its files are in istio-<name>/.
	name string
	// templates are its chart's templates in the order its ConfigMap
	// lists them.
	templates []template
	// config returns the injection config, built on first use.
	config func() string
}

// minors are the Istio minors meshrender has injector data for, by name.
var minors = func() map[string]*minor {
	out := map[string]*minor{}
	for _, m := range []*minor{
		{name: "1.30", templates: templates130},
		{name: "1.31", templates: templates131},
	} {
		// The config is 97 KiB (1.30) or 109 KiB (1.31) and does not
		// depend on any value: it is built once per minor.
		m.config = sync.OnceValue(m.buildConfig)
		out[m.name] = m
	}
	return out
}()

// minorOf returns the minor of an Istio release: "1.31" for "1.31.4".
func minorOf(release string) string {
	major, rest, _ := strings.Cut(release, ".")
	m, _, _ := strings.Cut(rest, ".")
	return major + "." + m
}

// forRelease returns the injector data of an Istio release such as
// "1.31.4". The renderer validates the release before it builds
// anything, so a release of another minor is a programming error, and
// forRelease panics.
func forRelease(release string) *minor {
	m, ok := minors[minorOf(release)]
	if !ok {
		panic(fmt.Sprintf("injector: no injection templates for Istio release %q: meshrender has them for the minors %s",
			release, strings.Join(slices.Sorted(maps.Keys(minors)), ", ")))
	}
	return m
}

// dir is the embedded directory of the minor's files.
func (m *minor) dir() string { return "istio-" + m.name }

// file returns one of the minor's embedded files; a missing one is a
// build error caught by the tests.
func (m *minor) file(name string) string {
	b, err := files.ReadFile(m.dir() + "/" + name)
	if err != nil {
		panic("injector: " + err.Error())
	}
	return string(b)
}
