package injector

import "strings"

// configHeader is what the chart's ConfigMap template writes before the
// templates when sidecarInjectorWebhook keeps its defaults: the default
// template, the policy from global.proxy.autoInject, empty selectors, no
// injected annotations (the key is left without a value, which YAML reads
// as null), and the legacy template key an istiod too old for this config
// fails on. It is the same in every minor meshrender has.
const configHeader = `# defaultTemplates defines the default template to use for pods that do not explicitly specify a template
defaultTemplates: [sidecar]
policy: enabled
alwaysInjectSelector:
  []
neverInjectSelector:
  []
injectedAnnotations:
template: "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"
templates:`

// buildConfig returns the injection config, the data key config of
// ConfigMap istio-sidecar-injector, byte for byte as the minor's chart
// renders it. It does not depend on any value: what varies between
// installs is in the values key.
//
// It follows templates/istiod-injector-configmap.yaml. In the chart's
// output the config is a |- block indented by 4; read back, each template
// becomes "  <key>: |" and the file, trimmed, each line indented by 4.
// Every template but the last therefore ends in one newline (the |
// block's clip); the last ends without one, because |- strips the final
// line break of the whole block. No template is passed through tpl: the
// {{ }} in them is for istiod to execute at injection time.
func (m *minor) buildConfig() string {
	var b strings.Builder
	b.WriteString(configHeader)
	for _, t := range m.templates {
		b.WriteString("\n  ")
		b.WriteString(t.key)
		b.WriteString(": |\n")
		b.WriteString(indent(4, strings.TrimSpace(m.file(t.file))))
	}
	return b.String()
}

// indent is Helm's indent as YAML reads it back from a block scalar: an
// empty line gets no spaces (Helm writes them, but in a block scalar a
// line of nothing but indentation is an empty line). Istio's templates
// have no empty lines, so for them this is Helm's indent exactly.
func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}
