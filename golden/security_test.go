package golden

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// cluster is what NetworkPolicies are evaluated against: the namespaces
// with their labels, the pods, and the policies.
type cluster struct {
	namespaces map[string]map[string]string
	pods       []pod
	policies   []networkingv1.NetworkPolicy
}

// pod is a pod by its namespace and labels.
type pod struct {
	name, namespace string
	labels          map[string]string
}

// source is where a connection comes from: a pod, or an address outside
// the cluster's pods.
type source struct {
	pod *pod
	ip  netip.Addr
}

func fromPod(p pod) source    { return source{pod: &p} }
func fromIP(ip string) source { return source{ip: netip.MustParseAddr(ip)} }
func (s source) String() string {
	return map[bool]string{true: "pod", false: s.ip.String()}[s.pod != nil]
}

// readCluster reads a rendered mesh: its namespaces (with the name label
// the API server adds), its workloads' pods and its NetworkPolicies.
func readCluster(t *testing.T, stream []byte) *cluster {
	t.Helper()
	c := &cluster{namespaces: map[string]map[string]string{}}
	_, objs := decodeObjects(t, stream)
	for _, u := range objs {
		switch u.GetKind() {
		case "Namespace":
			c.addNamespace(u.GetName(), u.GetLabels())
		case "Deployment", "DaemonSet":
			tmpl, err := podTemplate(u)
			if err != nil {
				t.Fatal(err)
			}
			c.pods = append(c.pods, pod{name: u.GetName(), namespace: u.GetNamespace(), labels: tmpl.Labels})
		case "NetworkPolicy":
			var np networkingv1.NetworkPolicy
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &np); err != nil {
				t.Fatal(err)
			}
			c.policies = append(c.policies, np)
		}
	}
	return c
}

func (c *cluster) addNamespace(name string, l map[string]string) {
	all := map[string]string{corev1.LabelMetadataName: name}
	for k, v := range c.namespaces[name] {
		all[k] = v
	}
	for k, v := range l {
		all[k] = v
	}
	c.namespaces[name] = all
}

func (c *cluster) find(t *testing.T, namespace, name string) pod {
	t.Helper()
	for _, p := range c.pods {
		if p.namespace == namespace && p.name == name {
			return p
		}
	}
	t.Fatalf("no pod %s/%s", namespace, name)
	return pod{}
}

func selects(sel metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(&sel)
	if err != nil {
		panic(err)
	}
	return s.Matches(labels.Set(l))
}

// selecting are the ingress policies that select a pod.
func (c *cluster) selecting(p pod) []networkingv1.NetworkPolicy {
	var out []networkingv1.NetworkPolicy
	for _, np := range c.policies {
		if np.Namespace == p.namespace && slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && selects(np.Spec.PodSelector, p.labels) {
			out = append(out, np)
		}
	}
	return out
}

// allowed says whether Kubernetes lets a connection from src to port of
// dst in: a pod no ingress policy selects accepts everything; one that
// some select accepts what one of their rules allows.
func (c *cluster) allowed(src source, dst pod, port int32) bool {
	policies := c.selecting(dst)
	if len(policies) == 0 {
		return true
	}
	for _, np := range policies {
		for _, rule := range np.Spec.Ingress {
			if c.fromMatches(rule.From, src, np.Namespace) && portMatches(rule.Ports, port) {
				return true
			}
		}
	}
	return false
}

func (c *cluster) fromMatches(peers []networkingv1.NetworkPolicyPeer, src source, policyNamespace string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, peer := range peers {
		switch {
		case peer.IPBlock != nil:
			if src.pod == nil && netip.MustParsePrefix(peer.IPBlock.CIDR).Contains(src.ip) {
				return true
			}
		case src.pod == nil:
		case peer.NamespaceSelector != nil:
			if selects(*peer.NamespaceSelector, c.namespaces[src.pod.namespace]) &&
				(peer.PodSelector == nil || selects(*peer.PodSelector, src.pod.labels)) {
				return true
			}
		case peer.PodSelector != nil:
			if src.pod.namespace == policyNamespace && selects(*peer.PodSelector, src.pod.labels) {
				return true
			}
		}
	}
	return false
}

func portMatches(ports []networkingv1.NetworkPolicyPort, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Port != nil && p.Port.IntVal == port {
			return true
		}
	}
	return false
}

// regulated is the example with every part of the security layer.
const regulated = "regulated"

// TestNetworkPoliciesLetInWhatIstioNeeds evaluates the rendered
// NetworkPolicies as Kubernetes does, for the connections Istio needs and
// ones it must not get: a sidecar in a namespace that denies by default
// still reaches istiod, the API server its webhooks, the internet the
// ingress gateways (every zone and class), the mesh the egress gateway;
// the ingress gateways reach the applications, the monitoring namespace
// the metrics; and nothing else gets in.
func TestNetworkPoliciesLetInWhatIstioNeeds(t *testing.T) {
	c := readCluster(t, renderExample(t, exampleNamed(t, regulated)))
	c.addNamespace("monitoring", nil)
	c.addNamespace("other", nil)
	web := pod{name: "web", namespace: "shop", labels: map[string]string{"app": "web"}}
	ledger := pod{name: "ledger", namespace: "payments", labels: map[string]string{"app": "ledger"}}
	prometheus := pod{name: "prometheus", namespace: "monitoring", labels: map[string]string{"app": "prometheus"}}
	stranger := pod{name: "stranger", namespace: "other", labels: map[string]string{"app": "stranger"}}
	c.pods = append(c.pods, web, ledger, prometheus, stranger)
	istiod := c.find(t, "istio-system", "istiod-1-31-4")
	egress := c.find(t, "istio-system", "istio-egressgateway")
	var ingress []pod
	for _, p := range c.pods {
		if p.name == "istio-ingressgateway" {
			ingress = append(ingress, p)
		}
	}
	if len(ingress) != 6 {
		t.Fatalf("%d ingress gateways, want 6: two sets, each all-zone and two zonal", len(ingress))
	}
	apiServer, internet, node := fromIP("10.250.3.4"), fromIP("203.0.113.9"), fromIP("10.0.8.1")

	type conn struct {
		from source
		to   pod
		port int32
		want bool
	}
	conns := []conn{
		{fromPod(web), istiod, 15012, true},
		{fromPod(web), istiod, 15010, true},
		{fromPod(stranger), istiod, 15012, true}, // a sidecar anywhere
		{fromPod(egress), istiod, 15012, true},
		{fromPod(web), istiod, 15017, false},
		{fromPod(web), istiod, 8080, false},
		{fromPod(web), istiod, 15014, false},
		{apiServer, istiod, 15017, true},
		{node, istiod, 15017, false},
		{internet, istiod, 15012, false},
		{fromPod(prometheus), istiod, 15014, true},
		{fromPod(web), egress, 8080, true},
		{fromPod(web), egress, 15443, true},
		{internet, egress, 8443, false},
		{fromPod(prometheus), egress, 15090, true},
		{fromPod(web), egress, 15000, false},
		{fromPod(web), web, 8080, true},
		{fromPod(ledger), web, 8080, false},
		{fromPod(stranger), web, 8080, false},
		{internet, web, 8080, false},
		{fromPod(prometheus), web, 15020, true},
		{fromPod(prometheus), web, 8080, false},
		{fromPod(ledger), ledger, 8080, false}, // payments turned allowSameNamespace off
	}
	for _, g := range ingress {
		conns = append(conns,
			conn{internet, g, 8080, true}, conn{internet, g, 8443, true}, conn{internet, g, 15021, true},
			conn{internet, g, 15000, false}, conn{internet, g, 15020, false},
			conn{fromPod(prometheus), g, 15090, true},
			conn{fromPod(g), web, 8080, true}, conn{fromPod(g), ledger, 8080, true},
		)
	}
	for _, cn := range conns {
		if got := c.allowed(cn.from, cn.to, cn.port); got != cn.want {
			from := cn.from.String()
			if cn.from.pod != nil {
				from = cn.from.pod.namespace + "/" + cn.from.pod.name
			}
			t.Errorf("%s -> %s/%s:%d allowed = %v, want %v", from, cn.to.namespace, cn.to.name, cn.port, got, cn.want)
		}
	}

	// Every policy but deny-by-default selects exactly the pods it is
	// for, and every pod of meshrender's namespaces is selected by its
	// own policy; istio-cni's namespace has none.
	want := map[string]string{"istiod": "istiod", "istio-ingressgateway": "istio-ingressgateway", "istio-egressgateway": "istio-egressgateway"}
	for _, p := range c.pods {
		var names []string
		for _, np := range c.selecting(p) {
			if np.Name != "deny-by-default" {
				names = append(names, np.Name)
			}
		}
		switch {
		case p.namespace == "kube-system":
			if len(names) > 0 || len(c.selecting(p)) > 0 {
				t.Errorf("%s/%s in kube-system is selected by %v", p.namespace, p.name, names)
			}
		case strings.HasPrefix(p.name, "istiod-"):
			if !slices.Equal(names, []string{want["istiod"]}) {
				t.Errorf("istiod pod %s is selected by %v", p.name, names)
			}
		case want[p.name] != "":
			if !slices.Equal(names, []string{want[p.name]}) {
				t.Errorf("%s/%s is selected by %v, want %s", p.namespace, p.name, names, want[p.name])
			}
		}
	}
	// A stray pod in a gateway's namespace is let in by nothing.
	stray := pod{name: "stray", namespace: ingress[1].namespace, labels: map[string]string{"app": "stray"}}
	if c.allowed(internet, stray, 8080) || c.allowed(fromPod(web), stray, 8080) {
		t.Errorf("a stray pod in %s is reachable", stray.namespace)
	}
}

// TestJWTPoliciesSelectTheirGateways: the JWT policies select every
// gateway of the set they are for, zonal copies included, and no other:
// checked against the rendered gateway Deployments' pod labels, in a mesh
// where one exposure class has JWT and another has none.
func TestJWTPoliciesSelectTheirGateways(t *testing.T) {
	jwt := &v1alpha1.JWT{Rules: []v1alpha1.JWTRule{{Issuer: "https://login.example.com"}}, OpenPaths: []string{"/healthz"}}
	out, err := renderYAML(v1alpha1.Mesh{Metadata: v1alpha1.ObjectMeta{Name: "jwt"}, Spec: v1alpha1.MeshSpec{
		Zones:           []string{"a", "b", "c"},
		ExposureClasses: []v1alpha1.ExposureClass{{Name: "partner", JWT: jwt}, {Name: "internal"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	type selector struct{ kind, namespace string }
	var gateways []pod
	policies := map[selector]map[string]string{}
	docs, objs := decodeObjects(t, out)
	for _, u := range objs {
		switch u.GetKind() {
		case "Deployment":
			if u.GetName() == "istio-ingressgateway" {
				tmpl, err := podTemplate(u)
				if err != nil {
					t.Fatal(err)
				}
				gateways = append(gateways, pod{name: u.GetName(), namespace: u.GetNamespace(), labels: tmpl.Labels})
			}
		case "RequestAuthentication", "AuthorizationPolicy":
			sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
			if len(sel) == 0 {
				t.Errorf("%s %s/%s selects every workload of its namespace", u.GetKind(), u.GetNamespace(), u.GetName())
			}
			policies[selector{u.GetKind(), u.GetNamespace()}] = sel
		}
	}
	if len(gateways) != 12 {
		t.Fatalf("%d ingress gateways, want 12", len(gateways))
	}
	for _, g := range gateways {
		forPartner := strings.HasPrefix(g.namespace, "istio-ingress-handler-partner")
		for _, kind := range []string{"RequestAuthentication", "AuthorizationPolicy"} {
			sel, ok := policies[selector{kind, g.namespace}]
			switch {
			case forPartner && !ok:
				t.Errorf("partner gateway %s has no %s", g.namespace, kind)
			case forPartner && !selects(metav1.LabelSelector{MatchLabels: sel}, g.labels):
				t.Errorf("the %s of %s does not select its gateway: %v vs %v", kind, g.namespace, sel, g.labels)
			case !forPartner && ok:
				t.Errorf("gateway %s, of a set without JWT, has a %s", g.namespace, kind)
			}
		}
	}
	// A policy selects no gateway in another namespace either, were it
	// moved there: the zonal and all-zone selectors differ.
	for key, sel := range policies {
		for _, g := range gateways {
			if g.namespace != key.namespace && selects(metav1.LabelSelector{MatchLabels: sel}, g.labels) {
				t.Errorf("the %s of %s would also select the gateway of %s", key.kind, key.namespace, g.namespace)
			}
		}
	}
	// The policies are Istio's: the DENY rule turns away requests without
	// a principal, but for the open paths.
	denies := 0
	for _, doc := range docs {
		if !strings.HasPrefix(string(doc), "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n") {
			continue
		}
		var ap securityv1.AuthorizationPolicy
		if err := yaml.Unmarshal(doc, &ap); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ap.Spec.Action) != "DENY" || len(ap.Spec.Rules) != 1 ||
			!slices.Equal(ap.Spec.Rules[0].From[0].Source.NotRequestPrincipals, []string{"*"}) ||
			!slices.Equal(ap.Spec.Rules[0].To[0].Operation.NotPaths, []string{"/healthz"}) {
			t.Errorf("%s: not a DENY of requests without a principal outside the open paths: %v", ap.Namespace, ap.Spec.String())
		}
		denies++
	}
	if denies != 4 {
		t.Errorf("%d AuthorizationPolicies, want the partner gateways' 4", denies)
	}
}
