package render

import (
	"github.com/meshrender/meshrender/render/internal/istiod"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// meshConfig returns the mesh config document for ConfigMap istio: what
// upstream's chart writes, plus the spec's settings.
func meshConfig(m *Mesh, names istiod.Names) (string, error) {
	mc := m.Spec.MeshConfig
	doc := map[string]any{
		"defaultConfig":         map[string]any{"discoveryAddress": names.DiscoveryAddress()},
		"defaultProviders":      map[string]any{"metrics": []string{"prometheus"}},
		"enablePrometheusMerge": true,
		"rootNamespace":         m.Spec.Istiod.Namespace,
		"trustDomain":           istiod.TrustDomain,
		// Always written: the API's zero value is REGISTRY_ONLY, so an
		// absent field means different things to different readers.
		"outboundTrafficPolicy": map[string]any{"mode": mc.OutboundTrafficPolicy},
	}
	if mc.AccessLogFile != "" {
		doc["accessLogFile"] = mc.AccessLogFile
	}
	if len(mc.ExportTo.Services) > 0 {
		doc["defaultServiceExportTo"] = mc.ExportTo.Services
	}
	if len(mc.ExportTo.VirtualServices) > 0 {
		doc["defaultVirtualServiceExportTo"] = mc.ExportTo.VirtualServices
	}
	if len(mc.ExportTo.DestinationRules) > 0 {
		doc["defaultDestinationRuleExportTo"] = mc.ExportTo.DestinationRules
	}
	out, err := yamlenc.Marshal(doc)
	return string(out), err
}
