// Command generate writes Istio's CRDs from the istio.io/api module that
// go.mod pins into ../istio, one file per CRD. Run it with go generate.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshrender/meshrender/render/internal/crds/upstream"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run() error {
	src, err := upstream.Read()
	if err != nil {
		return err
	}
	docs, err := upstream.Transform(src, upstream.Labels())
	if err != nil {
		return err
	}
	dir := "istio"
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range upstream.Names(docs) {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), docs[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

