// Command upstreamfacts prints, as JSON, the facts of an istioctl
// manifest that golden's TestReferenceMatchesUpstream and
// TestAmbientMatchesUpstream compare meshrender's profiles with (package
// upstreamfacts says which):
//
//	go run ./golden/internal/upstreamfacts/cmd/upstreamfacts \
//		-in manifest-reference.yaml -revision 1-30-3 \
//		-source "istioctl 1.30.3 manifest generate of ..." \
//		> golden/testdata/upstream-reference-1.30.3.json
//
//	go run ./golden/internal/upstreamfacts/cmd/upstreamfacts \
//		-in manifest-ambient.yaml -profile ambient \
//		-source "istioctl 1.30.3 manifest generate of ..." \
//		> golden/testdata/upstream-ambient-1.30.3.json
//
// -profile is reference unless given; -revision is empty for a control
// plane without a revision, as istioctl's ambient profile renders it.
// The output depends on the manifest and the flags only.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/meshrender/meshrender/golden/internal/upstreamfacts"
)

func main() {
	in := flag.String("in", "", "the istioctl manifest to read")
	source := flag.String("source", "", "what the manifest is: which istioctl and which input")
	profile := flag.String("profile", string(upstreamfacts.ProfileReference), fmt.Sprintf("the install the manifest is of, one of %q", upstreamfacts.Profiles))
	revision := flag.String("revision", "", "the control plane's revision, as in istiod-<revision>; empty for istiod")
	flag.Parse()
	if err := run(*in, upstreamfacts.Profile(*profile), *source, *revision); err != nil {
		fmt.Fprintln(os.Stderr, "upstreamfacts:", err)
		os.Exit(1)
	}
}

func run(in string, profile upstreamfacts.Profile, source, revision string) error {
	if in == "" || source == "" {
		return fmt.Errorf("-in and -source are required")
	}
	manifest, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	f, err := upstreamfacts.Extract(manifest, profile, source, revision)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	out, err := f.Encode()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
