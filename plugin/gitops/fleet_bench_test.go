package gitops

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// fleetOf is a fleet of n clusters of three zones each, on one network.
func fleetOf(n int) v1alpha1.Fleet {
	f := v1alpha1.Fleet{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.FleetKind, Metadata: v1alpha1.ObjectMeta{Name: "bench"}}
	for i := range n {
		f.Spec.Clusters = append(f.Spec.Clusters, v1alpha1.FleetCluster{
			Name: fmt.Sprintf("cluster-%03d", i), Network: "net",
			Zones: []string{"zone-a", "zone-b", "zone-c"},
		})
	}
	return f
}

// BenchmarkWriteFleet200 writes the whole repository of a fleet of 200
// clusters of three zones each, every cluster rendered and written as one
// tree; b.N runs rewrite the same repository, as a pipeline does.
func BenchmarkWriteFleet200(b *testing.B) {
	f := fleetOf(200)
	repo := b.TempDir()
	opts := Options{Flavor: Flux, RepoURL: "https://git.example.com/fleet.git"}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteFleet(repo, f, opts); err != nil {
			b.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(repo, "clusters", "*"))
	b.ReportMetric(float64(len(files)), "clusters")
}
