// Command upstreamfacts prints, as JSON, the facts of an istioctl
// manifest that golden's TestReferenceMatchesUpstream compares the
// reference profile with (package upstreamfacts says which):
//
//	go run ./golden/internal/upstreamfacts/cmd/upstreamfacts \
//		-in manifest-reference.yaml -revision 1-30-3 \
//		-source "istioctl 1.30.3 manifest generate of ..." \
//		> golden/testdata/upstream-reference-1.30.3.json
//
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
	revision := flag.String("revision", "", "the control plane's revision, as in istiod-<revision>")
	flag.Parse()
	if err := run(*in, *source, *revision); err != nil {
		fmt.Fprintln(os.Stderr, "upstreamfacts:", err)
		os.Exit(1)
	}
}

func run(in, source, revision string) error {
	if in == "" || source == "" || revision == "" {
		return fmt.Errorf("-in, -source and -revision are required")
	}
	manifest, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	f, err := upstreamfacts.Extract(manifest, source, revision)
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
