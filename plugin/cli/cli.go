// Package cli is the meshrender command line: render, diff, fn,
// profiles, images, schema, gitops, remote-secret and version, in the
// style of kubectl and kustomize.
package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/spf13/cobra"

	"github.com/meshrender/meshrender/plugin/fn"
	"github.com/meshrender/meshrender/plugin/tree"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitInvalid = 1 // the config is invalid or rendering failed
	ExitUsage   = 2 // the command line is wrong
)

// Exit codes of meshrender diff, which follows diff(1): 0 when the inputs
// are the same (ExitOK), else ExitDiffer, or ExitTrouble when they could
// not be compared.
const (
	ExitDiffer  = 1 // the inputs differ
	ExitTrouble = 2 // an input could not be read, decoded or rendered
)

// exitError ends a command with an exit code of its own. Its message, if
// any, goes to stderr as it is.
type exitError struct {
	code int
	err  error // nil for an exit without a message
}

// Error returns the underlying message.
func (e exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// usageError marks errors in how the command was called.
type usageError struct{ err error }

// Error returns the underlying message.
func (e usageError) Error() string { return e.err.Error() }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// Main runs the command line with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return exitCode(dispatch(args, stdin, stdout, stderr), stderr)
}

// dispatch runs the KRM function or a command.
func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 && stdinIsPiped(stdin) {
		// kustomize and kpt run exec functions without arguments. With
		// nothing but white space on stdin this is not such a run: show
		// the help. Only the leading white space is held here; the
		// function reads the rest itself, within its own bound.
		in := bufio.NewReader(io.LimitReader(stdin, fn.MaxInputBytes+1))
		var lead []byte
		for {
			b, err := in.ReadByte()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("meshrender: reading stdin: %w", err)
			}
			lead = append(lead, b)
			if !isSpace(b) {
				// The function answers anything, too much included, with
				// a ResourceList.
				return runFunction(io.MultiReader(bytes.NewReader(lead), in), stdout)
			}
		}
		args = []string{"--help"}
	}
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	return root.Execute()
}

// isSpace reports the white space YAML allows around a document.
func isSpace(b byte) bool { return strings.IndexByte(" \t\n\r\v\f", b) >= 0 }

// exitCode reports err on stderr and returns the exit code for it.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "%s\n", strings.TrimRight(ee.err.Error(), "\n"))
		}
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "meshrender: %v\nRun 'meshrender --help' for usage.\n", err)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "%s\n", strings.TrimRight(err.Error(), "\n"))
	return ExitInvalid
}

// isCobraUsage recognises cobra's own errors for unknown commands and
// flags, which it returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "meshrender",
		Short: "Render a complete Istio installation from one typed Mesh config",
		Long: `meshrender renders a complete, production-grade Istio ` + v1alpha1.IstioVersion + ` installation
(CRDs, istiod, ingress gateways, policies) from one Mesh config. The output is
plain Kubernetes YAML, identical for identical input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newRenderCommand(),
		newDiffCommand(),
		newFnCommand(),
		newImagesCommand(),
		newGitOpsCommand(),
		newSchemaCommand(),
		newRemoteSecretCommand(),
		newProfilesCommand(),
		newVersionCommand(),
	)
	return root
}

// renderingMemoryLimit caps the heap of a rendering command. A render is
// short and its input is one small config, so collecting garbage below
// the limit only costs time; the largest meshes stay well under it.
const renderingMemoryLimit = 192 << 20

// tuneGCForRendering turns collection off below renderingMemoryLimit,
// unless the user set GOGC or GOMEMLIMIT; with Go's defaults
// BenchmarkProcess100Gateways is 35% slower. The KRM function does not
// call it: its input, a ResourceList, has no such bound.
func tuneGCForRendering() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(renderingMemoryLimit)
	}
}

// readMesh reads and decodes the Mesh named by path ("-" for stdin, ""
// for the default mesh).
func readMesh(cmd *cobra.Command, path string) (v1alpha1.Mesh, string, error) {
	m, _, name, err := readConfig(cmd, path)
	if err == nil && m == nil {
		err = fmt.Errorf("is a %s; this command takes a %s", v1alpha1.FleetKind, v1alpha1.Kind)
	}
	if m == nil {
		return v1alpha1.Mesh{}, name, err
	}
	return *m, name, err
}

// readConfig reads and decodes the Mesh or the Fleet named by path ("-"
// for stdin, "" for the default mesh); one of the two is not nil unless
// it fails.
func readConfig(cmd *cobra.Command, path string) (*v1alpha1.Mesh, *v1alpha1.Fleet, string, error) {
	if path == "" {
		return &v1alpha1.Mesh{}, nil, "", nil
	}
	data, name, err := readInput(cmd, path)
	if err != nil {
		return nil, nil, name, err
	}
	if v1alpha1.KindOf(data) == v1alpha1.FleetKind {
		f, err := v1alpha1.DecodeFleet(data)
		return nil, &f, name, err
	}
	m, err := v1alpha1.Decode(data)
	return &m, nil, name, err
}

// inputs are what the commands render: a Mesh or a Fleet, and the
// Applications rendered with it.
type inputs struct {
	// mesh is nil when fleet is not.
	mesh  *v1alpha1.Mesh
	fleet *v1alpha1.Fleet
	// name is the file a problem of the mesh or fleet is reported by.
	name string
	apps []v1alpha1.Application
}

// clusterMesh is the Mesh to render: the input's, or the named cluster's
// of its fleet. A fleet needs a cluster, and a Mesh none.
func (in inputs) clusterMesh(cluster string) (v1alpha1.Mesh, error) {
	switch {
	case in.fleet == nil && cluster != "":
		return v1alpha1.Mesh{}, usagef("--cluster picks a cluster of a Fleet, and %s is a Mesh", describeName(in.name))
	case in.fleet == nil:
		return *in.mesh, nil
	case cluster == "":
		var names []string
		for _, c := range in.fleet.Spec.Clusters {
			names = append(names, c.Name)
		}
		return v1alpha1.Mesh{}, usagef("%s is a Fleet: say which cluster to render with --cluster, one of %q", describeName(in.name), names)
	}
	m, err := in.fleet.Mesh(cluster)
	if err != nil {
		return v1alpha1.Mesh{}, describeError(in.name, err)
	}
	return m, nil
}

// describeName names an input file in messages.
func describeName(name string) string {
	if name == "" {
		return "the input"
	}
	return name
}

// readInputs reads the Mesh or Fleet, the first of files, and the
// Applications of the rest, each a file or a folder of *.yaml, *.yml
// and *.json files read in name order. On failure, in.name is the file
// that failed.
func readInputs(cmd *cobra.Command, files []string) (in inputs, err error) {
	var config string
	if len(files) > 0 {
		config = files[0]
	}
	if in.mesh, in.fleet, in.name, err = readConfig(cmd, config); err != nil || len(files) < 2 {
		return in, err
	}
	for _, path := range files[1:] {
		paths := []string{path}
		if info, err := os.Stat(path); err == nil && info.IsDir() {
			if paths, err = applicationFiles(path); err != nil {
				in.name = path
				return in, err
			}
		}
		for _, p := range paths {
			data, name, err := readInput(cmd, p)
			if err == nil {
				var more []v1alpha1.Application
				more, err = v1alpha1.DecodeApplications(data)
				in.apps = append(in.apps, more...)
			}
			if err != nil {
				in.name = name
				return in, err
			}
		}
	}
	return in, nil
}

// applicationFiles are the YAML and JSON files of a folder, in name
// order; folders inside it are not read.
func applicationFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
			if e.Type().IsRegular() {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	return out, nil
}

// readInput reads the file named by path ("-" for stdin) within the size
// limit of a mesh config, and returns it with the name to report it by.
func readInput(cmd *cobra.Command, path string) ([]byte, string, error) {
	name := path
	in := cmd.InOrStdin()
	if path == "-" {
		name = "<stdin>"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, name, err
		}
		defer f.Close()
		in = f
	}
	data, err := readAtMost(in, v1alpha1.MaxConfigBytes)
	return data, name, err
}

// readAtMost reads all of r, or fails as soon as it holds more than limit
// bytes, so an endless input (render -f /dev/zero) costs nothing.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the input is larger than %d MiB, the most meshrender reads", limit>>20)
	}
	return data, nil
}

// describeError prefixes every line of a config error with the file it
// came from, the way compilers do, so editors can jump to it.
func describeError(file string, err error) error {
	if file == "" {
		file = "mesh"
	}
	var ve *v1alpha1.ValidationError
	if errors.As(err, &ve) {
		lines := make([]string, len(ve.Errors))
		for i, fe := range ve.Errors {
			lines[i] = file + ": " + fe.Error()
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	return fmt.Errorf("%s: %w", file, err)
}

// warnLeftovers reports a write that succeeded but left something beside
// the tree (a person's file it would not remove) as a warning: the tree
// itself is complete.
func warnLeftovers(cmd *cobra.Command, err error) error {
	var left *tree.LeftoverError
	if errors.As(err, &left) {
		fmt.Fprintf(cmd.ErrOrStderr(), "meshrender: warning: %v\n", left)
		return nil
	}
	return err
}
