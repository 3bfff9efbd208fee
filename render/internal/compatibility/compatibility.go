// Package compatibility holds Istio's compatibility version profiles as
// data: what the charts' value compatibilityVersion sets so that a
// release behaves, where Istio changed a default, like an older one.
//
// The files under istio-<minor>/ are Istio's
// manifests/helm-profiles/compatibility-version-<version>.yaml, embedded
// as they are and never edited, for the compatibility versions meshrender
// allows with that Istio minor: the two minors before it (istio-1.30/
// from tag 1.30.3, istio-1.31/ from branch release-1.31 at the commit of
// the 1.31.0 release's charts; Istio itself has profiles back to 1.25).
// They are Copyright Istio Authors, under the Apache License 2.0 (LICENSE
// beside them). SOURCE in each directory names the commit and blob of
// each file, SHA256SUMS their checksums, which a test checks. The files
// are parsed at first use.
//
// # What a profile touches
//
// Every chart of 1.30 and 1.31 carries copies of these files and merges
// the one compatibilityVersion names over its defaults, under the user's
// values (templates/zzz_profile.yaml). A chart is changed only where it
// reads what the profile sets, and the profiles set two things:
//
//   - pilot.env (Profile.PilotEnv): istiod's environment. The
//     istio-discovery chart copies pilot.* to its top level
//     (templates/zzy_descope_legacy.yaml), so the variables join its env
//     value. They become env entries of istiod's container, with the
//     chart's other env values in the order of their names, after
//     CA_TRUSTED_NODE_ACCOUNTS; and they appear in the injector's values
//     (pilot.env in the values key of ConfigMap istio-sidecar-injector,
//     and in ConfigMap values). The injection templates read nothing of
//     pilot.env but ENABLE_CLUSTER_TRUST_BUNDLE_API, which no profile
//     sets, so injected pods do not change. The gateway charts read the
//     same single variable and ztunnel none: gateways, ztunnel and the
//     CRDs do not change.
//   - cni.ambient.reconcileIptablesOnStartup (only the 1.28 profile, as
//     Profile.CNIAmbientReconcileIptablesOnStartup): the istio-cni chart
//     writes it as AMBIENT_RECONCILE_POD_RULES_ON_STARTUP of ConfigMap
//     istio-cni-config, "false" instead of the default "true". istio-cni
//     reads it only in ambient mode. The istio-discovery chart's copy of
//     the file also puts it in the injector values (pilot.cni.ambient),
//     which no template reads.
//
// istioctl manifest generate with compatibilityVersion, over the charts
// of both releases, changes exactly these objects: istiod's Deployment,
// the injector's two ConfigMaps and, for 1.28 with istio-cni, its
// ConfigMap.
package compatibility

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

//go:embed istio-1.30 istio-1.31
var files embed.FS

// Profile is what one compatibility version sets.
type Profile struct {
	// PilotEnv is pilot.env: environment variables of istiod, by name,
	// each turning a default changed since the compatibility version back
	// to what it was. istiod may no longer read some of them: 1.31's
	// profile for 1.30 sets PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY, which
	// 1.31 removed.
	PilotEnv map[string]string
	// CNIAmbientReconcileIptablesOnStartup is
	// cni.ambient.reconcileIptablesOnStartup, nil where the profile does
	// not set it. It matters only for istio-cni in ambient mode, which
	// reads it as AMBIENT_RECONCILE_POD_RULES_ON_STARTUP of ConfigMap
	// istio-cni-config.
	CNIAmbientReconcileIptablesOnStartup *bool
}

// clone returns a copy that shares nothing with p.
func (p Profile) clone() Profile {
	out := Profile{PilotEnv: maps.Clone(p.PilotEnv)}
	if b := p.CNIAmbientReconcileIptablesOnStartup; b != nil {
		out.CNIAmbientReconcileIptablesOnStartup = new(*b)
	}
	return out
}

// profileFile is a profile file's schema: the fields the profiles set,
// and nothing else, so that a file that sets more fails to parse.
type profileFile struct {
	Pilot struct {
		Env map[string]string `json:"env"`
	} `json:"pilot"`
	CNI struct {
		Ambient struct {
			ReconcileIptablesOnStartup *bool `json:"reconcileIptablesOnStartup"`
		} `json:"ambient"`
	} `json:"cni"`
}

const (
	dirPrefix  = "istio-"
	filePrefix = "compatibility-version-"
	fileSuffix = ".yaml"
)

// profiles are the parsed files by Istio minor and compatibility
// version, read once.
var profiles = sync.OnceValue(func() map[string]map[string]Profile {
	p, err := load(files)
	if err != nil {
		// The files are embedded and the tests parse them.
		panic("compatibility: " + err.Error())
	}
	return p
})

// load parses every profile of fsys: istio-<minor>/compatibility-version-<version>.yaml.
func load(fsys fs.FS) (map[string]map[string]Profile, error) {
	out := map[string]map[string]Profile{}
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		minor, ok := strings.CutPrefix(d.Name(), dirPrefix)
		if !d.IsDir() || !ok {
			return nil, fmt.Errorf("%s: not a directory istio-<minor>", d.Name())
		}
		entries, err := fs.ReadDir(fsys, d.Name())
		if err != nil {
			return nil, err
		}
		out[minor] = map[string]Profile{}
		for _, e := range entries {
			version, ok := strings.CutPrefix(e.Name(), filePrefix)
			if !ok {
				continue // SOURCE, SHA256SUMS, LICENSE
			}
			version, ok = strings.CutSuffix(version, fileSuffix)
			if !ok {
				return nil, fmt.Errorf("%s/%s: not a .yaml file", d.Name(), e.Name())
			}
			raw, err := fs.ReadFile(fsys, path.Join(d.Name(), e.Name()))
			if err != nil {
				return nil, err
			}
			var f profileFile
			if err := yaml.UnmarshalStrict(raw, &f); err != nil {
				return nil, fmt.Errorf("%s/%s: %w", d.Name(), e.Name(), err)
			}
			out[minor][version] = Profile{PilotEnv: f.Pilot.Env, CNIAmbientReconcileIptablesOnStartup: f.CNI.Ambient.ReconcileIptablesOnStartup}
		}
	}
	return out, nil
}

// Supported returns the compatibility versions meshrender allows for an
// Istio minor such as "1.31", oldest first: the two minors before it,
// ["1.29", "1.30"] for 1.31. It returns nil for a minor it has no
// profiles for.
func Supported(minor string) []string {
	versions := slices.Collect(maps.Keys(profiles()[minor]))
	if versions == nil {
		return nil
	}
	slices.SortFunc(versions, compareMinors)
	return versions
}

// Settings returns what compatibility version version (such as "1.30")
// sets in Istio minor minor (such as "1.31"), and false if meshrender
// does not allow that version with that minor. The Profile is the
// caller's to change.
func Settings(minor, version string) (Profile, bool) {
	p, ok := profiles()[minor][version]
	if !ok {
		return Profile{}, false
	}
	return p.clone(), true
}

// compareMinors orders minors such as "1.9" and "1.30" by number.
func compareMinors(a, b string) int {
	return slices.Compare(numbers(a), numbers(b))
}

// numbers splits a minor into its numbers; what is not a number counts
// as -1.
func numbers(minor string) []int {
	var out []int
	for f := range strings.SplitSeq(minor, ".") {
		n, err := strconv.Atoi(f)
		if err != nil {
			n = -1
		}
		out = append(out, n)
	}
	return out
}
