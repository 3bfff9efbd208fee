//lint:file-ignore SA5008 the tests hand encoding/json the odd tags it must be compared on

package jsonfields

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The cases below are the rules encoding/json documents, one type each.

type Inner struct {
	A string
	B string `json:"b"`
}

type OtherInner struct {
	A string
	B string
}

// Shallow: a field of the outer struct hides the embedded one's.
type Shallow struct {
	Inner
	A string
}

// TaggedWins: at equal depth a tagged name beats an untagged one, and
// two untagged ones cancel out.
type TaggedWins struct {
	Inner
	OtherInner
}

// cancel: two tagged fields at equal depth cancel out too. (Built at
// run time: go vet rightly rejects such a type in source.)
var cancel = reflect.StructOf([]reflect.StructField{
	{Name: "Inner", Type: reflect.TypeFor[Inner](), Anonymous: true},
	{Name: "TaggedB", Type: reflect.StructOf([]reflect.StructField{{Name: "X", Type: reflect.TypeFor[string](), Tag: `json:"b"`}}), Anonymous: true},
})

// Twice: a struct is explored once, at the shallowest depth it appears.
type Twice struct {
	Inner
	*Deeper
}

type Deeper struct {
	*Inner
}

// TwiceSameDepth: a struct embedded twice at one depth cancels out all of
// its names.
type TwiceSameDepth struct {
	WrapA
	WrapB
	Y string
}

type WrapA struct{ Deeper2 }

type WrapB struct{ Deeper2 }

type Deeper2 struct{ X string }

type Named struct {
	Inner `json:"inner"` // an embedded struct with a tag name is a field
}

type unexportedInner struct {
	C string `json:"c"`
	d string
}

type unexportedInt int

type Unexported struct {
	unexportedInner
	unexportedInt
	e string
}

type Dash struct {
	Skip   string `json:"-"`
	Dashed string `json:"-,"`
	Bad    string `json:"a\\b"`
	Punct  string `json:"x-y.z/w"`
	Inline string `json:",inline"`
}

type Options struct {
	N     int       `json:"n,string"`
	S     string    `json:"s,string,omitempty"`
	L     []int     `json:"l,string"`
	T     time.Time `json:"t,omitzero"`
	PT    *zeroPtr  `json:"pt,omitzero"`
	V     zeroPtr   `json:"v,omitzero"`
	I     any       `json:"i,omitzero"`
	Empty struct{}  `json:"empty,omitempty"`
}

type zeroPtr struct{ n int }

func (z *zeroPtr) IsZero() bool { return z.n == 42 }

// Recursive embeds itself through a pointer.
type Recursive struct {
	*Recursive
	Name string `json:"name"`
}

func TestRules(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string // name:index ...
	}{
		{Shallow{}, "b:0.1 A:1"},
		{TaggedWins{}, "b:0.1 B:1.1"},
		{reflect.New(cancel).Elem().Interface(), "A:0.0"},
		{Twice{Deeper: &Deeper{Inner: &Inner{A: "deep"}}}, "A:0.0 b:0.1"},
		{TwiceSameDepth{}, "Y:2"},
		{Named{}, "inner:0"},
		{Unexported{unexportedInner{C: "c", d: "d"}, 1, "e"}, "c:0.0"},
		{Dash{}, "-:1 Bad:2 x-y.z/w:3 Inline:4"},
		{Options{}, "n:0 s:1 l:2 t:3 pt:4 v:5 i:6 empty:7"},
		{Recursive{}, "name:1"},
	} {
		typ := reflect.TypeOf(tt.v)
		var got []string
		for _, f := range Of(typ) {
			got = append(got, f.Name+":"+indexString(f.Index))
		}
		if diff := cmp.Diff(tt.want, strings.Join(got, " ")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", typ, diff)
		}
		agree(t, reflect.ValueOf(tt.v))
	}
	if f, _ := Lookup(reflect.TypeFor[Options](), "n"); !f.Quoted {
		t.Error("n,string on an int is not quoted")
	}
	if f, _ := Lookup(reflect.TypeFor[Options](), "l"); f.Quoted {
		t.Error("l,string on a slice is quoted")
	}
	if _, ok := Lookup(cancel, "b"); ok {
		t.Error("Lookup finds a name that cancelled out")
	}
}

// TestOmitted compares Omitted with what encoding/json leaves out,
// IsZero methods included.
func TestOmitted(t *testing.T) {
	for _, v := range []Options{
		{},
		{N: 1, S: "x", L: []int{}, T: time.Unix(1, 0), PT: &zeroPtr{}, V: zeroPtr{n: 1}, I: 0},
		{PT: &zeroPtr{n: 42}, V: zeroPtr{n: 42}, I: (*zeroPtr)(nil)},
		{I: &zeroPtr{n: 42}},
		{I: &zeroPtr{n: 1}},
	} {
		agree(t, reflect.ValueOf(v))
		agree(t, reflect.ValueOf(&v).Elem()) // addressable, for pointer IsZero methods
	}
}

// TestKubernetesTypes fills Kubernetes types, every pointer set, and
// requires the keys encoding/json writes to be the fields listed.
func TestKubernetesTypes(t *testing.T) {
	for _, v := range []any{&corev1.Pod{}, &corev1.Service{}, &metav1.ObjectMeta{}, &corev1.Container{}} {
		rv := reflect.ValueOf(v).Elem()
		fillAll(rv, 3)
		agree(t, rv)
	}
}

// fillAll sets every exported field of a struct to something non-empty,
// down to depth levels of nested structs.
func fillAll(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 0 && v.IsNil() && v.CanSet() {
			v.Set(reflect.New(v.Type().Elem()))
			fillAll(v.Elem(), depth-1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i), depth)
			}
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Slice:
		if depth > 0 && v.Type().Elem().Kind() != reflect.Uint8 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			fillAll(v.Index(0), depth-1)
		}
	}
}

// agree marshals v, a struct, with encoding/json and requires it to
// write exactly the fields Of lists and Omitted and Value keep, in that
// order and with those values, and to decode each key into the field
// Lookup finds.
func agree(t *testing.T, v reflect.Value) {
	t.Helper()
	raw, err := json.Marshal(v.Interface())
	if err != nil {
		t.Fatalf("%s: %v", v.Type(), err)
	}
	var want []string
	for _, f := range Of(v.Type()) {
		fv, ok := f.Value(v)
		if !ok || f.Omitted(fv) {
			continue
		}
		val, err := json.Marshal(fv.Interface())
		if err != nil {
			t.Fatal(err)
		}
		if f.Quoted {
			val, _ = json.Marshal(string(val))
		}
		want = append(want, fmt.Sprintf("%q:%s", f.Name, val))
	}
	got := topLevelMembers(t, raw)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: encoding/json writes other fields than listed (-listed +encoding/json):\n%s", v.Type(), diff)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if _, ok := Lookup(v.Type(), k); !ok {
			t.Errorf("%s: Lookup does not find %q", v.Type(), k)
		}
	}
}

// topLevelMembers splits a JSON object into its members, in order, each
// as "key":value with the value compacted.
func topLevelMembers(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, val); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%q:%s", tok.(string), buf.Bytes()))
	}
	return out
}

func indexString(index []int) string {
	s := make([]string, len(index))
	for i, x := range index {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ".")
}

// TestRandomStructs builds random struct types out of a few names, tags
// and embeddings, so that names collide across depths, and compares each
// with encoding/json, marshalling and unmarshalling.
func TestRandomStructs(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	r := rand.New(rand.NewPCG(7, 11))
	for range n {
		typ := randomStruct(r, 3)
		v := reflect.New(typ).Elem()
		fillRandom(r, v, "")
		agree(t, v)
		agreeDecoding(t, v)
		if t.Failed() {
			t.Fatalf("first failing type: %s", typ)
		}
	}
}

var tags = []string{
	``, `json:"a"`, `json:"b"`, `json:"A"`, `json:"-"`, `json:"-,"`, `json:",omitempty"`, `json:"a,omitempty"`,
	`json:"b,omitzero"`, `json:"a,string"`, `json:"a\\b"`, `json:",inline"`, `json:"B,string,omitempty"`,
}

// randomStruct is a struct of one to four fields: strings under the
// names A to D or embedded structs (by value or pointer, tagged or not),
// the same struct type now and then embedded twice.
func randomStruct(r *rand.Rand, depth int) reflect.Type {
	var fields []reflect.StructField
	names := []string{"A", "B", "C", "D"}
	var shared reflect.Type
	for i := range r.IntN(4) + 1 {
		tag := reflect.StructTag(tags[r.IntN(len(tags))])
		if depth > 0 && r.IntN(3) == 0 {
			inner := shared
			if inner == nil || r.IntN(2) == 0 {
				inner = randomStruct(r, depth-1)
				shared = inner
			}
			if r.IntN(2) == 0 {
				inner = reflect.PointerTo(inner)
			}
			if r.IntN(2) == 0 {
				tag = ""
			}
			fields = append(fields, reflect.StructField{Name: fmt.Sprintf("E%d", i), Type: inner, Tag: tag, Anonymous: true})
			continue
		}
		j := r.IntN(len(names))
		fields = append(fields, reflect.StructField{Name: names[j], Type: reflect.TypeFor[string](), Tag: tag})
		names = slices.Delete(names, j, j+1)
	}
	return reflect.StructOf(fields)
}

// fillRandom sets each string to its path or leaves it empty, and each
// embedded pointer to a new struct or nil.
func fillRandom(r *rand.Rand, v reflect.Value, path string) {
	for i := range v.NumField() {
		f := v.Field(i)
		p := fmt.Sprintf("%s.%d", path, i)
		switch f.Kind() {
		case reflect.String:
			if r.IntN(4) != 0 {
				f.SetString(p)
			}
		case reflect.Pointer:
			if r.IntN(4) != 0 {
				f.Set(reflect.New(f.Type().Elem()))
				fillRandom(r, f.Elem(), p)
			}
		case reflect.Struct:
			fillRandom(r, f, p)
		}
	}
}

// agreeDecoding decodes v's JSON into a new value and requires every
// field Of lists to come back, and nothing else.
func agreeDecoding(t *testing.T, v reflect.Value) {
	t.Helper()
	raw, err := json.Marshal(v.Interface())
	if err != nil {
		t.Fatal(err)
	}
	back := reflect.New(v.Type())
	if err := json.Unmarshal(raw, back.Interface()); err != nil {
		t.Fatalf("%s: %v", v.Type(), err)
	}
	again, err := json.Marshal(back.Interface())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, again) {
		t.Errorf("%s: decoding %s and encoding again gives %s", v.Type(), raw, again)
	}
	for _, f := range Of(v.Type()) {
		want, ok := f.Value(v)
		if !ok || f.Omitted(want) {
			continue
		}
		got, ok := f.Value(back.Elem())
		if !ok {
			t.Errorf("%s: field %s (%s) does not decode back from %s", v.Type(), f.Name, indexString(f.Index), raw)
			continue
		}
		wantJSON, _ := json.Marshal(want.Interface())
		gotJSON, _ := json.Marshal(got.Interface())
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("%s: field %s (%s) decodes from %s as %s, want %s", v.Type(), f.Name, indexString(f.Index), raw, gotJSON, wantJSON)
		}
	}
}
