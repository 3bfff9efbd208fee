package injector

import (
	"strings"
	"testing"

	"github.com/meshrender/meshrender/internal/copied"
	"sigs.k8s.io/yaml"
)

func TestConfigIsUpstreams(t *testing.T) {
	eachMinor(t, func(t *testing.T, m *minor, u upstream) {
		c := m.config()
		if got := copied.SHA256([]byte(c)); got != u.configSHA256 {
			t.Errorf("config: sha256 %s (%d bytes), want %s (%d bytes)", got, len(c), u.configSHA256, u.configBytes)
		}
	})
}

// TestConfigStructure reads the config back as istiod does and checks
// each part, so that a failure says which part is off.
func TestConfigStructure(t *testing.T) {
	eachMinor(t, testConfigStructure)
}

func testConfigStructure(t *testing.T, m *minor, _ upstream) {
	c := m.config()
	var cfg struct {
		DefaultTemplates     []string          `json:"defaultTemplates"`
		Policy               string            `json:"policy"`
		AlwaysInjectSelector []any             `json:"alwaysInjectSelector"`
		NeverInjectSelector  []any             `json:"neverInjectSelector"`
		InjectedAnnotations  map[string]string `json:"injectedAnnotations"`
		Template             string            `json:"template"`
		Templates            map[string]string `json:"templates"`
	}
	if err := yaml.UnmarshalStrict([]byte(c), &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.DefaultTemplates) != 1 || cfg.DefaultTemplates[0] != "sidecar" {
		t.Errorf("defaultTemplates = %q", cfg.DefaultTemplates)
	}
	if cfg.Policy != "enabled" {
		t.Errorf("policy = %q", cfg.Policy)
	}
	if cfg.AlwaysInjectSelector == nil || len(cfg.AlwaysInjectSelector) != 0 || cfg.NeverInjectSelector == nil || len(cfg.NeverInjectSelector) != 0 {
		t.Errorf("selectors = %v, %v; want [] and []", cfg.AlwaysInjectSelector, cfg.NeverInjectSelector)
	}
	if cfg.InjectedAnnotations != nil {
		t.Errorf("injectedAnnotations = %v, want null", cfg.InjectedAnnotations)
	}
	if cfg.Template != "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}" {
		t.Errorf("template = %q", cfg.Template)
	}
	if len(cfg.Templates) != len(m.templates) {
		t.Errorf("%d templates, want %d", len(cfg.Templates), len(m.templates))
	}
	last := -1
	for i, tp := range m.templates {
		want := strings.TrimSpace(m.file(tp.file))
		if i < len(m.templates)-1 {
			want += "\n"
		}
		if got := cfg.Templates[tp.key]; got != want {
			t.Errorf("template %s differs from trimmed %s:\n%s", tp.key, tp.file, firstDiff(got, want))
		}
		at := strings.Index(c, "\n  "+tp.key+": |\n")
		if at <= last {
			t.Errorf("template %s is not after the one before it", tp.key)
		}
		last = at
	}
	if strings.HasSuffix(c, "\n") {
		t.Error("config ends in a newline; the chart's |- block strips it")
	}
}

func TestIndent(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a", "    a"},
		{"a\nb", "    a\n    b"},
		{"a\n\nb", "    a\n\n    b"},
		{"a\n  b", "    a\n      b"},
	} {
		if got := indent(4, c.in); got != c.want {
			t.Errorf("indent(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
