package istioapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/durationpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	"github.com/meshrender/meshrender/render/internal/typecheck"
)

func TestMinors(t *testing.T) {
	if got, want := Minors(), []string{"1.30", "1.31"}; !slices.Equal(got, want) {
		t.Errorf("Minors() = %q, want %q", got, want)
	}
	for _, m := range Minors() {
		if v := ModuleVersion(m); !strings.HasPrefix(v, "v"+m+".") {
			t.Errorf("ModuleVersion(%q) = %q, not a %s release", m, v, m)
		}
	}
}

func TestUnknownMinor(t *testing.T) {
	for _, m := range []string{"", "1.29", "1.32", "1.30.3", "v1.30"} {
		if MeshConfig(m) != nil || ProxyConfig(m) != nil || ModuleVersion(m) != "" {
			t.Errorf("minor %q is known", m)
		}
	}
}

// TestNewestIsGoMod checks that the newest minor's version is the
// istio.io/api that go.mod requires, whose Go types it uses.
func TestNewestIsGoMod(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "istio.io/api").Output()
	if err != nil {
		t.Fatal(err)
	}
	newest := Minors()[len(Minors())-1]
	if v := strings.TrimSpace(string(out)); ModuleVersion(newest) != v {
		t.Errorf("Istio %s comes from istio.io/api %s, but go.mod requires %s", newest, ModuleVersion(newest), v)
	}
	compiled := (&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor()
	if MeshConfig(newest) != compiled {
		t.Errorf("MeshConfig(%q) is not the compiled type's descriptor", newest)
	}
	if ProxyConfig(newest) != (&meshv1alpha1.ProxyConfig{}).ProtoReflect().Descriptor() {
		t.Errorf("ProxyConfig(%q) is not the compiled type's descriptor", newest)
	}
}

// embedded are the descriptor sets, by minor: every minor but the newest.
var embedded = map[string][]byte{"1.30": set130}

// TestSourceNotes checks each set against its SOURCE note, offline: the
// sha256 and size it records, and the istio.io/api version it was built
// with, which must be the one releases names.
func TestSourceNotes(t *testing.T) {
	if len(embedded) != len(releases)-1 {
		t.Fatalf("%d descriptor sets for %d minors: every minor but the newest has one", len(embedded), len(releases))
	}
	for minor, set := range embedded {
		note, err := os.ReadFile(filepath.Join("descriptors", minor+".SOURCE"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			fmt.Sprintf("\nsha256: %x\n", sha256.Sum256(set)),
			fmt.Sprintf("\nsize: %d bytes\n", len(set)),
			"\n  istio.io/api " + ModuleVersion(minor) + " h1:",
		} {
			if !bytes.Contains(note, []byte(want)) {
				t.Errorf("descriptors/%s.SOURCE lacks %q", minor, strings.TrimSpace(want))
			}
		}
	}
}

// TestDescriptorsAreCurrent runs each minor's generator and compares what
// it writes with what is committed, so a hand edit, a forgotten
// go generate or a generator that is not deterministic fails here.
func TestDescriptorsAreCurrent(t *testing.T) {
	for minor := range embedded {
		t.Run(minor, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("go", "run", ".", "-o", dir)
			cmd.Dir = "gen" + minor
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go run in %s: %v\n%s", cmd.Dir, err, out)
			}
			for _, name := range []string{minor + ".binpb", minor + ".SOURCE"} {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(filepath.Join("descriptors", name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("descriptors/%s differs from what gen%s writes; run go generate ./render/internal/istioapi", name, minor)
				}
			}
		})
	}
}

// TestSetsAreWhole checks what the generator promises: each set holds the
// mesh/v1alpha1 files and everything they import but the well-known
// types, sorted by path.
func TestSetsAreWhole(t *testing.T) {
	for minor, set := range embedded {
		var fds descriptorpb.FileDescriptorSet
		if err := proto.Unmarshal(set, &fds); err != nil {
			t.Fatal(err)
		}
		var paths []string
		have := map[string]bool{}
		for _, f := range fds.File {
			paths = append(paths, f.GetName())
			have[f.GetName()] = true
			if f.SourceCodeInfo != nil {
				t.Errorf("%s: %s keeps its source code info", minor, f.GetName())
			}
		}
		if !slices.IsSorted(paths) {
			t.Errorf("%s: files are not sorted: %q", minor, paths)
		}
		for _, p := range []string{"mesh/v1alpha1/config.proto", "mesh/v1alpha1/proxy.proto", "mesh/v1alpha1/network.proto"} {
			if !have[p] {
				t.Errorf("%s: %s is missing", minor, p)
			}
		}
		for _, f := range fds.File {
			if strings.HasPrefix(f.GetName(), "google/protobuf/") {
				t.Errorf("%s: holds the well-known %s", minor, f.GetName())
			}
			for _, d := range f.GetDependency() {
				if !have[d] && !strings.HasPrefix(d, "google/protobuf/") {
					t.Errorf("%s: %s imports %s, which is missing", minor, f.GetName(), d)
				}
			}
		}
	}
}

// TestLoadRefusesMissingImports: a file missing from a set is not taken
// from the compiled, newer release instead.
func TestLoadRefusesMissingImports(t *testing.T) {
	var fds descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(set130, &fds); err != nil {
		t.Fatal(err)
	}
	fds.File = slices.DeleteFunc(fds.File, func(f *descriptorpb.FileDescriptorProto) bool {
		return f.GetName() == "networking/v1alpha3/destination_rule.proto"
	})
	set, err := proto.Marshal(&fds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load(set); err == nil || !strings.Contains(err.Error(), "destination_rule.proto is imported but not in the set") {
		t.Errorf("load of a set without destination_rule.proto: %v", err)
	}
}

// TestOlderDescriptorsLinkTogether checks that an older minor's messages
// refer to that minor's messages, and to the compiled well-known types.
func TestOlderDescriptorsLinkTogether(t *testing.T) {
	mc, pc := MeshConfig("1.30"), ProxyConfig("1.30")
	if mc.FullName() != meshConfigName || pc.FullName() != proxyConfigName {
		t.Fatalf("got %s and %s", mc.FullName(), pc.FullName())
	}
	if mc == MeshConfig("1.31") {
		t.Fatal("Istio 1.30's MeshConfig is the compiled one")
	}
	if got := mc.Fields().ByName("default_config").Message(); got != pc {
		t.Errorf("defaultConfig is a %s not from the same set as ProxyConfig", got.FullName())
	}
	if got := mc.Fields().ByName("connect_timeout").Message(); got != (&durationpb.Duration{}).ProtoReflect().Descriptor() {
		t.Errorf("connectTimeout is a %s that is not the compiled google.protobuf.Duration", got.FullName())
	}
	if MeshConfig("1.30") != mc {
		t.Error("a second call loads the set again")
	}
}

// newer are fields Istio 1.31 added: to MeshConfig, to ProxyConfig.
var newer = []struct {
	message func(string) protoreflect.MessageDescriptor
	name    protoreflect.Name
	number  protoreflect.FieldNumber
	json    string // a value of the field, as a mesh config document
}{
	{MeshConfig, "default_traffic_policy", 71, `{"defaultTrafficPolicy": {}}`},
	{MeshConfig, "service_entry_visibility", 72, `{"serviceEntryVisibility": {"defaultVisibility": "NAMESPACE"}}`},
	{MeshConfig, "zone_aware_lb_setting", 73, `{"zoneAwareLbSetting": {"enabled": true}}`},
	{ProxyConfig, "connection_settings", 43, `{"connectionSettings": {"profile": "EDGE"}}`},
}

// TestNewerFieldsAreUnknownToOlderMinors checks the fields by name and
// number, and that typecheck.CheckMessage and protojson (with a dynamic
// message) both refuse them in 1.30's descriptors and accept them in
// 1.31's.
func TestNewerFieldsAreUnknownToOlderMinors(t *testing.T) {
	for _, f := range newer {
		old, cur := f.message("1.30"), f.message("1.31")
		if fd := old.Fields().ByName(f.name); fd != nil {
			t.Errorf("Istio 1.30's %s has %s", old.FullName(), f.name)
		}
		if fd := old.Fields().ByNumber(f.number); fd != nil {
			t.Errorf("Istio 1.30's %s has field %d, %s", old.FullName(), f.number, fd.Name())
		}
		if fd := cur.Fields().ByName(f.name); fd == nil || fd.Number() != f.number {
			t.Errorf("Istio 1.31's %s has no %s = %d", cur.FullName(), f.name, f.number)
		}
		for _, c := range []struct {
			minor string
			md    protoreflect.MessageDescriptor
			ok    bool
		}{{"1.30", old, false}, {"1.31", cur, true}} {
			var v any
			d := json.NewDecoder(strings.NewReader(f.json))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				t.Fatal(err)
			}
			problems := typecheck.CheckMessage(v, c.md, "doc")
			var want []typecheck.Problem
			if !c.ok {
				want = []typecheck.Problem{{Path: "doc." + cur.Fields().ByName(f.name).JSONName(), Message: "unknown field"}}
			}
			if !slices.Equal(problems, want) {
				t.Errorf("Istio %s: CheckMessage(%s) = %v, want %v", c.minor, f.json, problems, want)
			}
			err := protojson.Unmarshal([]byte(f.json), dynamicpb.NewMessage(c.md))
			if (err == nil) != c.ok {
				t.Errorf("Istio %s: protojson.Unmarshal(%s) = %v", c.minor, f.json, err)
			}
		}
	}
}

// TestOlderMinorsAgreeOnSharedFields checks 1.30's MeshConfig against the
// compiled 1.31 one: no field is dropped or renumbered, and every field
// 1.30 has keeps its number, kind and JSON name.
func TestOlderMinorsAgreeOnSharedFields(t *testing.T) {
	for _, message := range []func(string) protoreflect.MessageDescriptor{MeshConfig, ProxyConfig} {
		old, cur := message("1.30"), message("1.31")
		fields := old.Fields()
		for i := range fields.Len() {
			o := fields.Get(i)
			c := cur.Fields().ByName(o.Name())
			if c == nil {
				// Istio removes a field only after reserving it; note it.
				t.Logf("%s.%s is gone in 1.31", old.FullName(), o.Name())
				continue
			}
			if o.Number() != c.Number() || o.Kind() != c.Kind() || o.JSONName() != c.JSONName() || o.Cardinality() != c.Cardinality() {
				t.Errorf("%s.%s: 1.30 has %d %v %s, 1.31 %d %v %s", old.FullName(), o.Name(), o.Number(), o.Kind(), o.JSONName(), c.Number(), c.Kind(), c.JSONName())
			}
		}
	}
}

// BenchmarkMeshConfigOlder measures asking for an older minor's
// descriptor once its set is loaded.
func BenchmarkMeshConfigOlder(b *testing.B) {
	MeshConfig("1.30")
	for b.Loop() {
		MeshConfig("1.30")
	}
}
