package render

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// MeshConfig sets fields of Istio's mesh config.
//
// +k8s:deepcopy-gen=true
type MeshConfig struct {
	// OutboundTrafficPolicy is ALLOW_ANY (default) or REGISTRY_ONLY.
	OutboundTrafficPolicy string `json:"outboundTrafficPolicy,omitempty"`
	// AccessLogFile is where proxies write access logs, such as
	// /dev/stdout; empty turns them off.
	AccessLogFile string `json:"accessLogFile,omitempty"`
	// ExportTo sets where Services, VirtualServices and DestinationRules
	// are visible unless they say otherwise.
	ExportTo ExportTo `json:"exportTo,omitzero"`
}

// ExportTo holds mesh-wide default visibility. Each entry is "*" (every
// namespace), "." (the object's own namespace), "~" (nowhere) or a
// namespace name; empty keeps Istio's default, "*".
//
// +k8s:deepcopy-gen=true
type ExportTo struct {
	Services         []string `json:"services,omitempty"`
	VirtualServices  []string `json:"virtualServices,omitempty"`
	DestinationRules []string `json:"destinationRules,omitempty"`
}

func (mc *MeshConfig) setDefaults() {
	if mc.OutboundTrafficPolicy == "" {
		mc.OutboundTrafficPolicy = OutboundAllowAny
	}
}

var exportToPattern = regexp.MustCompile(`^(\*|\.|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`)

func (mc *MeshConfig) validate(p *problems) {
	p.checkEnum("spec.meshConfig.outboundTrafficPolicy", "MeshConfig.OutboundTrafficPolicy", mc.OutboundTrafficPolicy)
	if strings.ContainsAny(mc.AccessLogFile, "\n\r\x00") {
		p.add("spec.meshConfig.accessLogFile", "must be a single file path such as /dev/stdout")
	}
	for _, kind := range []struct {
		name string
		list []string
	}{{"services", mc.ExportTo.Services}, {"virtualServices", mc.ExportTo.VirtualServices}, {"destinationRules", mc.ExportTo.DestinationRules}} {
		list := kind.list
		for i, e := range list {
			f := fmt.Sprintf("spec.meshConfig.exportTo.%s[%d]", kind.name, i)
			if !exportToPattern.MatchString(e) {
				p.add(f, "%q must be \"*\", \".\", \"~\" or a namespace name", e)
			}
			if e == "~" && len(list) > 1 {
				p.add(f, `"~" (export nowhere) cannot be combined with other entries`)
			}
		}
	}
}

// proxyConfig is the mesh's default proxy config: mesh config
// defaultConfig, which sidecars get from the mesh config and gateways from
// their PROXY_CONFIG.
func proxyConfig(m *Mesh) map[string]any {
	return map[string]any{"discoveryAddress": controlPlaneNames(&m.Spec).DiscoveryAddress()}
}

// proxyConfigJSON is proxyConfig as the compact JSON pilot-agent reads
// from PROXY_CONFIG, keys sorted.
func proxyConfigJSON(m *Mesh) (string, error) {
	data, err := json.Marshal(proxyConfig(m))
	return string(data), err
}

// meshConfigDocument returns the mesh config document for ConfigMap
// istio: what upstream's chart writes, plus the spec's settings.
func meshConfigDocument(m *Mesh) (string, error) {
	mc := m.Spec.MeshConfig
	doc := map[string]any{
		"defaultConfig":         proxyConfig(m),
		"defaultProviders":      map[string]any{"metrics": []string{"prometheus"}},
		"enablePrometheusMerge": true,
		"rootNamespace":         m.Spec.Istiod.Namespace,
		"trustDomain":           objects.TrustDomain,
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
