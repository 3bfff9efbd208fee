package compatibility

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/meshrender/meshrender/internal/copied"
)

// source is where one minor's files come from.
type source struct {
	// ref and commit are where in github.com/istio/istio.
	ref, commit string
	// sums are the SHA-256 of Istio's files in istio-<minor>/. A changed
	// file fails TestEmbeddedFiles.
	sums map[string]string
	// blobs are the git blobs of the profiles, which SOURCE names.
	blobs map[string]string
}

const license = "9fa6e54dafda853bb3cdc01486b677a55102f0d488282a85ba6e426d9125f8c5"

var sources = map[string]source{
	"1.30": {
		ref: "1.30.3", commit: "56df41f63e513f834c9a3af33d8aed82d1d961f2",
		sums: map[string]string{
			"LICENSE":                         license,
			"compatibility-version-1.28.yaml": "edb23c3f40fb005ae1aac1767553e7fcead0107f5d48fac4ad139d3e11a34014",
			"compatibility-version-1.29.yaml": "2257f73c0ab2c0fcedabe11ba2eed17e951f4c0bc2b5d3ac0bc477fb7be6dd79",
		},
		blobs: map[string]string{
			"compatibility-version-1.28.yaml": "e5f9d0212e445fb1ef835e721e17eefbe5de9243",
			"compatibility-version-1.29.yaml": "414505732402ce678c25cb6edf4bf0e3568c1c2f",
		},
	},
	"1.31": {
		ref: "release-1.31", commit: "a8d7012191ebf42bacd48fa72b32a05828e4c564",
		sums: map[string]string{
			"LICENSE":                         license,
			"compatibility-version-1.29.yaml": "7678a80a239368430faaa6b03027ff114c178adaefec50f2ee22b777a3537707",
			"compatibility-version-1.30.yaml": "a33fe482b2042ed4611a986210a87de7e95d271640bb1eeafc67991fa1f2fbc5",
		},
		blobs: map[string]string{
			"compatibility-version-1.29.yaml": "8a29bf8c4270a4f5dcd1bbde05b39ed042be47ab",
			"compatibility-version-1.30.yaml": "d7fca924993c9e4d1b68ba0c3ff73243c2a11b3d",
		},
	},
}

// meshrenderFiles describe the others; they are not Istio's.
func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(files, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEmbeddedFiles(t *testing.T) {
	dirs, err := fs.ReadDir(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	var minors []string
	for _, d := range dirs {
		minors = append(minors, strings.TrimPrefix(d.Name(), dirPrefix))
	}
	if want := slices.Sorted(maps.Keys(sources)); !slices.Equal(minors, want) {
		t.Errorf("embedded minors %q, the test knows %q", minors, want)
	}
	for minor, src := range sources {
		copied.Check(t, files, dirPrefix+minor, src.sums)
	}
}

func TestSourceNamesEveryFile(t *testing.T) {
	for minor, src := range sources {
		text := read(t, dirPrefix+minor+"/SOURCE")
		for _, want := range []string{"github.com/istio/istio", src.ref, src.commit, "Apache License 2.0"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: SOURCE does not mention %q", minor, want)
			}
		}
		for name, blob := range src.blobs {
			if !strings.Contains(text, name+"  "+blob+"  manifests/helm-profiles/"+name) {
				t.Errorf("%s: SOURCE does not give the blob and path of %s", minor, name)
			}
		}
	}
}

// TestSupported: each minor allows the profiles of the two minors
// before it, and only those.
func TestSupported(t *testing.T) {
	for minor, want := range map[string][]string{
		"1.30": {"1.28", "1.29"},
		"1.31": {"1.29", "1.30"},
		"1.29": nil,
		"1.32": nil,
		"":     nil,
	} {
		if got := Supported(minor); !slices.Equal(got, want) {
			t.Errorf("Supported(%q) = %q, want %q", minor, got, want)
		}
	}
	for minor := range profiles() {
		n := numbers(minor)
		var want []string
		for back := 2; back >= 1; back-- {
			want = append(want, fmt.Sprintf("%d.%d", n[0], n[1]-back))
		}
		if got := Supported(minor); !slices.Equal(got, want) {
			t.Errorf("Supported(%q) = %q, want the two minors before it, %q", minor, got, want)
		}
	}
}

// TestSettings requires each profile's settings, as the files have them.
func TestSettings(t *testing.T) {
	off := false
	for _, c := range []struct {
		minor, version string
		want           Profile
	}{
		{"1.30", "1.28", Profile{
			PilotEnv: map[string]string{
				"DISABLE_TRACK_REMAINING_CB_METRICS":        "false",
				"PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE": "false",
			},
			CNIAmbientReconcileIptablesOnStartup: &off,
		}},
		{"1.30", "1.29", Profile{PilotEnv: map[string]string{
			"PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE": "false",
		}}},
		{"1.31", "1.29", Profile{PilotEnv: map[string]string{
			"PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE": "false",
			"PILOT_ENABLE_STRICT_GATEWAY_MERGING":       "false",
			"PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS":       "false",
		}}},
		// A 1.31 istiod with compatibility version 1.30 gets exactly
		// this env.
		{"1.31", "1.30", Profile{PilotEnv: map[string]string{
			"PILOT_ENABLE_STRICT_GATEWAY_MERGING":   "false",
			"PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY": "false",
			"PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS":   "false",
		}}},
	} {
		got, ok := Settings(c.minor, c.version)
		if !ok {
			t.Errorf("Settings(%s, %s): not allowed", c.minor, c.version)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("Settings(%s, %s) (-want +got):\n%s", c.minor, c.version, diff)
		}
	}
	for _, c := range [][2]string{{"1.30", "1.30"}, {"1.30", "1.27"}, {"1.31", "1.28"}, {"1.31", "1.31"}, {"1.32", "1.31"}, {"1.31", ""}} {
		if p, ok := Settings(c[0], c[1]); ok {
			t.Errorf("Settings(%s, %s) = %v, true; want not allowed", c[0], c[1], p)
		}
	}
}

// TestSettingsIsACopy: changing what Settings returns changes nothing
// for the next caller.
func TestSettingsIsACopy(t *testing.T) {
	p, _ := Settings("1.30", "1.28")
	p.PilotEnv["PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE"] = "true"
	p.PilotEnv["EXTRA"] = "x"
	*p.CNIAmbientReconcileIptablesOnStartup = true
	q, _ := Settings("1.30", "1.28")
	if q.PilotEnv["PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE"] != "false" || len(q.PilotEnv) != 2 || *q.CNIAmbientReconcileIptablesOnStartup {
		t.Errorf("the profile changed: %v, %v", q.PilotEnv, *q.CNIAmbientReconcileIptablesOnStartup)
	}
	s := Supported("1.31")
	s[0] = "x"
	if Supported("1.31")[0] != "1.29" {
		t.Error("Supported shares its result")
	}
}

// TestLoadRejects: a profile that sets what the schema does not know
// fails to load instead of being half read.
func TestLoadRejects(t *testing.T) {
	for name, body := range map[string]string{
		"unknown field":   "pilot:\n  env:\n    A: \"false\"\ngateways:\n  x: 1\n",
		"unknown cni key": "cni:\n  ambient:\n    enabled: true\n",
	} {
		fsys := fstest.MapFS{"istio-1.31/compatibility-version-1.30.yaml": {Data: []byte(body)}}
		if _, err := load(fsys); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	fsys := fstest.MapFS{"istio-1.31/compatibility-version-1.30.yaml": {Data: []byte("pilot:\n  env:\n    A: \"false\"\n")}}
	got, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]map[string]Profile{"1.31": {"1.30": {PilotEnv: map[string]string{"A": "false"}}}}, got); diff != "" {
		t.Errorf("load (-want +got):\n%s", diff)
	}
}

func TestCompareMinors(t *testing.T) {
	in := []string{"1.30", "1.9", "1.10", "2.0", "1.29"}
	slices.SortFunc(in, compareMinors)
	if want := []string{"1.9", "1.10", "1.29", "1.30", "2.0"}; !slices.Equal(in, want) {
		t.Errorf("sorted %q, want %q", in, want)
	}
}
