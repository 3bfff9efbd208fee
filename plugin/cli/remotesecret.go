package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshrender/meshrender/plugin/remotesecret"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
	"github.com/meshrender/meshrender/render/yamlenc"
)

func newRemoteSecretCommand() *cobra.Command {
	var kubeconfig, kubeContext, cluster, namespace, server string
	cmd := &cobra.Command{
		Use:   "remote-secret",
		Short: "Print the Secret through which other clusters' istiods read a cluster",
		Long: `remote-secret reads the token of the reader ServiceAccount from the cluster
the kubeconfig reaches (the Secret istio-reader-service-account-token, which
meshrender renders with spec.multiCluster.readerToken and the cluster fills
in) and prints the remote secret for it: a Secret labelled istio/multiCluster
whose data key is the cluster's name and whose value is a kubeconfig with that
token. Apply it in istiod's namespace of every other cluster that reads this
one, or put it into the secret store the fleet's ExternalSecrets read (key
istio-remote-secret-<cluster>, property <cluster>).

To rotate: delete the token Secret in the read cluster (its token stops
working at once), let the GitOps tool create it again, and print and apply
the remote secret anew.`,
		Example: `  meshrender remote-secret --kubeconfig eu2.kubeconfig --cluster eu2 | kubectl --context eu1 apply -f -
  meshrender remote-secret --kubeconfig eu2.kubeconfig --cluster eu2 --server https://eu2.example.com:6443`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster == "" {
				return usagef("--cluster is required: the read cluster's name in the mesh")
			}
			rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
			if kubeconfig == "" {
				rules = clientcmd.NewDefaultClientConfigLoadingRules()
			}
			config, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
			if err != nil {
				return fmt.Errorf("reading the kubeconfig: %w", err)
			}
			secret, err := remotesecret.Make(context.Background(), config, remotesecret.Options{Cluster: cluster, Namespace: namespace, Server: server})
			if err != nil {
				return err
			}
			j, err := json.Marshal(secret)
			if err != nil {
				return err
			}
			out, err := yamlenc.FromJSON(nil, j)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the read cluster (default: KUBECONFIG or ~/.kube/config)")
	f.StringVar(&kubeContext, "context", "", "the kubeconfig's context to use (default: its current one)")
	f.StringVar(&cluster, "cluster", "", "the read cluster's name in the mesh (spec.multiCluster.clusterName, a Fleet's cluster name)")
	f.StringVar(&namespace, "namespace", v1alpha1.DefaultIstiodNamespace, "istiod's namespace")
	f.StringVar(&server, "server", "", "the URL other clusters reach the read cluster's API server at (default: the kubeconfig's)")
	return cmd
}
