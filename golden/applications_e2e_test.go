//go:build e2e

package golden

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshrender/meshrender/golden/internal/apiserver"
	"github.com/meshrender/meshrender/golden/internal/istioproc"
)

// The application tests run what meshrender renders for Applications
// through the real istiod and pilot-agent: istiod must take every
// rendered object and push what it means to the proxies it is for. The
// expectations come from the rendered objects themselves, so the checks
// follow whatever the example's applications declare; the credential an
// egress gateway presents comes from the Application, so that a
// DestinationRule naming the wrong Secret fails.

// TestApplicationsReachTheirGateways renders the applications example
// with its Applications and checks, over xDS, what istiod sends:
//
//   - every gateway a VirtualService is bound to (zonal copies included)
//     gets, on the target port of its Service for each server port of
//     the Gateway, a filter chain for the hosts' SNI whose TLS takes the
//     certificate of the Gateway's credential, and for MUTUAL its client
//     CA, from SDS; istiod serves that credential, a certificate for the
//     hosts; and the route configuration of the chain routes each of the
//     VirtualService's paths to outbound|PORT|SUBSET|HOST, weighted
//     between versions, clusters the gateway has;
//   - an injected pod of each AuthorizationPolicy's workload gets the
//     policy in its inbound RBAC filter;
//   - the egress gateway, for the Gateway of each application's routed
//     hosts, gets the ISTIO_MUTUAL chain (its own workload certificate,
//     client certificates checked against the mesh's root) and the
//     route to the external host's cluster;
//   - every egress gateway a DestinationRule originates TLS on gets the
//     cluster of the external host with the SDS credential the
//     application declares.
//
// The cluster holds what it would hold beside the rendered objects: the
// certificates cert-manager issues, the client CAs teams provide and the
// applications' Services.
func TestApplicationsReachTheirGateways(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	e := exampleNamed(t, "applications")
	started := time.Now()
	mesh := startMesh(ctx, t, renderExample(t, e))
	apps := exampleApplications(t, e)
	checks := mesh.applicationChecks(t, apps)
	if len(checks) == 0 {
		t.Fatal("the example's applications render nothing to check")
	}
	mesh.provideForApplications(ctx, t, apps)
	for _, err := range runChecks(ctx, checks) {
		t.Error(err)
	}
	if err := checkIstiodLogs(mesh.istiod.Logs()); err != nil {
		t.Error(err)
	}
	t.Logf("%d checks in %v", len(checks), time.Since(started).Round(100*time.Millisecond))
}

// TestApplicationChecksCatchBrokenRenders breaks what an application
// renders, the way an overlay could, and requires the checks of what
// the broken object is for to fail: a Gateway that selects no gateway
// pod, a Gateway in the application's namespace where its
// VirtualService does not find it, and an AuthorizationPolicy that
// selects no pod of the application.
func TestApplicationChecksCatchBrokenRenders(t *testing.T) {
	e := exampleNamed(t, "applications")
	apps := exampleApplications(t, e)
	good := parseRendered(t, renderExample(t, e))
	// The Gateway broken is the last rendered: a zonal copy, when the
	// mesh has zones.
	gateways := istioGateways(good)
	if len(gateways) == 0 {
		t.Fatal("the example renders no Istio Gateway")
	}
	ingress := slices.DeleteFunc(slices.Clone(gateways), func(g *unstructured.Unstructured) bool { return strings.HasSuffix(g.GetName(), "-egress") })
	if len(ingress) == 0 {
		t.Fatal("the example renders no Istio Gateway on an ingress gateway")
	}
	gw := ingress[len(ingress)-1]
	var appNamespace string
	var policy *unstructured.Unstructured
	for _, a := range apps {
		if a.Metadata.Name == gw.GetLabels()["app.kubernetes.io/name"] {
			appNamespace = a.Metadata.Namespace
		}
		for _, ap := range good.all("AuthorizationPolicy") {
			if ap.GetNamespace() == a.Metadata.Namespace && ap.GetLabels()["app.kubernetes.io/name"] == a.Metadata.Name {
				policy = ap
			}
		}
	}
	if appNamespace == "" || policy == nil {
		t.Fatalf("no application of Gateway %s/%s, or no AuthorizationPolicy of an application", gw.GetNamespace(), gw.GetName())
	}
	onGateway := func(c appCheck) bool { return c.namespace == gw.GetNamespace() }
	// The egress side: the application's Gateway on the egress gateway
	// and the DestinationRule by which it originates mutual TLS.
	var egressGateway, origination *unstructured.Unstructured
	for _, g := range gateways {
		if strings.HasSuffix(g.GetName(), "-egress") {
			egressGateway = g
		}
	}
	for _, dr := range good.all("DestinationRule") {
		if _, found, _ := unstructured.NestedSlice(dr.Object, "spec", "trafficPolicy", "portLevelSettings"); found && dr.GetNamespace() == egressGateway.GetNamespace() {
			origination = dr
		}
	}
	if egressGateway == nil || origination == nil {
		t.Fatal("the example renders no Gateway on the egress gateway, or no DestinationRule originating TLS there")
	}
	onEgressGateway := func(c appCheck) bool { return c.name == "gateway "+egressGateway.GetNamespace()+"/istio-egressgateway" }
	tests := []struct {
		name string
		// target is the object an overlay breaks with a JSON patch
		// operation; checks select the checks to run.
		target *unstructured.Unstructured
		op     string
		checks func(appCheck) bool
		// want is part of the failure the checks must report.
		want string
	}{
		{"Gateway selector typo", gw, typo(t, gw, "spec", "selector"), onGateway,
			"the applications' Gateways' listeners: listeners 0.0.0.0_"},
		{"Gateway in the application's namespace", gw, fmt.Sprintf(`{"op": "replace", "path": "/metadata/namespace", "value": %q}`, appNamespace), onGateway,
			"no route for"},
		{"AuthorizationPolicy selector typo", policy, typo(t, policy, "spec", "selector", "matchLabels"),
			func(c appCheck) bool {
				return c.object == "AuthorizationPolicy "+policy.GetNamespace()+"/"+policy.GetName()
			},
			"none of AuthorizationPolicy " + policy.GetNamespace() + "/" + policy.GetName()},
		{"egress Gateway selector typo", egressGateway, typo(t, egressGateway, "spec", "selector"), onEgressGateway,
			"the applications' Gateways' listeners: listeners 0.0.0.0_8443"},
		{"origination credential typo", origination, `{"op": "replace", "path": "/spec/trafficPolicy/portLevelSettings/0/tls/credentialName", "value": "client-cert"}`,
			func(c appCheck) bool { return strings.HasPrefix(c.name, "egress gateway ") },
			"takes the SDS secrets [kubernetes://client-cert kubernetes://client-cert-cacert]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			gvk := tt.target.GroupVersionKind()
			spec := exampleMesh(t, e)
			spec.Spec.Overlays = append(spec.Spec.Overlays, v1alpha1.Overlay{
				Target: &v1alpha1.OverlayTarget{Group: gvk.Group, Kind: gvk.Kind, Name: tt.target.GetName(), Namespace: tt.target.GetNamespace()},
				Patch:  "[" + tt.op + "]",
			})
			t.Logf("%s %s/%s: %s", gvk.Kind, tt.target.GetNamespace(), tt.target.GetName(), tt.op)
			out, err := renderYAML(spec, render.WithApplications(apps...))
			if err != nil {
				t.Fatal(err)
			}
			mesh := startMesh(ctx, t, out)
			mesh.provideForApplications(ctx, t, apps)
			checks := slices.DeleteFunc(mesh.applicationChecks(t, apps), func(c appCheck) bool { return !tt.checks(c) })
			if len(checks) == 0 {
				t.Fatal("no check runs on what the broken object is for")
			}
			// A proxy gets its certificate and first config within seconds;
			// what it lacks then, it lacks for good.
			short, cancel := context.WithTimeout(ctx, 45*time.Second)
			defer cancel()
			err = errors.Join(runChecks(short, checks)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("the checks on a broken render reported %v, want a failure saying %q", err, tt.want)
				return
			}
			first, _, _ := strings.Cut(err.Error(), "\n")
			t.Logf("the checks fail: %s", first)
		})
	}
}

// typo is a JSON patch operation that drops the last letter of the
// value of the last label of a selector, as a typo would.
func typo(t *testing.T, u *unstructured.Unstructured, selector ...string) string {
	t.Helper()
	labels, _, _ := unstructured.NestedStringMap(u.Object, selector...)
	keys := slices.Sorted(maps.Keys(labels))
	if len(keys) == 0 {
		t.Fatalf("%s %s/%s selects no labels", u.GetKind(), u.GetNamespace(), u.GetName())
	}
	key := keys[len(keys)-1]
	path := "/" + strings.Join(selector, "/") + "/" + strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
	return fmt.Sprintf(`{"op": "replace", "path": %q, "value": %q}`, path, labels[key][:len(labels[key])-1])
}

// appCheck is one check of what an application renders, run on one
// proxy.
type appCheck struct {
	name string
	// namespace is the proxy's; object, if set, the rendered object
	// whose effect the check is about, as "Kind namespace/name".
	namespace, object string
	run               func(ctx context.Context, t *testing.T) error
	t                 *testing.T
}

// runChecks runs the checks side by side, each on a proxy of its own,
// and returns their failures.
func runChecks(ctx context.Context, checks []appCheck) []error {
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			started := time.Now()
			if err := c.run(ctx, c.t); err != nil {
				errs[i] = fmt.Errorf("%s: %w", c.name, err)
			}
			c.t.Logf("%s: checked in %v", c.name, time.Since(started).Round(100*time.Millisecond))
		})
	}
	wg.Wait()
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

// istioGateways are the rendered Istio Gateways.
func istioGateways(r *renderedMesh) []*unstructured.Unstructured {
	return slices.DeleteFunc(r.all("Gateway"), func(u *unstructured.Unstructured) bool {
		return u.GroupVersionKind().Group != "networking.istio.io"
	})
}

// gatewayServer is a server of a rendered Istio Gateway.
type gatewayServer struct {
	Hosts []string
	Port  struct {
		Number   int64
		Name     string
		Protocol string
	}
	TLS *struct {
		Mode                 string
		CredentialName       string
		CACertCredentialName string
	}
}

// httpRoute is an HTTP route of a rendered VirtualService.
type httpRoute struct {
	Match []httpMatch
	Route []struct {
		Destination struct {
			Host   string
			Subset string
			Port   struct{ Number int64 }
		}
		Weight int64
	}
}

// httpMatch is a match of an HTTP route: by URI, and to the gateways it
// names, if any.
type httpMatch struct {
	URI      map[string]string
	Gateways []string
}

// appliesTo reports whether the match is for the Gateway: it names no
// gateways, or names this one, by namespace/name or, in the
// VirtualService's namespace, by name.
func (m httpMatch) appliesTo(gw *unstructured.Unstructured, vsNamespace string) bool {
	if len(m.Gateways) == 0 {
		return true
	}
	return slices.Contains(m.Gateways, gw.GetNamespace()+"/"+gw.GetName()) ||
		(gw.GetNamespace() == vsNamespace && slices.Contains(m.Gateways, gw.GetName()))
}

// boundGateway is what a gateway Deployment must serve for one
// VirtualService bound to a Gateway of its namespace.
type boundGateway struct {
	// gateway is the Gateway of the reference's name, wherever it was
	// rendered, for its servers.
	gateway        *unstructured.Unstructured
	servers        []gatewayServer
	virtualService *unstructured.Unstructured
	hosts          []string
	routes         []httpRoute
}

func decodeField(u *unstructured.Unstructured, v any, fields ...string) error {
	f, _, _ := unstructured.NestedFieldNoCopy(u.Object, fields...)
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// applicationChecks plans the checks of what the applications render:
// one per gateway Deployment some VirtualService is bound to, one per
// workload an AuthorizationPolicy of an application's namespace
// selects, one per egress gateway a DestinationRule originates TLS on.
func (m *runningMesh) applicationChecks(t *testing.T, apps []v1alpha1.Application) []appCheck {
	t.Helper()
	var checks []appCheck
	// bound is what each gateway Deployment must serve, by namespace and
	// name.
	bound := map[string][]boundGateway{}
	for _, vs := range m.rendered.all("VirtualService") {
		var refs, hosts []string
		var routes []httpRoute
		if err := errors.Join(decodeField(vs, &refs, "spec", "gateways"), decodeField(vs, &hosts, "spec", "hosts"), decodeField(vs, &routes, "spec", "http")); err != nil {
			t.Fatalf("VirtualService %s/%s: %v", vs.GetNamespace(), vs.GetName(), err)
		}
		for _, ref := range refs {
			// The reserved gateway "mesh" is every sidecar, not a Gateway.
			if ref == "mesh" {
				continue
			}
			ns, name, ok := strings.Cut(ref, "/")
			if !ok {
				ns, name = vs.GetNamespace(), ref
			}
			// The Gateway of the reference, or, when it is not where the
			// reference says, the one of its name: its servers are what the
			// gateways of the reference's namespace must serve.
			var gw *unstructured.Unstructured
			for _, g := range istioGateways(m.rendered) {
				if g.GetName() == name && (gw == nil || g.GetNamespace() == ns) {
					gw = g
				}
			}
			if gw == nil {
				t.Errorf("VirtualService %s/%s is bound to Gateway %s, which is not rendered", vs.GetNamespace(), vs.GetName(), ref)
				continue
			}
			var servers []gatewayServer
			if err := decodeField(gw, &servers, "spec", "servers"); err != nil {
				t.Fatal(err)
			}
			deployments := slices.DeleteFunc(m.rendered.gateways(), func(d *appsv1.Deployment) bool { return d.Namespace != ns })
			if len(deployments) == 0 {
				t.Errorf("VirtualService %s/%s is bound to Gateway %s, and no gateway is rendered in %s", vs.GetNamespace(), vs.GetName(), ref, ns)
			}
			for _, d := range deployments {
				bound[d.Namespace+"/"+d.Name] = append(bound[d.Namespace+"/"+d.Name], boundGateway{gateway: gw, servers: servers, virtualService: vs, hosts: hosts, routes: routes})
			}
		}
	}
	for _, d := range m.rendered.gateways() {
		if b, ok := bound[d.Namespace+"/"+d.Name]; ok {
			checks = append(checks, appCheck{name: "gateway " + d.Namespace + "/" + d.Name, namespace: d.Namespace, t: t,
				run: func(ctx context.Context, t *testing.T) error { return m.checkIngress(ctx, t, d, b) }})
		}
	}
	// The workload of each application, labelled as its selector says,
	// must get every AuthorizationPolicy rendered for the application
	// in its namespace.
	for _, a := range apps {
		a := a.DeepCopy()
		a.Default()
		for _, ap := range m.rendered.all("AuthorizationPolicy") {
			if ap.GetNamespace() != a.Metadata.Namespace || ap.GetLabels()["app.kubernetes.io/name"] != a.Metadata.Name {
				continue
			}
			checks = append(checks, appCheck{name: "workload of Application " + a.Metadata.Namespace + "/" + a.Metadata.Name, namespace: a.Metadata.Namespace, t: t,
				object: "AuthorizationPolicy " + ap.GetNamespace() + "/" + ap.GetName(),
				run: func(ctx context.Context, t *testing.T) error {
					return m.checkAuthorization(ctx, t, a.Spec.Selector, ap)
				}})
		}
	}
	for _, o := range m.originations() {
		o.want = intendedCredential(apps, o.host)
		for _, d := range m.rendered.deployments("istio-egressgateway") {
			if o.appliesTo(d) {
				checks = append(checks, appCheck{name: "egress gateway " + d.Namespace + "/" + d.Name + " originating TLS for " + o.host, namespace: d.Namespace, t: t,
					run: func(ctx context.Context, t *testing.T) error { return m.checkOrigination(ctx, t, d, o) }})
			}
		}
	}
	return checks
}

// provideForApplications puts into the cluster what it holds beside the
// rendered objects in a cluster the applications run in: the Secret of
// every rendered cert-manager Certificate, as cert-manager issues it
// (here from a CA of the test's); the client CA of every MUTUAL server of
// a Gateway and a client certificate an origination names that no
// Certificate issues, which the team provides, under the names Istio
// looks for; and the Service every route's destination names, which the
// team deploys with its workloads.
func (m *runningMesh) provideForApplications(ctx context.Context, t *testing.T, apps []v1alpha1.Application) {
	t.Helper()
	ca := newTestCA(t)
	var docs [][]byte
	// provided are the Secrets provided, by namespace/name.
	provided := map[string]bool{}
	for _, c := range m.rendered.all("Certificate") {
		var spec struct {
			SecretName string
			DNSNames   []string
		}
		if err := decodeField(c, &spec, "spec"); err != nil {
			t.Fatal(err)
		}
		cert, key := ca.issue(t, spec.DNSNames)
		provided[c.GetNamespace()+"/"+spec.SecretName] = true
		docs = append(docs, jsonDocs(t, &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: spec.SecretName, Namespace: c.GetNamespace()},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{"tls.crt": cert, "tls.key": key, "ca.crt": ca.pem},
		})...)
	}
	for _, gw := range istioGateways(m.rendered) {
		var servers []gatewayServer
		if err := decodeField(gw, &servers, "spec", "servers"); err != nil {
			t.Fatal(err)
		}
		for _, s := range servers {
			// A certificate the team keeps itself (tls.secretName), in
			// every namespace of the gateways that serve its hosts.
			if s.TLS != nil && s.TLS.CredentialName != "" && !provided[gw.GetNamespace()+"/"+s.TLS.CredentialName] {
				provided[gw.GetNamespace()+"/"+s.TLS.CredentialName] = true
				cert, key := ca.issue(t, s.Hosts)
				docs = append(docs, jsonDocs(t, &corev1.Secret{
					TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
					ObjectMeta: metav1.ObjectMeta{Name: s.TLS.CredentialName, Namespace: gw.GetNamespace()},
					Type:       corev1.SecretTypeTLS,
					Data:       map[string][]byte{"tls.crt": cert, "tls.key": key, "ca.crt": ca.pem},
				})...)
			}
			if s.TLS == nil || s.TLS.Mode != "MUTUAL" {
				continue
			}
			docs = append(docs, jsonDocs(t, &corev1.Secret{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: metav1.ObjectMeta{Name: clientCAName(s), Namespace: gw.GetNamespace()},
				Data:       map[string][]byte{"ca.crt": ca.pem},
			})...)
		}
	}
	// A client certificate an application names (origination.secretName)
	// is a Secret the team provides in the namespace of every egress
	// gateway.
	for _, a := range apps {
		for _, dest := range a.Spec.Egress {
			o := dest.Origination
			if o == nil || o.SecretName == "" {
				continue
			}
			for _, d := range m.rendered.deployments("istio-egressgateway") {
				cert, key := ca.issue(t, []string{o.SecretName + "." + d.Namespace})
				docs = append(docs, jsonDocs(t, &corev1.Secret{
					TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
					ObjectMeta: metav1.ObjectMeta{Name: o.SecretName, Namespace: d.Namespace},
					Data:       map[string][]byte{"tls.crt": cert, "tls.key": key, "ca.crt": ca.pem},
				})...)
			}
		}
	}
	// The Services meshrender renders, such as the egress gateway's that
	// the egress routes go to, are not the team's to provide.
	rendered := map[string]bool{}
	for _, s := range m.rendered.all("Service") {
		rendered[s.GetNamespace()+"/"+s.GetName()] = true
	}
	services := map[string]*corev1.Service{}
	for _, vs := range m.rendered.all("VirtualService") {
		var routes []httpRoute
		if err := decodeField(vs, &routes, "spec", "http"); err != nil {
			t.Fatal(err)
		}
		for _, r := range routes {
			for _, d := range r.Route {
				name, ns, ok := serviceOf(d.Destination.Host)
				if !ok || rendered[ns+"/"+name] {
					continue
				}
				svc := services[ns+"/"+name]
				if svc == nil {
					svc = &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
						ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
						Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": name}}}
					services[ns+"/"+name] = svc
				}
				port := int32(d.Destination.Port.Number)
				if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port }) {
					svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "http-" + strconv.Itoa(int(port)), Port: port, TargetPort: intstr.FromInt32(port)})
				}
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(services)) {
		docs = append(docs, jsonDocs(t, services[k])...)
	}
	if _, err := m.client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "team"}, docs); err != nil {
		t.Fatalf("providing what the applications need: %v", err)
	}
	m.client.Warnings()
}

// serviceOf splits a Kubernetes Service's host name.
func serviceOf(host string) (name, namespace string, ok bool) {
	parts := strings.Split(host, ".")
	if len(parts) != 5 || !strings.HasSuffix(host, ".svc.cluster.local") {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// clientCAName is the Secret Istio takes a MUTUAL server's client CA
// from: the one the Gateway names, or <credentialName>-cacert.
func clientCAName(s gatewayServer) string {
	if s.TLS.CACertCredentialName != "" {
		return s.TLS.CACertCredentialName
	}
	return s.TLS.CredentialName + "-cacert"
}

// testCA signs the certificates cert-manager would issue.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "applications test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a certificate for the DNS names, for servers and
// clients, and its key, in PEM.
func (ca *testCA) issue(t *testing.T, dnsNames []string) (cert, key []byte) {
	t.Helper()
	return ca.sign(t, &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), DNSNames: dnsNames,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}})
}

// sign returns a certificate of the template for a new key, and the key,
// in PEM.
func (ca *testCA) sign(t *testing.T, tmpl *x509.Certificate) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &k.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// checkIngress runs a gateway's agent and checks that istiod sends it
// what the VirtualServices bound to its namespace's Gateways say.
func (m *runningMesh) checkIngress(ctx context.Context, t *testing.T, d *appsv1.Deployment, bound []boundGateway) error {
	// The listener of each server, with the route configuration its
	// HTTP connection manager takes.
	type served struct {
		listener string
		server   gatewayServer
		bound    boundGateway
	}
	var want []served
	var listeners []string
	for _, b := range bound {
		for _, s := range b.servers {
			l := "0.0.0.0_" + strconv.Itoa(int(m.targetPort(d, s.Port.Number)))
			want = append(want, served{listener: l, server: s, bound: b})
			if !slices.Contains(listeners, l) {
				listeners = append(listeners, l)
			}
		}
	}
	return m.checkProxy(ctx, t, proxyRun{
		dir: "app-" + d.Namespace, namespace: d.Namespace, name: d.Name, template: d.Spec.Template,
		checkConfig: func(map[string]any) error { return nil },
		listeners:   listeners, listenersFor: "the applications' Gateways'",
		xds: func(ctx context.Context, agent *istioproc.Agent) error {
			routeNames := map[int]string{}
			var secrets []string
			if err := agent.XDS(ctx, "listeners", func(got []map[string]any) error {
				for i, w := range want {
					route, sds, err := serverChain(got, w.listener, w.server)
					if err != nil {
						return fmt.Errorf("Gateway %s/%s, server %s: %w", w.bound.gateway.GetNamespace(), w.bound.gateway.GetName(), w.server.Port.Name, err)
					}
					routeNames[i] = route
					secrets = append(secrets, sds...)
				}
				return nil
			}); err != nil {
				return err
			}
			var clusters []string
			if err := agent.XDS(ctx, "routes", func(got []map[string]any) error {
				clusters = nil
				for i, w := range want {
					if w.server.TLS != nil && w.server.TLS.Mode == "PASSTHROUGH" {
						continue
					}
					cs, err := checkRoutes(got, routeNames[i], w.bound)
					if err != nil {
						return err
					}
					clusters = append(clusters, cs...)
				}
				return nil
			}); err != nil {
				return err
			}
			if err := agent.XDS(ctx, "clusters", func(got []map[string]any) error {
				names := resourceNames(got)
				for _, c := range clusters {
					if !slices.Contains(names, c) {
						return fmt.Errorf("no cluster %s, which a route sends to, among %v", c, names)
					}
				}
				return nil
			}); err != nil {
				return err
			}
			return agent.XDS(ctx, "secrets", func(got []map[string]any) error {
				for _, w := range want {
					if err := checkCredentials(got, w.server); err != nil {
						return fmt.Errorf("Gateway %s/%s, server %s: %w", w.bound.gateway.GetNamespace(), w.bound.gateway.GetName(), w.server.Port.Name, err)
					}
				}
				return nil
			})
		},
	})
}

// targetPort is the port a gateway's proxy listens on for a Gateway
// server's port: the target port of the gateway's Service that has it,
// as istiod maps it.
func (m *runningMesh) targetPort(d *appsv1.Deployment, port int64) int64 {
	for _, u := range m.rendered.all("Service") {
		svc := &corev1.Service{}
		if u.GetNamespace() != d.Namespace || runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, svc) != nil {
			continue
		}
		if len(svc.Spec.Selector) == 0 || !isSubset(svc.Spec.Selector, d.Spec.Template.Labels) {
			continue
		}
		for _, p := range svc.Spec.Ports {
			if int64(p.Port) == port && p.TargetPort.IntVal != 0 {
				return int64(p.TargetPort.IntVal)
			}
		}
	}
	return port
}

func isSubset(sub, labels map[string]string) bool {
	for k, v := range sub {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func resourceNames(resources []map[string]any) []string {
	var names []string
	for _, r := range resources {
		if n, ok := r["name"].(string); ok {
			names = append(names, n)
		}
	}
	return names
}

func resourceNamed(resources []map[string]any, name string) map[string]any {
	for _, r := range resources {
		if r["name"] == name {
			return r
		}
	}
	return nil
}

// field returns the value at a path of JSON object keys.
func field(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func items(v any) []any {
	s, _ := v.([]any)
	return s
}

func strs(v any) []string {
	var out []string
	for _, x := range items(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// serverChain finds the filter chain of a Gateway server in the
// listener: its SNI names the server's hosts, its TLS takes the
// credential's certificate (and, for MUTUAL, its client CA) from SDS, or
// for ISTIO_MUTUAL the gateway's workload certificate and the mesh's
// root. It
// returns the route configuration the chain's HTTP connection manager
// takes from RDS and the SDS secrets it names.
func serverChain(listeners []map[string]any, name string, s gatewayServer) (route string, secrets []string, err error) {
	l := resourceNamed(listeners, name)
	if l == nil {
		return "", nil, fmt.Errorf("no listener %s among %v", name, resourceNames(listeners))
	}
	var sni [][]string
	for _, fc := range items(l["filter_chains"]) {
		names := strs(field(fc, "filter_chain_match", "server_names"))
		sni = append(sni, names)
		if s.TLS != nil && !isSubsetOf(s.Hosts, names) {
			continue
		}
		if s.TLS == nil && len(names) > 0 {
			continue
		}
		for _, f := range items(field(fc, "filters")) {
			if r, ok := field(f, "typed_config", "rds", "route_config_name").(string); ok {
				route = r
			}
		}
		if s.TLS == nil || s.TLS.Mode == "PASSTHROUGH" {
			return route, nil, nil
		}
		tls := field(fc, "transport_socket", "typed_config", "common_tls_context")
		var certs []string
		for _, c := range items(field(tls, "tls_certificate_sds_secret_configs")) {
			certs = append(certs, fmt.Sprint(field(c, "name")))
		}
		want := "kubernetes://" + s.TLS.CredentialName
		if s.TLS.Mode == "ISTIO_MUTUAL" {
			// The gateway's own workload certificate, which its agent
			// serves, and the mesh's root for the callers' certificates.
			want = "default"
			got, _ := field(tls, "combined_validation_context", "validation_context_sds_secret_config", "name").(string)
			if got != "ROOTCA" || field(fc, "transport_socket", "typed_config", "require_client_certificate") != true {
				return "", nil, fmt.Errorf("listener %s: the chain for %v checks client certificates against %q, want the mesh's ROOTCA, required", name, s.Hosts, got)
			}
		}
		if !slices.Equal(certs, []string{want}) {
			return "", nil, fmt.Errorf("listener %s: the chain for %v takes certificates %v, want %s", name, s.Hosts, certs, want)
		}
		secrets = append(secrets, certs...)
		if s.TLS.Mode == "MUTUAL" {
			got, _ := field(tls, "combined_validation_context", "validation_context_sds_secret_config", "name").(string)
			if want := "kubernetes://" + clientCAName(s); got != want {
				return "", nil, fmt.Errorf("listener %s: the chain for %v checks client certificates against %q, want %s", name, s.Hosts, got, want)
			}
			if field(fc, "transport_socket", "typed_config", "require_client_certificate") != true {
				return "", nil, fmt.Errorf("listener %s: the chain for %v does not require a client certificate", name, s.Hosts)
			}
			secrets = append(secrets, got)
		}
		if route == "" {
			return "", nil, fmt.Errorf("listener %s: the chain for %v has no HTTP connection manager with routes from RDS", name, s.Hosts)
		}
		return route, secrets, nil
	}
	return "", nil, fmt.Errorf("listener %s has no filter chain for %v, only for server names %v", name, s.Hosts, sni)
}

func isSubsetOf(sub, set []string) bool {
	for _, s := range sub {
		if !slices.Contains(set, s) {
			return false
		}
	}
	return true
}

// checkRoutes checks that the route configuration routes each of the
// VirtualService's HTTP routes, for each of its hosts, to the clusters
// of its destinations, and returns those clusters.
func checkRoutes(routeConfigs []map[string]any, name string, b boundGateway) ([]string, error) {
	rc := resourceNamed(routeConfigs, name)
	if rc == nil {
		return nil, fmt.Errorf("no route configuration %s among %v", name, resourceNames(routeConfigs))
	}
	vs := b.virtualService.GetNamespace() + "/" + b.virtualService.GetName()
	var clusters []string
	for _, host := range b.hosts {
		var vhost any
		var domains [][]string
		for _, vh := range items(rc["virtual_hosts"]) {
			d := strs(field(vh, "domains"))
			domains = append(domains, d)
			if slices.Contains(d, host) {
				vhost = vh
			}
		}
		if vhost == nil {
			return nil, fmt.Errorf("route configuration %s has no route for %s of VirtualService %s: no virtual host for it among %v", name, host, vs, domains)
		}
		for _, r := range b.routes {
			var matches []httpMatch
			for _, m := range r.Match {
				if !m.appliesTo(b.gateway, b.virtualService.GetNamespace()) {
					continue // a route of the sidecars or of another gateway
				}
				if len(m.URI) == 0 {
					m.URI = map[string]string{"prefix": "/"}
				}
				matches = append(matches, m)
			}
			if len(r.Match) == 0 {
				matches = append(matches, httpMatch{URI: map[string]string{"prefix": "/"}})
			}
			if len(matches) == 0 {
				continue
			}
			want := map[string]int64{}
			for _, d := range r.Route {
				c := fmt.Sprintf("outbound|%d|%s|%s", d.Destination.Port.Number, d.Destination.Subset, d.Destination.Host)
				want[c] = d.Weight
				clusters = append(clusters, c)
			}
			for _, match := range matches {
				route, err := envoyRoute(vhost, match.URI)
				if err != nil {
					return nil, fmt.Errorf("route configuration %s, %s of VirtualService %s: %w", name, host, vs, err)
				}
				got := map[string]int64{}
				if c, ok := field(route, "route", "cluster").(string); ok {
					got[c] = 0
					if len(want) == 1 {
						for k := range want {
							want[k] = 0
						}
					}
				}
				for _, wc := range items(field(route, "route", "weighted_clusters", "clusters")) {
					w, _ := field(wc, "weight").(float64)
					got[fmt.Sprint(field(wc, "name"))] = int64(w)
				}
				if !maps.Equal(got, want) {
					return nil, fmt.Errorf("route configuration %s, %s of VirtualService %s: %v goes to %v, want %v", name, host, vs, match.URI, got, want)
				}
			}
		}
	}
	return clusters, nil
}

// envoyRoute finds the route of a virtual host that matches a
// VirtualService's URI match.
func envoyRoute(vhost any, uri map[string]string) (any, error) {
	var seen []any
	for _, r := range items(field(vhost, "routes")) {
		m, _ := field(r, "match").(map[string]any)
		seen = append(seen, m)
		switch {
		case uri["exact"] != "" && m["path"] == uri["exact"]:
			return r, nil
		case uri["prefix"] != "" && (m["prefix"] == uri["prefix"] || m["path_separated_prefix"] == uri["prefix"]):
			return r, nil
		}
	}
	return nil, fmt.Errorf("no route for %v among the matches %v", uri, seen)
}

// checkCredentials checks that istiod serves a server's credential: a
// certificate for its hosts and, for MUTUAL, the client CA.
func checkCredentials(secrets []map[string]any, s gatewayServer) error {
	if s.TLS == nil || s.TLS.CredentialName == "" {
		return nil
	}
	name := "kubernetes://" + s.TLS.CredentialName
	sec := resourceNamed(secrets, name)
	if sec == nil {
		return fmt.Errorf("istiod sent no secret %s, only %v", name, resourceNames(secrets))
	}
	cert, err := inlineCertificate(field(sec, "tls_certificate", "certificate_chain", "inline_bytes"))
	if err != nil {
		return fmt.Errorf("secret %s: %w", name, err)
	}
	for _, h := range s.Hosts {
		if cert.VerifyHostname(h) != nil {
			return fmt.Errorf("secret %s holds a certificate for %v, not for %s", name, cert.DNSNames, h)
		}
	}
	if s.TLS.Mode != "MUTUAL" {
		return nil
	}
	caName := "kubernetes://" + clientCAName(s)
	ca := resourceNamed(secrets, caName)
	if ca == nil {
		return fmt.Errorf("istiod sent no secret %s, only %v", caName, resourceNames(secrets))
	}
	if _, err := inlineCertificate(field(ca, "validation_context", "trusted_ca", "inline_bytes")); err != nil {
		return fmt.Errorf("secret %s: %w", caName, err)
	}
	return nil
}

// inlineCertificate decodes the first certificate of a data source's
// inline bytes, base64 in JSON.
func inlineCertificate(v any) (*x509.Certificate, error) {
	s, _ := v.(string)
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(data) == 0 {
		return nil, errors.New("no inline certificate")
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("the inline certificate is not PEM")
	}
	return x509.ParseCertificate(block.Bytes)
}

// checkAuthorization runs an injected pod of an application, labelled
// as its selector says, and checks that istiod puts the
// AuthorizationPolicy into its inbound RBAC filter.
func (m *runningMesh) checkAuthorization(ctx context.Context, t *testing.T, labels map[string]string, ap *unstructured.Unstructured) error {
	pod, err := m.injectedPod(ctx, t, ap.GetNamespace(), ap.GetName(), labels)
	if err != nil {
		return err
	}
	prefix := fmt.Sprintf("ns[%s]-policy[%s]-rule[", ap.GetNamespace(), ap.GetName())
	return m.checkProxy(ctx, t, proxyRun{
		dir: "app-pod-" + pod.Namespace + "-" + pod.Name, namespace: pod.Namespace, name: pod.Name,
		template:    corev1.PodTemplateSpec{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec},
		checkConfig: func(map[string]any) error { return nil },
		listeners:   []string{"virtualInbound"}, listenersFor: "a sidecar's",
		xds: func(ctx context.Context, agent *istioproc.Agent) error {
			return agent.XDS(ctx, "listeners", func(got []map[string]any) error {
				inbound := resourceNamed(got, "virtualInbound")
				var policies []string
				walk(inbound, func(o map[string]any) {
					if o["@type"] == "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC" {
						policies = append(policies, slices.Collect(maps.Keys(fieldMap(o, "rules", "policies")))...)
					}
				})
				if !slices.ContainsFunc(policies, func(p string) bool { return strings.HasPrefix(p, prefix) }) {
					slices.Sort(policies)
					return fmt.Errorf("the inbound HTTP RBAC filters have policies %v, none of AuthorizationPolicy %s/%s", slices.Compact(policies), ap.GetNamespace(), ap.GetName())
				}
				return nil
			})
		},
	})
}

func fieldMap(v any, path ...string) map[string]any {
	m, _ := field(v, path...).(map[string]any)
	return m
}

// walk calls f on every JSON object in v.
func walk(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, x := range v {
			walk(x, f)
		}
	case []any:
		for _, x := range v {
			walk(x, f)
		}
	}
}

// injectedPod creates, through the API server, a pod with the labels in
// the namespace, as a team's Deployment would, with a service account of
// its own; istiod's webhook injects its sidecar.
func (m *runningMesh) injectedPod(ctx context.Context, t *testing.T, namespace, name string, labels map[string]string) (*corev1.Pod, error) {
	ca, err := m.server.ServingCertificate()
	if err != nil {
		return nil, err
	}
	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	rootCA := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt", Namespace: namespace}, Data: map[string]string{"ca.crt": string(ca)}}
	if _, err := m.client.ApplyWith(ctx, apiserver.ApplyOptions{FieldManager: "team"}, jsonDocs(t, sa, rootCA)); err != nil {
		return nil, err
	}
	pod := appPod(namespace)
	pod.Name, pod.Labels, pod.Spec.ServiceAccountName = name+"-0", maps.Clone(labels), name
	created, err := m.client.Kube.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{FieldManager: "replicaset-controller"})
	if err != nil {
		return nil, fmt.Errorf("the API server refused the pod of %v: %w", labels, err)
	}
	if _, ok := created.Annotations["sidecar.istio.io/status"]; !ok {
		return nil, fmt.Errorf("the pod of %v in %s was not injected", labels, namespace)
	}
	return created, nil
}

// origination is TLS a DestinationRule has a gateway originate with a
// Kubernetes credential.
type origination struct {
	rule *unstructured.Unstructured
	host string
	// port is the port the TLS settings are for; 0 for every port.
	port   int64
	subset string
	mode   string
	// credential is the credentialName.
	credential string
	// want is the Secret the application that calls the host means the
	// gateway to present: the one its Certificate writes, or the one it
	// names.
	want string
}

// intendedCredential is the client certificate's Secret of the
// application that declares mutual TLS origination to the host, or ""
// when none does.
func intendedCredential(apps []v1alpha1.Application, host string) string {
	for _, a := range apps {
		a := a.DeepCopy()
		a.Default()
		for i := range a.Spec.Egress {
			if d := &a.Spec.Egress[i]; d.Host == host {
				return a.OriginationCredential(d)
			}
		}
	}
	return ""
}

// originations are the TLS settings of the rendered DestinationRules
// that name a credential, which only a gateway can use.
func (m *runningMesh) originations() []origination {
	var out []origination
	for _, dr := range m.rendered.all("DestinationRule") {
		var spec struct {
			Host          string
			TrafficPolicy *trafficPolicy
			Subsets       []struct {
				Name          string
				TrafficPolicy *trafficPolicy
			}
		}
		if decodeField(dr, &spec, "spec") != nil {
			continue
		}
		add := func(p *trafficPolicy, subset string) {
			if p == nil {
				return
			}
			if p.TLS != nil && p.TLS.CredentialName != "" {
				out = append(out, origination{rule: dr, host: spec.Host, subset: subset, mode: p.TLS.Mode, credential: p.TLS.CredentialName})
			}
			for _, pl := range p.PortLevelSettings {
				if pl.TLS != nil && pl.TLS.CredentialName != "" {
					out = append(out, origination{rule: dr, host: spec.Host, port: pl.Port.Number, subset: subset, mode: pl.TLS.Mode, credential: pl.TLS.CredentialName})
				}
			}
		}
		add(spec.TrafficPolicy, "")
		for _, s := range spec.Subsets {
			add(s.TrafficPolicy, s.Name)
		}
	}
	return out
}

type trafficPolicy struct {
	TLS               *clientTLS
	PortLevelSettings []struct {
		Port struct{ Number int64 }
		TLS  *clientTLS
	}
}

type clientTLS struct {
	Mode           string
	CredentialName string
}

// appliesTo reports whether a gateway takes the DestinationRule: it is
// exported to the gateway's namespace and selects its pods, if it
// selects any.
func (o origination) appliesTo(d *appsv1.Deployment) bool {
	exportTo, _, _ := unstructured.NestedStringSlice(o.rule.Object, "spec", "exportTo")
	if len(exportTo) > 0 && !slices.Contains(exportTo, "*") && !slices.Contains(exportTo, d.Namespace) &&
		!(slices.Contains(exportTo, ".") && o.rule.GetNamespace() == d.Namespace) {
		return false
	}
	selector, found, _ := unstructured.NestedStringMap(o.rule.Object, "spec", "workloadSelector", "matchLabels")
	return !found || isSubset(selector, d.Spec.Template.Labels)
}

// checkOrigination runs an egress gateway's agent and checks that
// istiod sends it the external host's cluster, whose TLS takes the
// credential from SDS, and serves the credential.
func (m *runningMesh) checkOrigination(ctx context.Context, t *testing.T, d *appsv1.Deployment, o origination) error {
	if o.mode == "MUTUAL" && o.want == "" {
		return fmt.Errorf("DestinationRule %s/%s originates mutual TLS to %s, which no application declares", o.rule.GetNamespace(), o.rule.GetName(), o.host)
	}
	want := "kubernetes://" + o.want
	return m.checkProxy(ctx, t, proxyRun{
		dir: "app-egress-" + d.Namespace + "-" + strings.ReplaceAll(o.host, ".", "-"), namespace: d.Namespace, name: d.Name, template: d.Spec.Template,
		checkConfig: func(map[string]any) error { return nil },
		listeners:   nil, listenersFor: "the egress gateway's",
		xds: func(ctx context.Context, agent *istioproc.Agent) error {
			if err := agent.XDS(ctx, "clusters", func(got []map[string]any) error {
				for _, c := range got {
					name, _ := c["name"].(string)
					parts := strings.Split(name, "|")
					if len(parts) != 4 || parts[0] != "outbound" || parts[2] != o.subset || parts[3] != o.host ||
						(o.port != 0 && parts[1] != strconv.Itoa(int(o.port))) {
						continue
					}
					var sds []string
					walk(c, func(obj map[string]any) {
						if n, ok := obj["name"].(string); ok && strings.HasPrefix(n, "kubernetes://") {
							sds = append(sds, n)
						}
					})
					// Sorted: the walk follows the cluster's map keys, in no
					// fixed order.
					slices.Sort(sds)
					if o.mode == "MUTUAL" && !slices.Contains(sds, want) || !slices.ContainsFunc(sds, func(n string) bool { return strings.HasPrefix(n, want) }) {
						return fmt.Errorf("cluster %s takes the SDS secrets %v, want %s", name, sds, want)
					}
					return nil
				}
				return fmt.Errorf("no cluster outbound|%d|%s|%s for DestinationRule %s/%s among %v", o.port, o.subset, o.host, o.rule.GetNamespace(), o.rule.GetName(), resourceNames(got))
			}); err != nil {
				return err
			}
			return agent.XDS(ctx, "secrets", func(got []map[string]any) error {
				if resourceNamed(got, want) == nil && o.mode == "MUTUAL" {
					return fmt.Errorf("istiod sent no secret %s, only %v", want, resourceNames(got))
				}
				return nil
			})
		},
	})
}
