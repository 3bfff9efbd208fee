// Package render turns a typed Mesh config into the Kubernetes objects of
// a complete Istio installation: CRDs, namespaces, istiod with its RBAC,
// mesh config and validating webhook, the mesh-wide mTLS policy, and the
// ingress gateways, zonal and per exposure class.
//
// Rendering is pure: it reads nothing but its argument, and equal configs
// give byte-identical output. Objects come out in install order (CRDs,
// namespaces, cluster RBAC, then namespaced objects by kind, webhooks,
// Istio resources; ties by namespace and name).
package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/meshrender/meshrender/render/internal/gateway"
	"github.com/meshrender/meshrender/render/internal/naming"
	"github.com/meshrender/meshrender/render/internal/objects"
)

// Components group the objects of a mesh into what is installed together.
const (
	// ComponentCRDs holds Istio's CustomResourceDefinitions.
	ComponentCRDs = "crds"
	// ComponentControlPlane holds istiod, its namespace, RBAC, webhook
	// and the mesh-wide policy.
	ComponentControlPlane = "control-plane"
	// ComponentGatewayPrefix starts the component of each gateway,
	// followed by its namespace: gateways/istio-ingress.
	ComponentGatewayPrefix = "gateways/"
)

// Object is one rendered Kubernetes object.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Component is the part of the mesh the object belongs to: crds,
	// control-plane or gateways/<namespace>.
	Component string
	// YAML is the object as a YAML document, without a "---" line.
	YAML []byte
}

// Render defaults and validates m, then returns every object of the mesh
// in install order. m itself is not changed. An invalid config returns a
// *ValidationError listing every problem.
func Render(m Mesh) ([]Object, error) {
	mesh, err := Prepare(m)
	if err != nil {
		return nil, err
	}
	var objs []Object
	var s slab
	err = emit(mesh, func(o Object) error {
		// The caller owns what Render returns; the YAML the sink sees is
		// a scratch buffer or, for CRDs, the binary's read-only data.
		o.YAML = s.copy(o.YAML)
		objs = append(objs, o)
		return nil
	})
	return objs, err
}

// Write renders m and writes it to w as one YAML stream, without holding
// the whole output in memory. Nothing is written unless m is valid.
func Write(w io.Writer, m Mesh) error {
	mesh, err := Prepare(m)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := emit(mesh, func(o Object) error {
		bw.WriteString(separator)
		_, err := bw.Write(o.YAML)
		return err
	}); err != nil {
		return err
	}
	return bw.Flush()
}

// YAML renders m as one YAML stream, documents separated by "---".
func YAML(m Mesh) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const separator = "---\n"

// WriteYAML writes objects as one YAML stream.
func WriteYAML(w io.Writer, objs []Object) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, o := range objs {
		bw.WriteString(separator)
		bw.Write(o.YAML)
	}
	return bw.Flush()
}

// Prepare returns a defaulted copy of m, or the validation errors that
// keep it from rendering.
func Prepare(m Mesh) (*Mesh, error) {
	mesh, err := m.DeepCopy()
	if err != nil {
		return nil, err
	}
	if err := mesh.Default(); err != nil {
		return nil, err
	}
	if err := mesh.Validate(); err != nil {
		return nil, err
	}
	return mesh, nil
}

// DeepCopy returns a copy of m that shares no maps, slices or pointers.
func (m *Mesh) DeepCopy() (*Mesh, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out Mesh
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// namespaceIdentity is the part of a gateway's selector that a namespace
// carries too, so policies can select gateway namespaces as Gardener's do.
func namespaceIdentity(selector map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{naming.LabelIstio, naming.LabelRole, naming.LabelExposureClassName} {
		if v, ok := selector[k]; ok {
			out[k] = v
		}
	}
	return out
}

func gatewayPorts(ports []GatewayPort) []gateway.Port {
	out := make([]gateway.Port, len(ports))
	for i, p := range ports {
		out[i] = gateway.Port{Name: p.Name, Port: p.Port, TargetPort: p.TargetPort}
	}
	return out
}

func (o *Object) key() objects.Key {
	return objects.Key{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}
