// Command fakeztunnel stands in for ztunnel, the ambient data plane's
// node proxy, in the runtime tests. ztunnel is a Rust program the Go
// module proxy cannot build; this is the least of it that speaks its
// protocols to the real istiod, as ztunnel does:
//
//   - xDS: a DeltaAggregatedResources stream to XDS_ADDRESS over TLS,
//     trusting the mesh's root (./var/run/secrets/istio/root-cert.pem)
//     and verifying istiod's certificate for the address's host name,
//     with the gRPC metadata "authorization: Bearer <token>" (the
//     projected istio-ca token, ./var/run/secrets/tokens/istio-token) and
//     "clusterid" (ISTIO_META_CLUSTER_ID or CLUSTER_ID); the node is ztunnel's:
//     ztunnel~<INSTANCE_IP>~<POD_NAME>.<POD_NAMESPACE>~<POD_NAMESPACE>.svc.cluster.local,
//     metadata NAME, NAMESPACE, INSTANCE_IPS, NODE_NAME and every
//     ISTIO_META_* variable without its prefix (ztunnel's image sets
//     ISTIO_META_ISTIO_VERSION). It subscribes to every
//     istio.workload.Address and istio.security.Authorization (wildcard,
//     ztunnel's default), acknowledges each response and keeps the names
//     of the resources it has. A broken stream is reopened, as ztunnel
//     does.
//   - The CA: istio.v1.auth.IstioCertificateService/CreateCertificate to
//     CA_ADDRESS, the same way, with a CSR for the identity and, as
//     ztunnel asks for the pods of its node, the request metadata
//     ImpersonatedIdentity naming it.
//
// What to wait for comes from flags: -want-address and
// -want-authorization name resources that must arrive; -certificate
// names an identity whose certificate is asked for, again, until one
// comes; -certificate-once one asked for once (after every -certificate
// came), whatever the answer. The certificates are asked for once the
// wanted resources are there: istiod knows the pods by then. It ends as
// soon as all of it is there, or at -timeout with an error that says
// what is missing; either way it writes what it got to the JSON file
// -out.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	securityv1alpha1 "istio.io/api/security/v1alpha1"
)

const (
	addressType       = "type.googleapis.com/istio.workload.Address"
	authorizationType = "type.googleapis.com/istio.security.Authorization"

	// ztunnel's default paths, relative to the working directory, which
	// stands for the container's root.
	tokenPath = "./var/run/secrets/tokens/istio-token"
	rootPath  = "./var/run/secrets/istio/root-cert.pem"
)

// list is a repeatable flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// Result is what the run got, written to -out.
type Result struct {
	// Node is the xDS node ID it sent.
	Node string `json:"node"`
	// Resources are the names of the resources istiod has sent, by type,
	// sorted; Responses counts the responses acknowledged.
	Resources map[string][]string `json:"resources"`
	Responses int                 `json:"responses"`
	// XDSError is the last error of the xDS stream, if it broke.
	XDSError string `json:"xdsError,omitempty"`
	// Certificates are the CA's answers, in the order asked.
	Certificates []Certificate `json:"certificates"`
	// Error says what did not arrive, if anything.
	Error string `json:"error,omitempty"`
}

// Certificate is the CA's answer for one identity.
type Certificate struct {
	Identity string `json:"identity"`
	// URIs are the URI SANs of the leaf certificate, if one came.
	URIs []string `json:"uris,omitempty"`
	// Error is the CA's refusal (the last, for one retried).
	Error    string `json:"error,omitempty"`
	Attempts int    `json:"attempts"`
}

func main() {
	var (
		out                     = flag.String("out", "", "the JSON file to write the result to")
		timeout                 = flag.Duration("timeout", time.Minute, "how long to wait for what is wanted")
		wantAddr, wantAuthz     list
		certificates, onceAsked list
	)
	flag.Var(&wantAddr, "want-address", "an istio.workload.Address resource name that must arrive (repeatable)")
	flag.Var(&wantAuthz, "want-authorization", "an istio.security.Authorization resource name that must arrive (repeatable)")
	flag.Var(&certificates, "certificate", "an identity to get a certificate for, asked again until one comes (repeatable)")
	flag.Var(&onceAsked, "certificate-once", "an identity to ask a certificate for once (repeatable)")
	flag.Parse()
	if *out == "" {
		log.Fatal("fakeztunnel: -out names no file")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, *timeout)
	defer cancelTimeout()
	z, err := newZtunnel()
	if err != nil {
		log.Fatalf("fakeztunnel: %v", err)
	}
	want := map[string][]string{addressType: wantAddr, authorizationType: wantAuthz}
	res := z.run(ctx, want, certificates, onceAsked)
	if err := writeJSON(*out, res); err != nil {
		log.Fatalf("fakeztunnel: %v", err)
	}
	if res.Error != "" {
		log.Fatalf("fakeztunnel: %s", res.Error)
	}
	log.Printf("fakeztunnel: everything asked for arrived")
}

// ztunnel is the configuration ztunnel reads from its environment and
// files.
type ztunnel struct {
	xdsAddress, caAddress string
	clusterID             string
	roots                 *x509.CertPool
	node                  *corev3.Node
}

func newZtunnel() (*ztunnel, error) {
	z := &ztunnel{xdsAddress: os.Getenv("XDS_ADDRESS"), caAddress: os.Getenv("CA_ADDRESS")}
	// ztunnel's cluster ID: ISTIO_META_CLUSTER_ID, else CLUSTER_ID, else
	// Kubernetes.
	for _, v := range []string{os.Getenv("ISTIO_META_CLUSTER_ID"), os.Getenv("CLUSTER_ID"), "Kubernetes"} {
		if v != "" {
			z.clusterID = v
			break
		}
	}
	if z.xdsAddress == "" || z.caAddress == "" {
		return nil, errors.New("XDS_ADDRESS or CA_ADDRESS is not set")
	}
	pemRoots, err := os.ReadFile(rootPath)
	if err != nil {
		return nil, fmt.Errorf("the mesh's root certificate: %w", err)
	}
	z.roots = x509.NewCertPool()
	if !z.roots.AppendCertsFromPEM(pemRoots) {
		return nil, fmt.Errorf("%s holds no certificate", rootPath)
	}
	ip, name, ns := os.Getenv("INSTANCE_IP"), os.Getenv("POD_NAME"), os.Getenv("POD_NAMESPACE")
	if ip == "" {
		ip = "1.1.1.1" // ztunnel's default
	}
	meta := map[string]any{"NAME": name, "NAMESPACE": ns, "INSTANCE_IPS": ip, "NODE_NAME": os.Getenv("NODE_NAME")}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if key, ok := strings.CutPrefix(k, "ISTIO_META_"); ok {
			meta[key] = v
		}
	}
	md, err := structpb.NewStruct(meta)
	if err != nil {
		return nil, err
	}
	z.node = &corev3.Node{Id: fmt.Sprintf("ztunnel~%s~%s.%s~%s.svc.cluster.local", ip, name, ns, ns), Metadata: md}
	return z, nil
}

// bearer is ztunnel's per-call credential: the token file, read at each
// call, and the cluster ID.
type bearer struct{ clusterID string }

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	token, err := os.ReadFile(tokenPath)
	if err != nil {
		return nil, err
	}
	if len(token) == 0 {
		return nil, errors.New("the token file is empty")
	}
	md := map[string]string{"authorization": "Bearer " + string(token)}
	if b.clusterID != "" {
		md["clusterid"] = b.clusterID
	}
	return md, nil
}

func (bearer) RequireTransportSecurity() bool { return true }

// dial connects to an istiod address over TLS, verifying its certificate
// for the address's host name against the mesh's root.
func (z *ztunnel) dial(address string) (*grpc.ClientConn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", address, err)
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: z.roots, ServerName: host, MinVersion: tls.VersionTLS12})
	return grpc.NewClient(address, grpc.WithTransportCredentials(creds), grpc.WithPerRPCCredentials(bearer{z.clusterID}))
}

func (z *ztunnel) run(ctx context.Context, want map[string][]string, certificates, once []string) *Result {
	res := &Result{Node: z.node.Id, Resources: map[string][]string{}}
	var mu sync.Mutex
	wanted := func() []string {
		var missing []string
		for typ, names := range want {
			for _, n := range names {
				if !slices.Contains(res.Resources[typ], n) {
					missing = append(missing, typ+" "+n)
				}
			}
		}
		slices.Sort(missing)
		return missing
	}
	xdsWanted := len(want[addressType])+len(want[authorizationType]) > 0
	arrived := make(chan struct{})
	xdsCtx, stopXDS := context.WithCancel(ctx)
	defer stopXDS()
	var xdsDone sync.WaitGroup
	if xdsWanted {
		xdsDone.Go(func() {
			z.watch(xdsCtx, func(update func(*Result)) {
				mu.Lock()
				defer mu.Unlock()
				update(res)
				if len(wanted()) == 0 {
					select {
					case <-arrived:
					default:
						close(arrived)
					}
				}
			})
		})
	} else {
		close(arrived)
	}
	finish := func(err error) *Result {
		stopXDS()
		xdsDone.Wait()
		if err != nil {
			res.Error = err.Error()
		}
		return res
	}
	select {
	case <-arrived:
	case <-ctx.Done():
		stopXDS()
		xdsDone.Wait()
		msg := fmt.Sprintf("%v waiting for %s", ctx.Err(), strings.Join(wanted(), ", "))
		if res.XDSError != "" {
			msg += "; the xDS stream: " + res.XDSError
		}
		return finish(errors.New(msg))
	}
	// The certificates: each of -certificate asked for until the CA gives
	// it, then each of -certificate-once once.
	conn, err := z.dial(z.caAddress)
	if err != nil {
		return finish(err)
	}
	defer conn.Close()
	ca := securityv1alpha1.NewIstioCertificateServiceClient(conn)
	for _, id := range certificates {
		c := Certificate{Identity: id}
		// A pod istiod has not seen yet is not on the node for its CA;
		// ztunnel, refused, asks again too.
		for c.URIs == nil && ctx.Err() == nil {
			c.Attempts++
			if c.URIs, err = requestCertificate(ctx, ca, id); err != nil {
				c.Error = errorText(err)
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			} else {
				c.Error = ""
			}
		}
		res.Certificates = append(res.Certificates, c)
		if c.URIs == nil {
			return finish(fmt.Errorf("%v waiting for a certificate for %s; the CA said: %s", ctx.Err(), id, c.Error))
		}
	}
	for _, id := range once {
		c := Certificate{Identity: id, Attempts: 1}
		if c.URIs, err = requestCertificate(ctx, ca, id); err != nil {
			c.Error = errorText(err)
		}
		res.Certificates = append(res.Certificates, c)
	}
	return finish(nil)
}

func errorText(err error) string {
	if s, ok := status.FromError(err); ok {
		return s.Code().String() + ": " + s.Message()
	}
	return err.Error()
}

// watch keeps a delta xDS stream open until ctx ends, reopening it when
// it breaks, and reports what arrives through update.
func (z *ztunnel) watch(ctx context.Context, update func(func(*Result))) {
	for ctx.Err() == nil {
		err := z.stream(ctx, update)
		if ctx.Err() != nil {
			return
		}
		update(func(r *Result) { r.XDSError = errorText(err) })
		log.Printf("fakeztunnel: xDS: %v; reconnecting", err)
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (z *ztunnel) stream(ctx context.Context, update func(func(*Result))) error {
	conn, err := z.dial(z.xdsAddress)
	if err != nil {
		return err
	}
	defer conn.Close()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	if err != nil {
		return err
	}
	// ztunnel's initial requests: a wildcard subscription of each type,
	// each with the node.
	for _, typ := range []string{addressType, authorizationType} {
		if err := stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typ, Node: z.node}); err != nil {
			return err
		}
	}
	// A new stream starts from nothing: istiod sends the whole state.
	known := map[string]map[string]bool{addressType: {}, authorizationType: {}}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		names, ok := known[resp.TypeUrl]
		if !ok {
			names = map[string]bool{}
			known[resp.TypeUrl] = names
		}
		for _, r := range resp.Resources {
			names[r.Name] = true
		}
		for _, n := range resp.RemovedResources {
			delete(names, n)
		}
		if err := stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce}); err != nil {
			return err
		}
		sorted := make([]string, 0, len(names))
		for n := range names {
			sorted = append(sorted, n)
		}
		slices.Sort(sorted)
		update(func(r *Result) {
			r.Resources[resp.TypeUrl] = sorted
			r.Responses++
		})
	}
}

// requestCertificate asks the CA for a certificate for the identity, as
// ztunnel asks for one of a pod on its node, and returns the leaf's URI
// SANs.
func requestCertificate(ctx context.Context, ca securityv1alpha1.IstioCertificateServiceClient, identity string) ([]string, error) {
	id, err := url.Parse(identity)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{URIs: []*url.URL{id}}, key)
	if err != nil {
		return nil, err
	}
	meta, err := structpb.NewStruct(map[string]any{"ImpersonatedIdentity": identity})
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := ca.CreateCertificate(callCtx, &securityv1alpha1.IstioCertificateRequest{
		Csr:              string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})),
		ValidityDuration: 3600,
		Metadata:         meta,
	})
	if err != nil {
		return nil, err
	}
	if len(resp.CertChain) == 0 {
		return nil, errors.New("the CA answered with no certificate")
	}
	block, _ := pem.Decode([]byte(resp.CertChain[0]))
	if block == nil {
		return nil, errors.New("the CA's first certificate is not PEM")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	uris := []string{}
	for _, u := range leaf.URIs {
		uris = append(uris, u.String())
	}
	return uris, nil
}

// writeJSON replaces path with v as JSON, in one rename.
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
