package render

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/internal/typecheck"
)

// MaxRenderBytes is about the most YAML a mesh may render. A mesh of
// 1,919 gateways (100 zones, 18 exposure classes) renders 25 MiB; a mesh
// renders more only when it copies a long value into every gateway, such
// as a long mesh config defaultConfig into each one's PROXY_CONFIG, which
// no limit on the config's own size bounds. Estimating the size costs the
// 1,111-gateway render about 6% of its time.
const MaxRenderBytes = 64 << 20

// checkRenderSize refuses to print objects whose YAML would be larger than
// MaxRenderBytes, before printing them: building them costs little, as
// they share the strings of the config, printing them copies each. total
// is their size as the build measured it, each component on its own core;
// only a mesh past the limit is measured again, as a whole, to name the
// value it copies most.
func checkRenderSize(typed []built, total int) error {
	if total <= MaxRenderBytes {
		return nil
	}
	var s sizer
	for _, b := range typed {
		s.object(b.obj)
	}
	msg := fmt.Sprintf("the mesh renders about %d MiB of YAML, more than the %d MiB meshrender writes", s.total>>20, MaxRenderBytes>>20)
	if s.largest.copies > 1 {
		msg += fmt.Sprintf("; the value %s goes into %d places: shorten it, or render fewer gateways", typecheck.Quote(s.largest.value), s.largest.copies)
	}
	return errors.New(msg)
}

// objectOverhead is about what an object's YAML takes beyond its strings:
// keys, indentation, numbers.
const objectOverhead = 2 << 10

// largeString is the length from which a string counts as copied, when
// the same one comes back: the values a config has the mesh repeat.
const largeString = 4 << 10

// sizer adds up the strings of objects.
type sizer struct {
	total int
	// seen counts the large strings met, by their bytes' address: a value
	// copied into many objects is one string shared by all.
	seen    map[*byte]int
	largest struct {
		value  string
		copies int
	}
}

// object adds an object's YAML: printed, or about that of its values.
func (s *sizer) object(obj typedObject) {
	if p, ok := obj.(*objects.Printed); ok {
		s.total += len(p.YAML)
		return
	}
	s.total += objectOverhead
	s.value(reflect.ValueOf(obj))
}

func (s *sizer) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			s.value(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanInterface() { // not unexported
				s.value(f)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			s.total += v.Len() * 4 / 3 // base64
			return
		}
		fallthrough
	case reflect.Array:
		for i := range v.Len() {
			s.value(v.Index(i))
		}
	case reflect.Map:
		if m, ok := v.Interface().(map[string]string); ok {
			for k, e := range m { // the labels and annotations of every object
				s.str(k)
				s.str(e)
			}
			return
		}
		// One key and value for the whole map: MapRange's would each
		// allocate a copy per entry.
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		for it := v.MapRange(); it.Next(); {
			k.SetIterKey(it)
			e.SetIterValue(it)
			s.value(k)
			s.value(e)
		}
	case reflect.String:
		s.str(v.String())
	}
}

func (s *sizer) str(str string) {
	s.total += len(str)
	if len(str) < largeString {
		return
	}
	if s.seen == nil {
		s.seen = map[*byte]int{}
	}
	p := unsafe.StringData(str)
	s.seen[p]++
	if n := s.seen[p]; n*len(str) > s.largest.copies*len(s.largest.value) {
		s.largest.value, s.largest.copies = str, n
	}
}

// MaxOverlayWork bounds the work of applying the overlays: each object a
// patch may select counts the patch's length plus overlayObjectCost. One
// short patch of every gateway Deployment of a mesh of 2,000 gateways
// fits; 1,000 such patches took hours.
const MaxOverlayWork = 8 << 20

// overlayObjectCost is about what patching one object costs beyond the
// patch, in bytes: turning it into a node, to JSON and back, and checking
// the result.
const overlayObjectCost = 4 << 10

// checkOverlayWork refuses overlays that would patch objects more often,
// or with longer patches, than MaxOverlayWork allows, before any is
// applied.
func (c *checked) checkOverlayWork(typed []built) error {
	ids := make([]overlays.Identity, len(typed))
	for i, b := range typed {
		ids[i] = identity(b.key())
	}
	work, heaviest, heaviestWork := 0, 0, 0
	// Counting stops past the limit: with a thousand patches it costs as
	// much as the count of an object's patches does in patching.
	for i := 0; i < c.overlays.Len() && work <= MaxOverlayWork; i++ {
		_, size := c.overlays.Patch(i)
		w := c.overlays.Matches(i, ids) * (size + overlayObjectCost)
		work += w
		if w > heaviestWork {
			heaviest, heaviestWork = i, w
		}
	}
	if work <= MaxOverlayWork {
		return nil
	}
	name, size := c.overlays.Patch(heaviest)
	var p problems
	p.add("spec.overlays", "patching the objects they select is more than the %d MiB of work meshrender does (%d MiB so far); the most is spec.overlays[%d] (%q), a patch of %d bytes for %d objects: select fewer objects, or write fewer or shorter patches",
		MaxOverlayWork>>20, work>>20, heaviest, name, size, heaviestWork/(size+overlayObjectCost))
	return p.err()
}
