package render

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/meshrender/meshrender/render/internal/crds"
	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/istiod"
	"github.com/meshrender/meshrender/render/internal/objects"
	"github.com/meshrender/meshrender/render/yamlenc"
)

// emit renders a defaulted, valid mesh and hands every object to sink in
// install order. The YAML sink receives is only valid during the call.
func emit(m *Mesh, sink func(Object) error) error {
	if len(m.Spec.Overlays) > 0 {
		return emitPatched(m, sink)
	}
	for _, c := range crds.All() {
		if err := sink(crdObject(c)); err != nil {
			return err
		}
	}
	typed, err := typedObjects(m)
	if err != nil {
		return err
	}
	sortTyped(typed)
	return encodeInOrder(typed, sink)
}

// componentObject is a typed object and the component it belongs to.
type componentObject struct {
	component string
	obj       objects.Object
}

func (co componentObject) key() objects.Key {
	gvk := co.obj.GetObjectKind().GroupVersionKind()
	return objects.Key{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: co.obj.GetNamespace(), Name: co.obj.GetName()}
}

// sortTyped puts typed objects in install order.
func sortTyped(typed []componentObject) {
	keys := make([]objects.SortKey, len(typed))
	for i := range typed {
		keys[i] = objects.NewSortKey(typed[i].key(), i)
	}
	slices.SortFunc(keys, objects.CompareSortKeys)
	sorted := make([]componentObject, len(typed))
	for i, k := range keys {
		sorted[i] = typed[k.Index]
	}
	copy(typed, sorted)
}

// typedObjects builds every object of the mesh except the CRDs, which
// are already YAML. The control plane and each gateway are built in
// parallel; the result's order depends only on the mesh.
func typedObjects(m *Mesh) ([]componentObject, error) {
	s := &m.Spec
	meta := objects.Meta{Instance: m.Metadata.Name, Version: s.Version}
	names := istiod.Names{Revision: s.Revision, NS: s.Istiod.Namespace}
	mc, err := meshConfig(m, names)
	if err != nil {
		return nil, err
	}
	plans := gateways(m)
	component := func(ns string) string {
		if ns == s.Istiod.Namespace {
			return ComponentControlPlane
		}
		return ComponentGatewayPrefix + ns
	}
	tag := func(component string, objs []objects.Object) []componentObject {
		out := make([]componentObject, len(objs))
		for i, o := range objs {
			out[i] = componentObject{component, o}
		}
		return out
	}
	units := make([][]componentObject, 1+len(plans))
	parallel(len(units), func(i int) {
		if i == 0 {
			units[0] = tag(ComponentControlPlane, istiod.Objects(istiod.Values{
				Meta: meta, Namespace: s.Istiod.Namespace, Revision: s.Revision,
				Workload: objects.Workload{
					Image: s.Registry.Image("pilot"), PullSecrets: s.Registry.PullSecrets,
					MinReplicas: *s.Istiod.Replicas.Min, MaxReplicas: *s.Istiod.Replicas.Max, Resources: *s.Istiod.Resources,
				},
				Zones: s.Zones, MeshConfig: mc, MTLSMode: s.MTLS.Mode,
			}))
			return
		}
		g := plans[i-1]
		units[i] = tag(component(g.namespace), gateway.Objects(gateway.Values{
			Meta: meta, Namespace: g.namespace, Selector: g.selector, Zone: g.zone, Zones: s.Zones,
			Revision: names.RevLabel(),
			Workload: objects.Workload{
				Image: s.Registry.Image("proxyv2"), PullSecrets: s.Registry.PullSecrets,
				MinReplicas: g.min, MaxReplicas: g.max, Resources: *s.Ingress.Resources,
			},
			Service: gateway.Service{
				Type: g.service.Type, ExternalTrafficPolicy: g.service.ExternalTrafficPolicy,
				Annotations: g.service.Annotations, LoadBalancerClass: g.service.LoadBalancerClass,
			},
			Ports:            gatewayPorts(s.Ingress.Ports),
			DiscoveryAddress: names.DiscoveryAddress(), MeshConfigMap: names.MeshConfigMap(),
		}))
	})
	// Namespaces in the order they first appear, with the labels of every
	// gateway they hold.
	nsOrder := []string{s.Istiod.Namespace}
	nsLabels := map[string]map[string]string{s.Istiod.Namespace: nil}
	for _, g := range plans {
		if _, ok := nsLabels[g.namespace]; !ok {
			nsOrder = append(nsOrder, g.namespace)
		}
		nsLabels[g.namespace] = objects.Merge(nsLabels[g.namespace], namespaceIdentity(g.selector))
	}
	var namespaces []componentObject
	for _, ns := range nsOrder {
		namespaces = append(namespaces, componentObject{component(ns), namespace(meta, ns, nsLabels[ns])})
	}
	return slices.Concat(append(units, namespaces)...), nil
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
	err  error
}

// encodeInOrder prints typed objects on all cores and hands them to sink
// in order. Chunks are printed ahead of the sink by at most a few per
// core, so memory stays bounded however large the mesh.
func encodeInOrder(typed []componentObject, sink func(Object) error) error {
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
				for _, co := range typed[c*chunkSize : min(len(typed), (c+1)*chunkSize)] {
					var err error
					if out.buf, err = yamlenc.AppendManifest(out.buf, co.obj); err != nil {
						k := co.key()
						out.err = fmt.Errorf("encoding %s %s/%s: %w", k.Kind, k.Namespace, k.Name, err)
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
				co := typed[c*chunkSize+j]
				k := co.key()
				if err := sink(Object{APIVersion: k.APIVersion, Kind: k.Kind, Namespace: k.Namespace, Name: k.Name, Component: co.component, YAML: out.buf[start:end:end]}); err != nil {
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

// slab hands out exact-size copies carved from large chunks, so many small
// outputs take few allocations.
type slab struct{ chunk []byte }

const slabSize = 128 << 10

func (s *slab) copy(b []byte) []byte {
	if cap(s.chunk)-len(s.chunk) < len(b) {
		s.chunk = make([]byte, 0, max(slabSize, len(b)))
	}
	start := len(s.chunk)
	s.chunk = append(s.chunk, b...)
	return s.chunk[start:len(s.chunk):len(s.chunk)]
}
