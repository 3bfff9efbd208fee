package typecheck

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	sigsjson "sigs.k8s.io/json"
)

type inner struct {
	N   *int32            `json:"n,omitempty"`
	U   uint8             `json:"u,omitempty"`
	Tag map[string]string `json:"tags,omitempty"`
}

type Embedded struct {
	Kind string `json:"kind"`
}

type outer struct {
	Embedded `json:",inline"`
	Name     string                       `json:"name"`
	On       *bool                        `json:"on,omitempty"`
	Items    []inner                      `json:"items,omitempty"`
	Q        resource.Quantity            `json:"q,omitzero"`
	Raw      []byte                       `json:"raw,omitempty"`
	Any      any                          `json:"any,omitempty"`
	Quotas   map[string]resource.Quantity `json:"quotas,omitempty"`
	// hidden has no JSON name: a key "hidden" is an unknown field.
	hidden string
}

var _ = outer{hidden: ""}

func TestCheck(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
	}{
		{`{"kind": "K", "name": "a", "on": true, "items": [{"n": 1, "u": 255, "tags": {"a": "b"}}], "q": "2Gi", "raw": "YQ==", "any": [1, {}], "quotas": {"cpu": 2}}`, nil},
		{`{"name": null, "items": null, "on": null}`, nil},
		{`{"kind": 1, "name": ["a"], "on": "yes", "items": {}}`, []string{
			`kind: must be a string, got 1`, `name: must be a string, got a list`, `on: must be true or false, got "yes"`, `items: must be a list, got a mapping`}},
		{`{"items": [{"n": 2147483648}, {"n": -1.5}, {"u": 256}, {"u": -1}, {"tags": {"a": 1}}]}`, []string{
			`items[0].n: 2147483648 does not fit: it must be between -2147483648 and 2147483647`,
			`items[1].n: must be a whole number, got -1.5`,
			`items[2].u: 256 does not fit: it must be between 0 and 255`,
			`items[3].u: -1 does not fit: it must be between 0 and 255`,
			`items[4].tags[a]: must be a string, got 1`}},
		{`{"q": "two", "quotas": {"memory": "4 gigs", "cpu": true}}`, []string{
			`q: "two" is not a quantity such as 500m or 2Gi`,
			`quotas[cpu]: must be a quantity such as 500m or 2Gi, got true`,
			`quotas[memory]: "4 gigs" is not a quantity such as 500m or 2Gi`}},
		{`{"Name": "a", "hidden": "x", "Kind": "k", "raw": 5}`, []string{
			`raw: must be a base64 string, got 5`, `Kind: unknown field`, `Name: unknown field`, `hidden: unknown field`}},
		{`[1]`, []string{`(document): must be a mapping, got a list`}},
	}
	for _, tt := range tests {
		if got := checkDoc(t, tt.doc, reflect.TypeFor[outer]()); !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.doc, got, tt.want)
		}
	}
}

// checkDoc checks a JSON document against typ and returns the problems as
// "path: message" lines.
func checkDoc(t *testing.T, doc string, typ reflect.Type) []string {
	t.Helper()
	v, err := decodeJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return problemLines(Check(v, typ, ""))
}

// TestCheckAgreesWithDecoding: whatever Check accepts, strict decoding
// into the type accepts too.
func TestCheckAgreesWithDecoding(t *testing.T) {
	for _, doc := range []string{
		`{"kind": "K", "items": [{"n": 7}], "q": 1.5, "quotas": {"x": "1k"}}`,
		`{"any": {"deep": [null, true]}, "raw": "AAEC"}`,
	} {
		v, err := decodeJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if p := Check(v, reflect.TypeFor[outer](), ""); len(p) > 0 {
			t.Fatalf("%s: %v", doc, p)
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
		dec.DisallowUnknownFields()
		var o outer
		if err := dec.Decode(&o); err != nil {
			t.Errorf("%s: Check accepts what decoding rejects: %v", doc, err)
		}
	}
}

func TestQuoteShortensLongValues(t *testing.T) {
	if got := Quote("short"); got != `"short"` {
		t.Errorf("Quote = %s", got)
	}
	long := strings.Repeat("é", 100) // 200 bytes; the cut must not split a rune
	got := Quote(long)
	if !strings.HasSuffix(got, `… (200 bytes)`) || len(got) > MaxShown+20 || strings.Contains(got, `\x`) {
		t.Errorf("Quote = %s", got)
	}
}

// promoted has fields named as encoding/json resolves them: name is the
// outer int, not the embedded string; Dup, in two embedded structs at one
// depth, is no field at all; Plain is a field, ",inline" being no option
// of encoding/json's; count is an integer written as a string.
type promoted struct {
	named
	clashA
	clashB
	Name  int         `json:"name"`
	Count int         `json:"count,string"`
	Plain *plainInner `json:",inline"`
}

type named struct {
	Name  string `json:"name"`
	Extra string `json:"extra"`
}

type clashA struct{ Dup string }

type clashB struct{ Dup string }

type plainInner struct {
	Inner string `json:"inner"`
}

func TestCheckResolvesFieldsAsDecodingDoes(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want []string
	}{
		{`{"name": 1, "extra": "x", "count": "3", "Plain": {"inner": "y"}}`, nil},
		{`{"count": null}`, nil},
		{`{"name": "a"}`, []string{`name: must be an integer, got "a"`}},
		{`{"Dup": "x", "inner": "y"}`, []string{`Dup: unknown field`, `inner: unknown field`}},
		{`{"count": 3}`, []string{`count: invalid use of ,string struct tag, trying to unmarshal unquoted value into int`}},
		{`{"count": "three"}`, []string{`count: invalid use of ,string struct tag, trying to unmarshal "three" into int`}},
	} {
		got := checkDoc(t, tt.doc, reflect.TypeFor[promoted]())
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.doc, got, tt.want)
		}
		var p promoted
		strict, err := sigsjson.UnmarshalStrict([]byte(tt.doc), &p)
		if (err == nil && len(strict) == 0) != (len(got) == 0) {
			t.Errorf("%s: Check finds %q, strict decoding %v %v", tt.doc, got, err, strict)
		}
	}
}
