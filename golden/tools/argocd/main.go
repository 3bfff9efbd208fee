// Command argocd runs the parts of Argo CD the end-to-end tests need, the
// application-controller and the repo-server of the release go.mod pins,
// and a Redis for them to share, as one binary: linking Argo CD once
// costs a fraction of linking each component, and the CLI, API server,
// Dex and the other components the tests do not run are left out. The
// first argument names the component, as Argo CD's own multi-call binary
// takes it from its name:
//
//	argocd application-controller [flags]
//	argocd repo-server [flags]
//	argocd redis ADDRESS
//
// The Redis is miniredis, the in-process Redis Argo CD's own tests use;
// it serves until the process is stopped.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alicebob/miniredis/v2"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/util/log"
)

func init() {
	// As Argo CD's own main: klog logs at the configured level and format.
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: argocd application-controller|repo-server|redis ...")
		os.Exit(2)
	}
	// Argo CD's own main turns gRPC's SRV lookups off (util/grpc's
	// DisableSRVLookups); only the grpclb balancer turns them on, and
	// the components here do not link it, so they are off already (and
	// DisableSRVLookups would panic).
	var command *cobra.Command
	switch os.Args[1] {
	case "application-controller":
		command = appcontroller.NewCommand()
	case "repo-server":
		command = reposerver.NewCommand()
	case "redis":
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, "usage: argocd redis ADDRESS")
			os.Exit(2)
		}
		os.Exit(serveRedis(os.Args[2]))
	default:
		fmt.Fprintf(os.Stderr, "argocd: unknown component %q\n", os.Args[1])
		os.Exit(2)
	}
	command.SetArgs(os.Args[2:])
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}

// serveRedis serves miniredis on addr until SIGTERM or SIGINT.
func serveRedis(addr string) int {
	srv := miniredis.NewMiniRedis()
	if err := srv.StartAddr(addr); err != nil {
		fmt.Fprintln(os.Stderr, "argocd redis:", err)
		return 1
	}
	fmt.Println("redis serving on", srv.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	srv.Close()
	return 0
}
