package v1alpha1

import (
	"encoding/json"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// FleetKind is the kind of a Fleet document.
const FleetKind = "Fleet"

// MaxClusters is the most clusters a Fleet may have.
const MaxClusters = 1000

// Fleet is many clusters in one file, joined into one mesh: settings every
// cluster shares, and each cluster's own. Each cluster renders exactly as
// the Mesh that Fleet.Mesh derives for it would: the shared spec, the
// cluster's overrides, and spec.multiCluster naming the fleet's mesh, the
// cluster and its network.
//
// +k8s:deepcopy-gen=true
type Fleet struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Metadata names the fleet.
	Metadata ObjectMeta `json:"metadata"`
	Spec     FleetSpec  `json:"spec"`
}

// FleetSpec is what a fleet's clusters share, and the clusters.
//
// +k8s:deepcopy-gen=true
type FleetSpec struct {
	// MeshID names the mesh the clusters form (default: the fleet's
	// name); every cluster's spec.multiCluster.meshID.
	MeshID string `json:"meshID,omitempty"`
	// Mesh is the spec every cluster's Mesh starts from: any field of a
	// Mesh's spec; of multiCluster only eastWestGateway, as the fleet
	// sets the rest.
	Mesh MeshSpec `json:"mesh,omitzero"`
	// Clusters are the fleet's clusters, at least one.
	Clusters []FleetCluster `json:"clusters"`
}

// FleetCluster is one cluster of a fleet: its name and network, and what
// it has of its own.
//
// +k8s:deepcopy-gen=true
type FleetCluster struct {
	// Name is the cluster's name in the mesh (its CLUSTER_ID), the name
	// of its Mesh and of its folder in a GitOps repository.
	Name string `json:"name"`
	// Network is the network its pods are on. When the fleet's clusters
	// are on more than one, each runs an east-west gateway unless its
	// mesh override says otherwise.
	Network string `json:"network,omitempty"`
	// Zones, when set, replace the fleet's spec.mesh.zones.
	Zones []string `json:"zones,omitempty"`
	// ExposureClasses, when set, replace the fleet's
	// spec.mesh.exposureClasses.
	ExposureClasses []ExposureClass `json:"exposureClasses,omitempty"`
	// Overlays patch this cluster's objects, after the fleet's.
	Overlays []Overlay `json:"overlays,omitempty"`
	// Mesh overrides fields of the fleet's spec.mesh for this cluster,
	// merged as a profile is: a field set here wins. It may not set what
	// is the fleet's (multiCluster, meshConfig.trustDomain) or what the
	// fields above set.
	Mesh *MeshSpec `json:"mesh,omitempty"`
}

// DecodeFleet reads one Fleet from YAML or JSON, with the limits and
// checks of Decode. It does not default or validate.
func DecodeFleet(data []byte) (Fleet, error) {
	if len(data) > MaxConfigBytes {
		return Fleet{}, fmt.Errorf("fleet config is %d bytes; the limit is %d (%d MiB)", len(data), MaxConfigBytes, MaxConfigBytes>>20)
	}
	if err := CheckSeparators(data); err != nil {
		return Fleet{}, err
	}
	doc, err := singleDocument(data)
	if err != nil {
		return Fleet{}, err
	}
	var f Fleet
	err = decodeDocument(doc, "fleet config", FleetKind, &f)
	return f, err
}

// KindOf is the kind of a YAML or JSON document: Mesh, Fleet or another,
// or "" when it names none. Callers that take either read it first.
func KindOf(data []byte) string {
	var doc struct {
		Kind string `json:"kind"`
	}
	if yaml.Unmarshal(data, &doc) != nil {
		return ""
	}
	return doc.Kind
}

// Validate checks what is the fleet's: its clusters' names and networks,
// and that no cluster overrides what the fleet sets. Each cluster's Mesh
// is checked as any Mesh is, by Meshes or Mesh.
func (f *Fleet) Validate() error {
	var p problems
	if f.Metadata.Name == "" && f.Spec.MeshID == "" {
		p.add("metadata.name", "must name the fleet (or set spec.meshID)")
	}
	id := f.meshID()
	for _, msg := range validation.IsValidLabelValue(id) {
		p.add("spec.meshID", "%q is not a valid label value: %s", id, msg)
	}
	if setsIdentity(f.Spec.Mesh.MultiCluster) {
		p.add("spec.mesh.multiCluster", "meshID, clusterName, network, remoteClusters and readerToken are set for each cluster by the fleet: spec.meshID, each cluster's name and network, and every other cluster read through spec.mesh.secretStore")
	}
	switch n := len(f.Spec.Clusters); {
	case n == 0:
		p.add("spec.clusters", "must list at least one cluster")
	case n > MaxClusters:
		p.add("spec.clusters", "%d clusters are more than the %d meshrender renders", n, MaxClusters)
	}
	seen := map[string]int{}
	networks := map[string]int{}
	for i, c := range f.Spec.Clusters {
		field := fmt.Sprintf("spec.clusters[%d]", i)
		// The name names a Mesh, its folder and the GitOps objects.
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			p.add(field+".name", "%q is not a DNS label: %s", c.Name, msg)
		}
		if j, ok := seen[c.Name]; ok {
			p.add(field+".name", "duplicate cluster %q (also spec.clusters[%d])", c.Name, j)
		} else {
			seen[c.Name] = i
		}
		for _, msg := range validation.IsValidLabelValue(c.Network) {
			p.add(field+".network", "%q is not a valid label value: %s", c.Network, msg)
		}
		if _, ok := networks[c.Network]; !ok {
			networks[c.Network] = i
		}
		if o := c.Mesh; o != nil {
			if setsIdentity(o.MultiCluster) {
				p.add(field+".mesh.multiCluster", "meshID, clusterName, network, remoteClusters and readerToken are the fleet's: set spec.meshID, and the cluster's name and network")
			}
			if o.SecretStore != (SecretStore{}) {
				p.add(field+".mesh.secretStore", "the secret store is the fleet's, which every cluster's remote secrets come from: set it in spec.mesh.secretStore")
			}
			if _, ok := o.MeshConfig.fields()["trustDomain"]; ok {
				p.add(field+".mesh.meshConfig.trustDomain", "the trust domain is the fleet's: set it in spec.mesh.meshConfig")
			}
			for _, own := range []struct {
				field string
				set   bool
			}{{"zones", o.Zones != nil}, {"exposureClasses", o.ExposureClasses != nil}, {"overlays", o.Overlays != nil}} {
				if own.set {
					p.add(field+".mesh."+own.field, "set the cluster's own %s: %s.%s", own.field, field, own.field)
				}
			}
		}
	}
	if len(networks) > 1 {
		// Pods reach another network's only through its east-west
		// gateways, which a fleet of several networks turns on.
		withGateway := map[string]bool{}
		for i := range f.Spec.Clusters {
			c := &f.Spec.Clusters[i]
			if f.eastWest(c) {
				withGateway[c.Network] = true
			}
		}
		for _, n := range sortedKeys(networks) {
			if !withGateway[n] {
				p.add(fmt.Sprintf("spec.clusters[%d].network", networks[n]), "no cluster of network %q has an east-west gateway, through which the other networks reach it", n)
			}
		}
	}
	return p.err()
}

// setsIdentity reports whether a multiCluster sets what the fleet sets
// for each cluster.
func setsIdentity(mc MultiCluster) bool {
	return mc.MeshID != "" || mc.ClusterName != "" || mc.Network != "" || mc.RemoteClusters != nil || mc.ReaderToken != nil
}

// multiNetwork reports whether the fleet's clusters are on more than one
// network.
func (f *Fleet) multiNetwork() bool {
	for _, c := range f.Spec.Clusters[min(1, len(f.Spec.Clusters)):] {
		if c.Network != f.Spec.Clusters[0].Network {
			return true
		}
	}
	return false
}

// eastWest reports whether a cluster runs an east-west gateway: as its
// override or the fleet's spec.mesh says, and by default when the fleet
// spans networks.
func (f *Fleet) eastWest(c *FleetCluster) bool {
	enabled := f.Spec.Mesh.MultiCluster.EastWestGateway.Enabled
	if c.Mesh != nil && c.Mesh.MultiCluster.EastWestGateway.Enabled != nil {
		enabled = c.Mesh.MultiCluster.EastWestGateway.Enabled
	}
	if enabled == nil {
		return f.multiNetwork()
	}
	return *enabled
}

// meshID is the fleet's mesh ID: spec.meshID, or its name.
func (f *Fleet) meshID() string {
	if f.Spec.MeshID != "" {
		return f.Spec.MeshID
	}
	return f.Metadata.Name
}

// Cluster returns the named cluster of the fleet, or nil.
func (f *Fleet) Cluster(name string) *FleetCluster {
	for i := range f.Spec.Clusters {
		if f.Spec.Clusters[i].Name == name {
			return &f.Spec.Clusters[i]
		}
	}
	return nil
}

// Mesh is the Mesh of the named cluster, which renders that cluster: the
// fleet's spec.mesh with the cluster's overrides merged over it. It
// checks the fleet, not the Mesh.
func (f *Fleet) Mesh(name string) (Mesh, error) {
	if err := f.Validate(); err != nil {
		return Mesh{}, err
	}
	c := f.Cluster(name)
	if c == nil {
		var names []string
		for _, c := range f.Spec.Clusters {
			names = append(names, c.Name)
		}
		return Mesh{}, fmt.Errorf("the fleet has no cluster %q; it has %s", name, quotedOrNone(names))
	}
	return f.clusterMesh(c)
}

// Meshes are the Meshes of every cluster, in the fleet's order, each
// checked: every problem of every cluster, each under its cluster's
// name (clusters[eu1].spec.zones[2]), and what must be the same in every
// cluster (the trust domain, the release of the CRDs).
func (f *Fleet) Meshes() ([]Mesh, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	out := make([]Mesh, len(f.Spec.Clusters))
	var p problems
	// The first valid cluster is what the others must agree with.
	ref, refCRDs, refTrust := "", "", ""
	for i := range f.Spec.Clusters {
		c := &f.Spec.Clusters[i]
		m, err := f.clusterMesh(c)
		if err != nil {
			return nil, fmt.Errorf("spec.clusters[%d]: %w", i, err)
		}
		out[i] = m
		t, err := Check(m)
		var verr *ValidationError
		switch {
		case errors.As(err, &verr):
			for _, fe := range verr.Errors {
				p.addText("clusters["+c.Name+"]."+fe.Field, fe.Message)
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
		}
		crds, trust := t.Newest.Minor(), t.TrustDomain
		if ref == "" {
			ref, refCRDs, refTrust = c.Name, crds, trust
			continue
		}
		field := fmt.Sprintf("spec.clusters[%d]", i)
		if crds != refCRDs {
			p.add(field, "its newest control plane is Istio %s, whose CRDs the cluster gets, and %s's is %s; a fleet's clusters share the release of their CRDs", crds, ref, refCRDs)
		}
		if trust != refTrust {
			p.add(field, "trust domain %q differs from %s's %q", trust, ref, refTrust)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// clusterMesh derives a cluster's Mesh from the fleet.
func (f *Fleet) clusterMesh(c *FleetCluster) (Mesh, error) {
	spec := *f.Spec.Mesh.DeepCopy()
	if c.Mesh != nil {
		base, err := toMap(spec)
		if err != nil {
			return Mesh{}, err
		}
		over, err := toMap(*c.Mesh)
		if err != nil {
			return Mesh{}, err
		}
		merged, err := json.Marshal(objects.MergeMappings(base, over))
		if err != nil {
			return Mesh{}, err
		}
		spec = MeshSpec{}
		if err := yaml.UnmarshalStrict(merged, &spec); err != nil {
			return Mesh{}, err
		}
	}
	if c.Zones != nil {
		spec.Zones = c.Zones
	}
	if c.ExposureClasses != nil {
		spec.ExposureClasses = c.ExposureClasses
	}
	spec.Overlays = append(spec.Overlays, c.Overlays...)
	mc := &spec.MultiCluster
	mc.MeshID, mc.ClusterName, mc.Network = f.meshID(), c.Name, c.Network
	mc.EastWestGateway.Enabled = ptr(f.eastWest(c))
	if len(f.Spec.Clusters) > 1 {
		// Every cluster is a primary: its istiod reads every other
		// cluster, through a remote secret from the fleet's store, and
		// is read by them with its reader's token.
		mc.ReaderToken = ptr(true)
		if spec.SecretStore.Name != "" {
			for _, other := range f.Spec.Clusters {
				if other.Name != c.Name {
					mc.RemoteClusters = append(mc.RemoteClusters, other.Name)
				}
			}
		}
	}
	return Mesh{APIVersion: APIVersion, Kind: Kind, Metadata: ObjectMeta{Name: c.Name}, Spec: spec}, nil
}
