// Command fakeenvoy stands in for the Envoy binary that pilot-agent
// starts, in the runtime tests. It records the command line and the
// bootstrap pilot-agent wrote, then does what Envoy does first: it asks
// the agent's xDS proxy (the bootstrap's xds-grpc pipe, which the agent
// forwards to istiod over mTLS with its workload certificate) for
// clusters, then for the endpoints of its EDS clusters and for
// listeners, then for the route configurations the
// listeners' HTTP connection managers name (RDS) and the Kubernetes
// credentials the TLS contexts of listeners and clusters name (SDS over
// ADS), as Envoy does to warm them; it acknowledges each response and
// records what it gets. It runs until it is told to stop.
//
// Everything goes into the directory named by FAKE_ENVOY_OUT: args.json,
// bootstrap.json, and clusters.json, endpoints.json, listeners.json,
// routes.json and secrets.json: each the last response's version, resource names and
// resources as Envoy's JSON, with the field names of Envoy's config
// dump (rewritten as responses come). A config of a type this build does
// not know, such as an Istio filter's, is written as its "@type" alone.
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
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	// The configs of the filters and transport sockets istiod sends, so
	// that they are written out in full.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
)

const (
	clusterType  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	endpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	listenerType = "type.googleapis.com/envoy.config.listener.v3.Listener"
	routeType    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	secretType   = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
)

// files are where the responses of each type are recorded.
var files = map[string]string{
	clusterType: "clusters.json", endpointType: "endpoints.json", listenerType: "listeners.json",
	routeType: "routes.json", secretType: "secrets.json",
}

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

// discover asks for clusters, then listeners, then the route
// configurations and credentials the listeners name, as Envoy does, and
// records every response.
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
	// subscribed are the resource names asked for of the types that are
	// not wildcards; an ACK repeats them, as a new request replaces them.
	subscribed := map[string][]string{}
	// secrets are the credentials the clusters and the listeners name.
	secrets := map[string][]string{}
	askedForListeners := false
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		if err := record(out, resp); err != nil {
			return err
		}
		ack := &discoveryv3.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce, ResourceNames: subscribed[resp.TypeUrl]}
		if err := stream.Send(ack); err != nil {
			return err
		}
		var next []*discoveryv3.DiscoveryRequest
		switch resp.TypeUrl {
		case clusterType:
			if !askedForListeners {
				askedForListeners = true
				next = append(next, &discoveryv3.DiscoveryRequest{TypeUrl: listenerType})
			}
			// Envoy asks for the credentials of clusters at once; here they
			// join those of the listeners, which come next.
			var eds []string
			eds, secrets[clusterType] = clusterReferences(resp)
			if len(eds) > 0 && !slices.Equal(eds, subscribed[endpointType]) {
				subscribed[endpointType] = eds
				next = append(next, &discoveryv3.DiscoveryRequest{TypeUrl: endpointType, ResourceNames: eds})
			}
		case listenerType:
			var routes []string
			routes, secrets[listenerType] = listenerReferences(resp)
			all := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(secrets[clusterType]), secrets[listenerType]...))))
			for typ, names := range map[string][]string{routeType: routes, secretType: all} {
				if len(names) > 0 && !slices.Equal(names, subscribed[typ]) {
					subscribed[typ] = names
					next = append(next, &discoveryv3.DiscoveryRequest{TypeUrl: typ, ResourceNames: names})
				}
			}
		}
		for _, req := range next {
			if err := stream.Send(req); err != nil {
				return err
			}
		}
	}
}

// listenerReferences returns the route configurations the listeners'
// HTTP connection managers take from RDS and the credentials their TLS
// contexts take from SDS over ADS, sorted.
func listenerReferences(resp *discoveryv3.DiscoveryResponse) (routes, secrets []string) {
	for _, r := range resp.Resources {
		l := &listenerv3.Listener{}
		if proto.Unmarshal(r.Value, l) != nil {
			continue
		}
		for _, fc := range append(slices.Clone(l.FilterChains), l.DefaultFilterChain) {
			if fc == nil {
				continue
			}
			for _, f := range fc.Filters {
				hcm := &hcmv3.HttpConnectionManager{}
				if f.GetTypedConfig().UnmarshalTo(hcm) == nil && hcm.GetRds() != nil {
					routes = append(routes, hcm.GetRds().RouteConfigName)
				}
			}
			tls := &tlsv3.DownstreamTlsContext{}
			if fc.GetTransportSocket().GetTypedConfig().UnmarshalTo(tls) != nil {
				continue
			}
			secrets = append(secrets, adsSecrets(tls.GetCommonTlsContext())...)
		}
	}
	slices.Sort(routes)
	slices.Sort(secrets)
	return slices.Compact(routes), slices.Compact(secrets)
}

// clusterReferences returns the endpoints the EDS clusters take from EDS
// over ADS, and the credentials the clusters' upstream TLS contexts take
// from SDS over ADS, such as a client certificate an egress gateway
// originates TLS with, each sorted.
func clusterReferences(resp *discoveryv3.DiscoveryResponse) (eds, secrets []string) {
	for _, r := range resp.Resources {
		c := &clusterv3.Cluster{}
		if proto.Unmarshal(r.Value, c) != nil {
			continue
		}
		if c.GetType() == clusterv3.Cluster_EDS {
			name := c.GetEdsClusterConfig().GetServiceName()
			if name == "" {
				name = c.Name
			}
			eds = append(eds, name)
		}
		sockets := []*corev3.TransportSocket{c.TransportSocket}
		for _, m := range c.TransportSocketMatches {
			sockets = append(sockets, m.TransportSocket)
		}
		for _, ts := range sockets {
			tls := &tlsv3.UpstreamTlsContext{}
			if ts.GetTypedConfig().UnmarshalTo(tls) == nil {
				secrets = append(secrets, adsSecrets(tls.GetCommonTlsContext())...)
			}
		}
	}
	slices.Sort(eds)
	slices.Sort(secrets)
	return slices.Compact(eds), slices.Compact(secrets)
}

// adsSecrets are the secrets a TLS context takes from SDS over ADS:
// Kubernetes credentials, which istiod serves itself, where the workload
// certificate comes from the agent's own SDS.
func adsSecrets(ctx *tlsv3.CommonTlsContext) []string {
	sds := slices.Clone(ctx.GetTlsCertificateSdsSecretConfigs())
	sds = append(sds, ctx.GetValidationContextSdsSecretConfig(), ctx.GetCombinedValidationContext().GetValidationContextSdsSecretConfig())
	var names []string
	for _, s := range sds {
		if s.GetSdsConfig().GetAds() != nil {
			names = append(names, s.Name)
		}
	}
	return names
}

// record writes a response's version, resource names and resources to
// the file of its type.
func record(out string, resp *discoveryv3.DiscoveryResponse) error {
	file, ok := files[resp.TypeUrl]
	if !ok {
		return nil
	}
	var names []string
	var configs []json.RawMessage
	for _, r := range resp.Resources {
		var m interface {
			proto.Message
			GetName() string
		}
		switch resp.TypeUrl {
		case clusterType:
			m = &clusterv3.Cluster{}
		case endpointType:
			m = namedLoadAssignment{&endpointv3.ClusterLoadAssignment{}}
		case listenerType:
			m = &listenerv3.Listener{}
		case routeType:
			m = &routev3.RouteConfiguration{}
		case secretType:
			m = &tlsv3.Secret{}
		}
		if err := proto.Unmarshal(r.Value, m); err != nil {
			return fmt.Errorf("a %s: %w", resp.TypeUrl, err)
		}
		names = append(names, m.GetName())
		data, err := protojson.MarshalOptions{Resolver: knownTypes{}, UseProtoNames: true}.Marshal(m)
		if err != nil {
			return fmt.Errorf("a %s as JSON: %w", resp.TypeUrl, err)
		}
		configs = append(configs, data)
	}
	slices.Sort(names)
	return writeJSON(filepath.Join(out, file), map[string]any{"version": resp.VersionInfo, "resources": names, "configs": configs})
}

// namedLoadAssignment names a ClusterLoadAssignment by its cluster, as
// Envoy's config dump does.
type namedLoadAssignment struct {
	*endpointv3.ClusterLoadAssignment
}

func (n namedLoadAssignment) GetName() string { return n.GetClusterName() }

// knownTypes resolves the types linked into this program and takes any
// other message in an Any as an empty one, so that JSON names its type
// alone.
type knownTypes struct{}

func (knownTypes) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	return protoregistry.GlobalTypes.FindMessageByName(name)
}

func (knownTypes) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	t, err := protoregistry.GlobalTypes.FindMessageByURL(url)
	if errors.Is(err, protoregistry.NotFound) {
		return (&emptypb.Empty{}).ProtoReflect().Type(), nil
	}
	return t, err
}

func (knownTypes) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

func (knownTypes) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
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
