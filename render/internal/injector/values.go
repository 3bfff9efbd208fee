package injector

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// Values is everything the sidecar injector is built from. Fields left
// empty keep the chart's default unless their comment says otherwise.
type Values struct {
	// Meta labels every object.
	Meta objects.Meta
	// Release is the Istio release istiod runs, such as "1.30.3". Its
	// minor chooses the injection templates and the chart defaults of the
	// values; the patch does not matter. Required: a release of a minor
	// meshrender has no templates for is a programming error, and Objects
	// panics on it.
	Release string
	// Namespace is istiod's namespace. It holds the ConfigMaps, the
	// webhooks call istiod there, and injected proxies find the CA at
	// istiod[-<revision>].<Namespace>.svc:15012 (global.istioNamespace).
	// Required.
	Namespace string
	// Revision is the control plane's revision, "" for the default
	// control plane. It names the objects and the istiod Service the
	// webhooks call, selects the pods they inject, and is the revision
	// injected proxies report.
	Revision string
	// Hub is where the proxy image comes from (global.hub), such as
	// docker.io/istio. Empty keeps the chart default, docker.io/istio.
	Hub string
	// Tag is the proxy image's tag (global.tag). Empty keeps the default
	// of Release's minor: the tag of the release its values.json was
	// printed by (istio-<minor>/SOURCE), not Release itself.
	Tag string
	// Variant is appended to the tag as -<Variant>, such as distroless
	// (global.variant); empty for none. A proxyConfig image type in the
	// mesh config or a pod's sidecar.istio.io/proxyImageType annotation
	// overrides it; for the init container of Istio 1.31, which istiod
	// builds from global.proxy_init.image, only the annotation does.
	Variant string
	// ProxyImage is global.proxy.image and global.proxy_init.image. Empty
	// keeps the chart default "proxyv2": istiod then runs
	// <Hub>/proxyv2:<Tag>[-<Variant>] in the sidecar and its init
	// container. A reference with a "/", such as
	// registry.example.com/istio/proxyv2@sha256:..., is used as it is,
	// which is how to pin the proxy by digest; a bare name replaces
	// proxyv2 in the reference istiod builds.
	ProxyImage string
	// PullSecrets are Secret names added to every injected pod and to the
	// gateways istiod deploys (global.imagePullSecrets). Always applied:
	// none means none.
	PullSecrets []string
	// MeshID, Network and ClusterName place the proxies in a mesh of
	// several clusters (global.meshID, global.network,
	// global.multiCluster.clusterName); empty for upstream's defaults.
	MeshID, Network, ClusterName string
	// CNI says the Istio CNI node agent sets up pod networking
	// (pilot.cni.enabled). Injected pods then get the istio-validation
	// init container, which runs as the proxy user without NET_ADMIN or
	// NET_RAW, instead of istio-init, which runs as root with them.
	// Always applied.
	CNI bool
	// Ambient says istio-cni runs in ambient mode
	// (pilot.cni.ambient.enabled): the templates then leave ambient
	// namespaces' pods alone and give waypoints HBONE.
	Ambient bool
	// ProxyResources are the sidecar's resources (global.proxy.resources)
	// unless a pod's sidecar.istio.io/proxyCPU and related annotations
	// say otherwise. nil keeps the chart default (requests 100m and
	// 128Mi, limits 2000m and 1024Mi); a non-nil value replaces it whole,
	// and an empty one gives the sidecar no resources.
	ProxyResources *corev1.ResourceRequirements
	// SeccompRuntimeDefault gives the containers istiod makes from these
	// templates the RuntimeDefault seccomp profile: the sidecar and its
	// init container (global.proxy.seccompProfile), and the waypoints and
	// Gateway API gateways istiod deploys (gateways.seccompProfile). With
	// CNI on, injected pods then pass Pod Security "restricted" unless an
	// annotation asks for root (TPROXY interception, NET_BIND_SERVICE).
	SeccompRuntimeDefault bool
	// PilotEnv are istiod's chart settings pilot.env, such as those of a
	// compatibility-version profile, which the chart also prints among
	// the injector's values. None leaves the chart's default.
	PilotEnv map[string]string
}

// setting is one chart value the Values set: a path in the values
// document and the value that replaces what is there.
type setting struct {
	path  string
	value any
}

// settings lists the chart values v sets, in a fixed order. Each replaces
// its path whole, objects included: ProxyResources replaces all of
// global.proxy.resources, it is not merged into the default.
func (v Values) settings() []setting {
	secrets := v.PullSecrets
	if secrets == nil {
		secrets = []string{} // printed [] as the chart does, not null
	}
	s := []setting{
		{"global.istioNamespace", v.Namespace},
		{"global.imagePullSecrets", secrets},
		{"global.variant", v.Variant},
		{"pilot.cni.enabled", v.CNI},
		{"revision", v.Revision},
	}
	if v.Ambient {
		s = append(s, setting{"pilot.cni.ambient.enabled", true})
	}
	opt := func(path, value string) {
		if value != "" {
			s = append(s, setting{path, value})
		}
	}
	opt("global.meshID", v.MeshID)
	opt("global.network", v.Network)
	opt("global.multiCluster.clusterName", v.ClusterName)
	opt("global.hub", v.Hub)
	opt("global.tag", v.Tag)
	opt("global.proxy.image", v.ProxyImage)
	opt("global.proxy_init.image", v.ProxyImage)
	if v.ProxyResources != nil {
		s = append(s, setting{"global.proxy.resources", generic(v.ProxyResources)})
	}
	for _, name := range slices.Sorted(maps.Keys(v.PilotEnv)) {
		s = append(s, setting{"pilot.env." + name, v.PilotEnv[name]})
	}
	if v.SeccompRuntimeDefault {
		runtimeDefault := generic(corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault})
		s = append(s, setting{"global.proxy.seccompProfile", runtimeDefault}, setting{"gateways.seccompProfile", runtimeDefault})
	}
	return s
}

// generic turns a typed value into JSON's maps and lists, so that it
// prints with sorted keys like the rest of the values.
func generic(x any) any {
	b, err := json.Marshal(x)
	if err != nil {
		panic("injector: " + err.Error())
	}
	return decode(b)
}

// decode reads JSON keeping numbers as they are written.
func decode(b []byte) any {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		panic("injector: " + err.Error())
	}
	return out
}

// set puts value at a dotted path, making the objects on the way.
func set(doc map[string]any, path string, value any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := doc[k].(map[string]any)
		if !ok {
			if _, exists := doc[k]; exists {
				panic("injector: " + path + " crosses a value that is not an object")
			}
			next = map[string]any{}
			doc[k] = next
		}
		doc = next
	}
	doc[keys[len(keys)-1]] = value
}

// prettyJSON prints like sprig's toPrettyJson, which the chart uses:
// json.MarshalIndent with two spaces, map keys sorted, no final newline.
func prettyJSON(x any) string {
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		panic("injector: " + err.Error())
	}
	return string(b)
}

// injectorValues returns the values key of ConfigMap
// istio-sidecar-injector: the defaults of Release's chart with the
// settings applied.
func (v Values) injectorValues() string {
	doc := decode([]byte(forRelease(v.Release).file(defaultValuesFile))).(map[string]any)
	for _, s := range v.settings() {
		set(doc, s.path, s.value)
	}
	return prettyJSON(doc)
}

// overrides returns the settings alone, as a values document.
func (v Values) overrides() string {
	doc := map[string]any{}
	for _, s := range v.settings() {
		set(doc, s.path, s.value)
	}
	return prettyJSON(doc)
}
