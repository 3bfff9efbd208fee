// Command fakeenvoy stands in for the Envoy binary that pilot-agent
// starts, in the runtime tests. It records the command line and the
// bootstrap pilot-agent wrote, then does what Envoy does first: it asks
// the agent's xDS proxy (the bootstrap's xds-grpc pipe, which the agent
// forwards to istiod over mTLS with its workload certificate) for
// clusters and then listeners, acknowledging each response, and records
// what it gets. It runs until it is told to stop.
//
// Everything goes into the directory named by FAKE_ENVOY_OUT: args.json,
// bootstrap.json, clusters.json and listeners.json (each response's
// version and resource names, rewritten as responses come).
//
// It speaks only the xDS v3 protocol, which every Istio minor's agent
// proxies unchanged, so one build stands in for Envoy under the agents of
// every minor; it has a module of its own, tied to none of them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

const (
	clusterType  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	listenerType = "type.googleapis.com/envoy.config.listener.v3.Listener"
)

func main() {
	out := os.Getenv("FAKE_ENVOY_OUT")
	if out == "" {
		log.Fatal("fakeenvoy: FAKE_ENVOY_OUT names no directory")
	}
	if err := run(out); err != nil {
		log.Fatalf("fakeenvoy: %v", err)
	}
}

func run(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "args.json"), os.Args[1:]); err != nil {
		return err
	}
	config := ""
	for i, a := range os.Args {
		if a == "-c" && i+1 < len(os.Args) {
			config = os.Args[i+1]
		}
	}
	raw, err := os.ReadFile(config)
	if err != nil {
		return fmt.Errorf("reading the bootstrap (-c): %w", err)
	}
	if err := os.WriteFile(filepath.Join(out, "bootstrap.json"), raw, 0o644); err != nil {
		return err
	}
	node, pipe, err := readBootstrap(raw)
	if err != nil {
		return err
	}
	log.Printf("fakeenvoy: node %s, xDS through %s", node.Id, pipe)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	for ctx.Err() == nil {
		// The agent opens its pipe once it has a certificate; until then,
		// and when a stream breaks, Envoy retries, and so do we.
		if err := discover(ctx, pipe, node, out); err != nil && ctx.Err() == nil {
			log.Printf("fakeenvoy: xDS: %v; retrying", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	return nil
}

// readBootstrap returns the node and the xds-grpc cluster's pipe.
func readBootstrap(raw []byte) (*corev3.Node, string, error) {
	var bs struct {
		Node            json.RawMessage `json:"node"`
		StaticResources struct {
			Clusters []struct {
				Name           string `json:"name"`
				LoadAssignment struct {
					Endpoints []struct {
						LbEndpoints []struct {
							Endpoint struct {
								Address struct {
									Pipe struct {
										Path string `json:"path"`
									} `json:"pipe"`
								} `json:"address"`
							} `json:"endpoint"`
						} `json:"lb_endpoints"`
					} `json:"endpoints"`
				} `json:"load_assignment"`
			} `json:"clusters"`
		} `json:"static_resources"`
	}
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, "", fmt.Errorf("the bootstrap is not JSON: %w", err)
	}
	node := &corev3.Node{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(bs.Node, node); err != nil {
		return nil, "", fmt.Errorf("the bootstrap's node: %w", err)
	}
	for _, c := range bs.StaticResources.Clusters {
		if c.Name == "xds-grpc" && len(c.LoadAssignment.Endpoints) > 0 && len(c.LoadAssignment.Endpoints[0].LbEndpoints) > 0 {
			return node, c.LoadAssignment.Endpoints[0].LbEndpoints[0].Endpoint.Address.Pipe.Path, nil
		}
	}
	return nil, "", errors.New("the bootstrap has no xds-grpc cluster with a pipe")
}

// discover asks for clusters, then listeners, as Envoy does, and records
// every response.
func discover(ctx context.Context, pipe string, node *corev3.Node, out string) error {
	conn, err := grpc.NewClient("unix:"+pipe, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: clusterType}); err != nil {
		return err
	}
	askedForListeners := false
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		names, file := resourceNames(resp)
		if file != "" {
			if err := writeJSON(filepath.Join(out, file), map[string]any{"version": resp.VersionInfo, "resources": names}); err != nil {
				return err
			}
		}
		ack := &discoveryv3.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}
		if err := stream.Send(ack); err != nil {
			return err
		}
		if resp.TypeUrl == clusterType && !askedForListeners {
			askedForListeners = true
			if err := stream.Send(&discoveryv3.DiscoveryRequest{TypeUrl: listenerType}); err != nil {
				return err
			}
		}
	}
}

// resourceNames names the resources of a response and the file they go to.
func resourceNames(resp *discoveryv3.DiscoveryResponse) ([]string, string) {
	var names []string
	var file string
	for _, r := range resp.Resources {
		switch resp.TypeUrl {
		case clusterType:
			file = "clusters.json"
			c := &clusterv3.Cluster{}
			if proto.Unmarshal(r.Value, c) == nil {
				names = append(names, c.Name)
			}
		case listenerType:
			file = "listeners.json"
			l := &listenerv3.Listener{}
			if proto.Unmarshal(r.Value, l) == nil {
				names = append(names, l.Name)
			}
		}
	}
	slices.Sort(names)
	return names, file
}

// writeJSON replaces path with v as JSON, in one rename, so a reader never
// sees half a file.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
