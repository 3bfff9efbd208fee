package render

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/overlays"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// checked is a defaulted mesh that passed validation, with what checking
// it produced: its topology, its components and its compiled overlays.
type checked struct {
	topology   *topology
	components []component
	// overlays is nil when the mesh has none.
	overlays *overlays.Set
}

// built is a typed object, its identity and the component it belongs to.
type built struct {
	obj       typedObject
	id        objects.Key
	component *component
	// patched says an overlay changed the object; obj is then its
	// printed YAML.
	patched bool
}

func newBuilt(obj typedObject, c *component) built {
	tm := obj.GetObjectKind()
	gvk := tm.GroupVersionKind()
	return built{obj: obj, component: c, id: objects.Key{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}}
}

func (b built) key() objects.Key { return b.id }

// emit is the one way a mesh is rendered: build every component, patch
// what the overlays select, put everything in install order, refuse two
// objects of one identity, and print the objects on all cores, handing
// them to sink in order. Only the objects an overlay may select are
// printed ahead, so memory stays bounded however large the mesh. grow,
// when it is not nil, is told first about how many bytes of YAML the
// objects take, so the caller can allocate once. The YAML sink receives
// is valid only during the call.
func (c *checked) emit(grow func(n int), sink func(Object) error) error {
	typed, size, err := c.build()
	if err == nil {
		err = checkRenderSize(typed, size)
	}
	if err != nil {
		return err
	}
	if c.overlays != nil {
		if err := c.checkOverlayWork(typed); err != nil {
			return err
		}
		if typed, err = c.patch(typed); err != nil {
			return err
		}
	}
	sortBuilt(typed)
	if err := checkDuplicates(typed); err != nil {
		return err
	}
	if err := c.checkPodSecurity(typed); err != nil {
		return err
	}
	if grow != nil {
		grow(sizeHint(typed))
	}
	return encodeInOrder(typed, sink)
}

// build runs every component's build function, on all cores, and adds
// the namespaces the components own. The result's order depends only on
// the mesh. Building on one core is 29% slower in
// BenchmarkRender1111Gateways.
func (c *checked) build() ([]built, int, error) {
	results := make([][]built, len(c.components))
	sizes := make([]int, len(c.components))
	errs := make([]error, len(c.components))
	parallel(len(c.components), func(i int) {
		comp := &c.components[i]
		objs, err := comp.Build()
		if err != nil {
			errs[i] = fmt.Errorf("building %s: %w", comp.Name, err)
			return
		}
		results[i] = make([]built, len(objs))
		var s sizer
		for j, o := range objs {
			results[i][j] = newBuilt(o, comp)
			s.object(o)
		}
		sizes[i] = s.total
	})
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	t := c.topology
	meta := t.meta(t.ClusterWide.Version)
	total := 0
	for _, n := range sizes {
		total += n
	}
	for _, ns := range namespaces(c.components) {
		results = append(results, []built{newBuilt(ns.object(meta), ns.component)})
		total += objectOverhead
	}
	return slices.Concat(results...), total, nil
}

// sortBuilt puts typed objects in install order.
func sortBuilt(typed []built) {
	keys := make([]objects.SortKey, len(typed))
	for i := range typed {
		keys[i] = objects.NewSortKey(typed[i].key(), i)
	}
	slices.SortFunc(keys, objects.CompareSortKeys)
	sorted := make([]built, len(typed))
	for i, k := range keys {
		sorted[i] = typed[k.Index]
	}
	copy(typed, sorted)
}

// parallel calls f(0) to f(n-1) spread over the machine's cores.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// chunkSize is how many objects one worker prints at a time.
const chunkSize = 32

// chunk is the printed YAML of consecutive objects.
type chunk struct {
	buf  []byte
	ends []int // end offset of each object in buf
	// printed holds, for an object printed ahead of time, its YAML, which
	// is passed on as it is rather than copied into buf.
	printed map[int][]byte
	err     error
}

// encodeInOrder prints typed objects on all cores and hands them to sink
// in order. Chunks are printed ahead of the sink by at most a few per
// core, so memory stays bounded however large the mesh. Printing on one
// core is 44% slower in BenchmarkRender1111Gateways, and without the pool
// of chunk buffers 35% slower there and 11% in BenchmarkRenderDefault.
func encodeInOrder(typed []built, sink func(Object) error) error {
	n := (len(typed) + chunkSize - 1) / chunkSize
	results := make([]chan chunk, n)
	for i := range results {
		results[i] = make(chan chunk, 1)
	}
	workers := runtime.GOMAXPROCS(0)
	ahead := make(chan struct{}, 2*workers) // chunks printed but not yet consumed
	next := make(chan int)
	pool := sync.Pool{New: func() any { return new([]byte) }}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range next {
				bp := pool.Get().(*[]byte)
				out := chunk{buf: (*bp)[:0]}
				for j, b := range typed[c*chunkSize : min(len(typed), (c+1)*chunkSize)] {
					if p, ok := b.obj.(*objects.Printed); ok {
						if out.printed == nil {
							out.printed = map[int][]byte{}
						}
						out.printed[j] = p.YAML
						out.ends = append(out.ends, len(out.buf))
						continue
					}
					var err error
					if out.buf, err = yamlenc.AppendManifest(out.buf, b.obj); err != nil {
						k := b.key()
						out.err = fmt.Errorf("encoding %s %s: %w", k.Kind, namespacedName(k.Namespace, k.Name), err)
						break
					}
					out.ends = append(out.ends, len(out.buf))
				}
				results[c] <- out
			}
		})
	}
	go func() {
		defer close(next)
		for c := range n {
			ahead <- struct{}{}
			next <- c
		}
	}()
	var errs []error
	for c := range n {
		out := <-results[c]
		<-ahead
		if out.err != nil {
			errs = append(errs, out.err)
		}
		start := 0
		for j, end := range out.ends {
			if len(errs) == 0 {
				b := typed[c*chunkSize+j]
				k := b.key()
				yaml, printed := out.printed[j]
				if !printed {
					yaml = out.buf[start:end:end]
				}
				if err := sink(Object{
					APIVersion: k.APIVersion, Kind: k.Kind, Namespace: k.Namespace, Name: k.Name,
					Component: b.component.Name, Layer: b.component.Layer, YAML: yaml,
				}); err != nil {
					errs = append(errs, err)
				}
			}
			start = end
		}
		buf := out.buf
		pool.Put(&buf)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sizeHint estimates the YAML of typed objects: exact for the printed
// CRDs, which are most of a small mesh, the data of ConfigMaps (the
// injector's templates) with room for indentation, and a few KiB for
// anything else. With it YAML allocates its output once:
// BenchmarkRenderDefault takes 58% less time and 64% less memory than
// growing the output as it comes (Render100Gateways 28% and 47%).
func sizeHint(typed []built) int {
	n := 0
	for _, b := range typed {
		n += len(separator)
		switch o := b.obj.(type) {
		case *objects.Printed:
			n += len(o.YAML)
		case *corev1.ConfigMap:
			for _, v := range o.Data {
				n += len(v) + len(v)/8
			}
			n += 1 << 10
		default:
			n += 2 << 10
		}
	}
	return n
}
