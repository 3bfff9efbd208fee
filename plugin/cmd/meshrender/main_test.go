package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// buildBinary builds meshrender once for the process benchmarks.
func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "meshrender")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// gatewayMesh writes a seed mesh with the given zones and exposure
// classes: (classes+1)*(zones+1) gateways.
func gatewayMesh(b *testing.B, zones, classes int) string {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata:\n  name: bench\nspec:\n  profile: seed\n  zones:\n")
	for z := range zones {
		fmt.Fprintf(&sb, "  - zone-%d\n", z)
	}
	if classes > 0 {
		sb.WriteString("  exposureClasses:\n")
		for c := range classes {
			fmt.Fprintf(&sb, "  - name: class-%d\n", c)
		}
	}
	path := filepath.Join(b.TempDir(), "mesh.yaml")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchmarkProcess runs `meshrender render` as a whole process, output to
// /dev/null, and reports wall time per run and the peak resident memory.
func benchmarkProcess(b *testing.B, args ...string) {
	bin := buildBinary(b)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	var peak int64
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, append([]string{"render"}, args...)...)
		cmd.Stdout = devnull
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = max(peak, ru.Maxrss) // KiB on Linux
		}
	}
	b.ReportMetric(float64(peak)/1024, "peak-MiB")
}

// BenchmarkProcessDefault: `meshrender render` of the default mesh
// (istioctl manifest generate of upstream's default profile: 0.42 s
// median, 148 MiB, on the reference machine).
func BenchmarkProcessDefault(b *testing.B) { benchmarkProcess(b) }

// BenchmarkProcess12Gateways: 3 zones x 2 exposure classes.
func BenchmarkProcess12Gateways(b *testing.B) { benchmarkProcess(b, "-f", gatewayMesh(b, 3, 2)) }

// BenchmarkProcess100Gateways: 9 zones x 9 exposure classes.
func BenchmarkProcess100Gateways(b *testing.B) { benchmarkProcess(b, "-f", gatewayMesh(b, 9, 9)) }

// BenchmarkProcess1111Gateways: 100 zones x 10 exposure classes.
func BenchmarkProcess1111Gateways(b *testing.B) { benchmarkProcess(b, "-f", gatewayMesh(b, 100, 10)) }
