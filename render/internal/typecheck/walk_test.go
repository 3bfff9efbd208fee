package typecheck

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type walkInner struct {
	Names []string `json:"names"`
}

type walkEmbedded struct {
	Inline string `json:"inline"`
}

// selfEncoded encodes itself as a mapping, as a mesh config does.
type selfEncoded struct{}

func (selfEncoded) MarshalJSON() ([]byte, error) {
	return []byte(`{"exportTo": ["a"], "proxyMetadata": {"ISTIO_META_X": "b", "a.b/c": "c"}}`), nil
}

type walkOuter struct {
	walkEmbedded
	Inner   *walkInner        `json:"inner"`
	Labels  map[string]string `json:"labels"`
	Config  selfEncoded       `json:"config"`
	skipped string
}

// TestWalkPaths: every string, list and mapping is visited at the path
// errors print, embedded fields inline, self-encoding values as their
// JSON, whose keys read as fields when they look like them.
func TestWalkPaths(t *testing.T) {
	v := walkOuter{walkEmbedded: walkEmbedded{Inline: "i"}, Inner: &walkInner{Names: []string{"x", "y"}}, Labels: map[string]string{"a.b/c": "d"}, skipped: "s"}
	var got []string
	Walk(&v, "spec", func(at Path, v reflect.Value) bool {
		got = append(got, at.String()+"@"+at.Field()+"="+v.Kind().String())
		return at.String() != "spec.config.exportTo" // not descending into it
	})
	want := []string{
		"spec.inline@inline=string",
		"spec.inner.names@names=slice", "spec.inner.names[0]@names=string", "spec.inner.names[1]@names=string",
		"spec.labels@labels=map", "spec.labels[a.b/c]@labels=string",
		"spec.config@config=map", "spec.config.exportTo@exportTo=slice",
		"spec.config.proxyMetadata@proxyMetadata=map", "spec.config.proxyMetadata.ISTIO_META_X@ISTIO_META_X=string", "spec.config.proxyMetadata[a.b/c]@proxyMetadata=string",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("visited:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var _ json.Marshaler = selfEncoded{}
