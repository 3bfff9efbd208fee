package v1alpha1

import (
	"fmt"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/randfill"
)

// TestDeepCopy fills meshes with random values and checks that DeepCopy
// returns an equal mesh sharing no map, slice or pointer with it, so a
// field added to the API without regenerating the copy fails here.
func TestDeepCopy(t *testing.T) {
	f := randfill.NewWithSeed(1).NilChance(0.2).NumElements(1, 3).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewMilliQuantity(c.Int63n(1<<20), resource.DecimalSI)
		},
		// A mesh config keeps its JSON in an unexported field random
		// filling cannot reach.
		func(mc *MeshConfig, c randfill.Continue) {
			if err := mc.UnmarshalJSON(fmt.Appendf(nil, `{"trustDomain": "td-%d"}`, c.Int63())); err != nil {
				panic(err)
			}
		},
	)
	for i := range 200 {
		var m Mesh
		f.Fill(&m)
		c := m.DeepCopy()
		if !reflect.DeepEqual(&m, c) {
			t.Fatalf("mesh %d: the copy differs from the original", i)
		}
		if path := shared(reflect.ValueOf(m), reflect.ValueOf(*c), "mesh"); path != "" {
			t.Fatalf("mesh %d: the copy shares %s with the original", i, path)
		}
	}
	var nilMesh *Mesh
	if nilMesh.DeepCopy() != nil {
		t.Error("a nil mesh copies to a non-nil one")
	}
}

// shared returns the path of the first map, slice or pointer that a and b
// share, or "", unexported fields included.
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Map:
		if a.Len() == 0 || b.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			if p := shared(a.MapIndex(k), b.MapIndex(k), fmt.Sprintf("%s[%v]", path, k)); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if a.Len() == 0 || b.Len() == 0 {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		for i := range a.Len() {
			if p := shared(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
}
