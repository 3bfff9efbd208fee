package yamlenc

import (
	"bytes"
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

func TestFromJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sorted keys", `{"kind":"Service","apiVersion":"v1"}`, "apiVersion: v1\nkind: Service\n"},
		{"nested", `{"a":{"c":1,"b":[1,"x"]}}`, "a:\n  b:\n  - 1\n  - x\n  c: 1\n"},
		{"list of maps", `{"l":[{"name":"a","p":80},{"name":"b"}]}`, "l:\n- name: a\n  p: 80\n- name: b\n"},
		{"nested lists", `{"l":[[1,2],[]]}`, "l:\n-\n  - 1\n  - 2\n- []\n"},
		{"empty", `{"m":{},"l":[],"s":"","z":null}`, "l: []\nm: {}\ns: ''\nz: null\n"},
		{"reserved words", `{"a":"true","b":"no","c":"ON","d":"~","e":"null","f":"Y"}`, "a: 'true'\nb: 'no'\nc: 'ON'\nd: '~'\ne: 'null'\nf: 'Y'\n"},
		{"numbers as strings", `{"a":"15021","b":"1.5","c":"-1","d":".inf","e":"0x1F","f":"2024-01-01","g":"1:20"}`,
			"a: '15021'\nb: '1.5'\nc: '-1'\nd: '.inf'\ne: '0x1F'\nf: '2024-01-01'\ng: '1:20'\n"},
		{"quantities stay plain", `{"a":"100m","b":"1Gi","c":"30m","d":"100%","e":"2","f":"1.30.3","g":"2001-12-14t21:59:43z","h":"1e3","i":"-5m"}`,
			"a: 100m\nb: 1Gi\nc: 30m\nd: 100%\ne: '2'\nf: '1.30.3'\ng: '2001-12-14t21:59:43z'\nh: '1e3'\ni: -5m\n"},
		{"flags stay plain", `{"args":["--domain","-v","$(POD_NAMESPACE).svc","-","- x"]}`,
			"args:\n- --domain\n- -v\n- $(POD_NAMESPACE).svc\n- '-'\n- '- x'\n"},
		{"indicators", `{"a":"a: b","b":"x #y","c":"#c","d":"*","e":"it's","f":"trail:"}`,
			"a: 'a: b'\nb: 'x #y'\nc: '#c'\nd: '*'\ne: it's\nf: 'trail:'\n"},
		{"literal block", `{"mesh":"a: 1\nb:\n  c: 2"}`, "mesh: |-\n  a: 1\n  b:\n    c: 2\n"},
		{"literal block clip", `{"m":"x\ny\n"}`, "m: |\n  x\n  y\n"},
		{"literal block keep", `{"m":"x\n\n"}`, "m: |+\n  x\n\n"},
		{"literal block in list", `{"l":["a\nb"]}`, "l:\n- |-\n  a\n  b\n"},
		{"blank lines kept", `{"m":"a\n\nb"}`, "m: |-\n  a\n\n  b\n"},
		{"leading space is quoted", `{"m":" a\nb"}`, "m: \" a\\nb\"\n"},
		{"space-only line is quoted", `{"m":"a\n  \nb"}`, "m: \"a\\n  \\nb\"\n"},
		{"control characters", `{"m":"a\u0001b"}`, "m: \"a\\u0001b\"\n"},
		{"unicode", `{"m":"zürich"}`, "m: zürich\n"},
		{"keys quoted", `{"80":"x","true":1,"a b":2}`, "'80': x\na b: 2\n'true': 1\n"},
		{"top-level list", `[1,{"a":2}]`, "- 1\n- a: 2\n"},
		{"top-level scalar", `"x"`, "x\n"},
		{"numbers verbatim", `{"a":1e+06,"b":-0.5,"c":12345678901234567890}`, "a: 1e+06\nb: -0.5\nc: 12345678901234567890\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromJSON(nil, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("FromJSON(%s)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
			roundTrip(t, []byte(tt.in), got)
		})
	}
}

func TestFromJSONErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `"abc`, `01`, `1.`, `-`, `tru`, `{"a":1} x`, `"\x"`, strings.Repeat("[", maxDepth+1)} {
		if _, err := FromJSON(nil, []byte(in)); err == nil {
			t.Errorf("FromJSON(%.20q) succeeded, want a syntax error", in)
		}
	}
}

func TestKeyOrderDoesNotMatter(t *testing.T) {
	a, err := FromJSON(nil, []byte(`{"b":{"y":1,"x":2},"a":[{"q":1,"p":2}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := FromJSON(nil, []byte(`{"a":[{"p":2,"q":1}],"b":{"x":2,"y":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("key order changed output:\n%s\n%s", a, b)
	}
}

func TestLongKey(t *testing.T) {
	key := strings.Repeat("k", 1500)
	in, _ := json.Marshal(map[string]any{key: map[string]int{"a": 1}})
	out, err := FromJSON(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, in, out)
}

// roundTrip checks that both YAML readers the Kubernetes tool chain uses
// (sigs.k8s.io/yaml for kubectl and Argo CD, yaml.v3 for kustomize and Flux)
// read out the value that went in.
func roundTrip(t *testing.T, in, out []byte) {
	t.Helper()
	var want any
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("input is not JSON: %v", err)
	}
	j, err := sigsyaml.YAMLToJSON(out)
	if err != nil {
		t.Fatalf("sigs.k8s.io/yaml cannot read output: %v\n%s", err, out)
	}
	var gotV2 any
	dec = json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	if err := dec.Decode(&gotV2); err != nil {
		t.Fatal(err)
	}
	if !sameValue(want, gotV2) {
		t.Errorf("sigs.k8s.io/yaml read a different value\n in: %s\nout: %s\ngot: %s", in, out, j)
	}
	var gotV3 any
	if err := yamlv3.Unmarshal(out, &gotV3); err != nil {
		t.Fatalf("yaml.v3 cannot read output: %v\n%s", err, out)
	}
	if !sameValue(want, gotV3) {
		t.Errorf("yaml.v3 read a different value\n in: %s\nout: %s\ngot: %#v", in, out, gotV3)
	}
}

// sameValue compares a JSON value with what a YAML reader produced,
// treating numbers by value.
func sameValue(want, got any) bool {
	switch w := want.(type) {
	case json.Number:
		wf, ok1 := new(big.Float).SetString(string(w))
		var gs string
		switch g := got.(type) {
		case json.Number:
			gs = string(g)
		case int:
			gs = big.NewInt(int64(g)).String()
		case int64:
			gs = big.NewInt(g).String()
		case uint64:
			gs = new(big.Int).SetUint64(g).String()
		case float64:
			gf := big.NewFloat(g)
			wf64, _ := wf.Float64()
			return ok1 && gf.Cmp(big.NewFloat(wf64)) == 0
		default:
			return false
		}
		gf, ok2 := new(big.Float).SetString(gs)
		if ok1 && ok2 && wf.Cmp(gf) == 0 {
			return true
		}
		// Readers may round very long literals to float64.
		wf64, _ := wf.Float64()
		gf64, _ := gf.Float64()
		return ok1 && ok2 && wf64 == gf64
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, v := range w {
			gv, ok := g[k]
			if !ok || !sameValue(v, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(w[i], g[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(want, got)
	}
}

func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"m":"x\ny\n"}`, `[1,"2",{"3":null}]`, `{"k":" \n"}`, `"a\u2028b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v any
		if json.Unmarshal(in, &v) != nil {
			if _, err := FromJSON(nil, in); err == nil && !json.Valid(in) {
				t.Fatalf("FromJSON accepted invalid JSON %q", in)
			}
			return
		}
		out, err := FromJSON(nil, in)
		if err != nil {
			t.Fatalf("FromJSON rejected valid JSON %q: %v", in, err)
		}
		if _, ok := v.(map[string]any); !ok {
			return // readers disagree on bare top-level scalars; documents are objects
		}
		if hasDuplicateKeys(in) || !utf8Clean(in) {
			return
		}
		roundTrip(t, in, out)
	})
}

// hasDuplicateKeys reports JSON whose objects repeat a key, where readers
// legitimately differ.
func hasDuplicateKeys(in []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(in))
	var walk func() bool
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				ks, _ := k.(string)
				if seen[ks] {
					return true
				}
				seen[ks] = true
				if walk() {
					return true
				}
			}
			dec.Token()
		case json.Delim('['):
			for dec.More() {
				if walk() {
					return true
				}
			}
			dec.Token()
		}
		return false
	}
	return walk()
}

// utf8Clean reports input with no invalid UTF-8 and no escaped surrogate
// halves, which encoding/json and YAML readers replace differently.
func utf8Clean(in []byte) bool {
	return bytes.Equal(bytes.ToValidUTF8(in, nil), in) && !bytes.Contains(bytes.ToLower(in), []byte(`\ud`))
}

func TestManifest(t *testing.T) {
	in := `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"a","creationTimestamp":null},"spec":{},"status":{"phase":"x"},"data":{"x":null,"e":{}},"l":[null,{"a":null}]}`
	want := "apiVersion: v1\ndata:\n  e: {}\nkind: Namespace\nl:\n- null\n- {}\nmetadata:\n  name: a\n"
	got, err := Manifest(nil, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("Manifest:\n got: %q\nwant: %q", got, want)
	}
	if _, err := Manifest(nil, []byte(`[1]`)); err == nil {
		t.Error("Manifest accepted a list")
	}
}
