package render

import (
	"encoding/json"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// meshConfigBase is what meshrender writes into every mesh config, under
// the spec's: upstream's chart defaults (with ambient, its profile's
// HBONE for every proxy), plus the outbound policy written out, since Istio's zero value is REGISTRY_ONLY and an absent field means
// different things to different readers.
func meshConfigBase(t *topology, cp *v1alpha1.ControlPlane) map[string]any {
	defaultConfig := map[string]any{"discoveryAddress": cp.DiscoveryAddress()}
	if t.spec.AmbientEnabled() {
		// Sidecars and gateways speak HBONE to ambient pods and waypoints,
		// as upstream's ambient profile has them.
		defaultConfig["proxyMetadata"] = map[string]any{"ISTIO_META_ENABLE_HBONE": "true"}
	}
	base := map[string]any{
		"defaultConfig":         defaultConfig,
		"defaultProviders":      map[string]any{"metrics": []any{"prometheus"}},
		"enablePrometheusMerge": true,
		"rootNamespace":         t.spec.Istiod.Namespace,
		"trustDomain":           objects.TrustDomain,
		"outboundTrafficPolicy": map[string]any{"mode": v1alpha1.OutboundAllowAny},
	}
	if id := t.spec.MultiCluster.MeshID; id != "" {
		defaultConfig["meshId"] = id
	}
	return base
}

// effectiveMeshConfig is the mesh config meshrender renders for a control
// plane: its base with the spec's fields merged over it.
func effectiveMeshConfig(t *topology, cp *v1alpha1.ControlPlane) map[string]any {
	return objects.MergeMappings(meshConfigBase(t, cp), t.MeshConfig)
}

// proxyConfigJSON is the mesh's default proxy config, defaultConfig, for
// the proxies of a control plane, as the compact JSON pilot-agent reads
// from PROXY_CONFIG, keys sorted: what sidecars get from the mesh config,
// gateways get from the variable.
func proxyConfigJSON(t *topology, cp *v1alpha1.ControlPlane) (string, error) {
	data, err := json.Marshal(effectiveMeshConfig(t, cp)["defaultConfig"])
	return string(data), err
}

// meshConfigDocument returns the mesh config document for a control
// plane's ConfigMap istio[-<revision>].
func meshConfigDocument(t *topology, cp *v1alpha1.ControlPlane) (string, error) {
	out, err := yamlenc.Marshal(effectiveMeshConfig(t, cp))
	return string(out), err
}
