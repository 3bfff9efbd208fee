package v1alpha1

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// CheckApplications defaults copies of the applications and validates
// them against the topology of the valid mesh they target, all problems
// at once, each under applications[<namespace>/<name>]. It returns the
// defaulted applications in namespace and name order; apps are left as
// they are.
func CheckApplications(t *Topology, apps []Application) ([]Application, error) {
	var p problems
	if len(apps) > MaxApplications {
		p.add("applications", "%d applications are more than the %d meshrender renders at once", len(apps), MaxApplications)
		return nil, p.err()
	}
	out := make([]Application, len(apps))
	for i := range apps {
		apps[i].DeepCopyInto(&out[i])
		out[i].Default()
	}
	slices.SortStableFunc(out, func(a, b Application) int {
		return cmp.Or(strings.Compare(a.Metadata.Namespace, b.Metadata.Namespace), strings.Compare(a.Metadata.Name, b.Metadata.Name))
	})
	seen := map[string]bool{}
	claims := hostClaims{}
	external := externalHosts{}
	for i := range out {
		a := &out[i]
		f := applicationField(a)
		if seen[a.Key()] {
			p.add(f, "is defined twice; an application's namespace and name are unique")
			continue
		}
		seen[a.Key()] = true
		for j := range a.Spec.Egress {
			if d := &a.Spec.Egress[j]; d.ViaEgressGateway == nil {
				d.ViaEgressGateway = ptr(t.Egress() != nil)
			}
		}
		t.validateApplication(&p, f, a)
		if in := a.Spec.Ingress; in != nil {
			claims.claim(&p, f+".spec.ingress.hosts", f, a.Set(), in.Hosts)
		}
		external.declare(&p, f+".spec.egress", f, a.Spec.Egress)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// applicationField is how messages name an application.
func applicationField(a *Application) string {
	return "applications[" + a.Key() + "]"
}

// Set is the gateway set the application's ingress is on: the exposure
// class, or GatewaySetIngress.
func (a *Application) Set() string {
	if in := a.Spec.Ingress; in != nil && in.Exposure != "" {
		return in.Exposure
	}
	return GatewaySetIngress
}

// GatewaysOf are the ingress gateways of a set, zonal copies included,
// in topology order.
func (t *Topology) GatewaysOf(set string) []*Gateway {
	var out []*Gateway
	for _, g := range t.Ingress() {
		if g.Set == set {
			out = append(out, g)
		}
	}
	return out
}

func (t *Topology) validateApplication(p *problems, f string, a *Application) {
	if a.APIVersion != APIVersion {
		p.add(f+".apiVersion", "must be %q, got %q", APIVersion, a.APIVersion)
	}
	if a.Kind != ApplicationKind {
		p.add(f+".kind", "must be %q, got %q", ApplicationKind, a.Kind)
	}
	if a.Metadata.Name == "" {
		p.add(f+".metadata.name", "must not be empty")
	}
	for _, msg := range validation.IsDNS1123Label(a.Metadata.Name) {
		if a.Metadata.Name != "" {
			p.add(f+".metadata.name", "%q is not a valid name: %s", a.Metadata.Name, msg)
		}
	}
	t.validateApplicationNamespace(p, f+".metadata.namespace", a.Metadata.Namespace)
	validateLabels(p, f+".spec.selector", a.Spec.Selector)
	if in := a.Spec.Ingress; in != nil {
		t.validateApplicationIngress(p, f+".spec.ingress", a, in)
	}
	if m := a.Spec.Mesh; m != nil {
		validateApplicationMesh(p, f+".spec.mesh", m)
	}
	t.validateApplicationEgress(p, f+".spec.egress", a)
	t.validateApplicationAmbient(p, f, a)
}

// validateApplicationAmbient checks what an application in an ambient
// namespace needs of the namespace's waypoint: only a waypoint enforces L7
// policy and routes, and ztunnel, which carries the rest, fails closed on
// a policy it cannot check.
func (t *Topology) validateApplicationAmbient(p *problems, f string, a *Application) {
	ns := a.Metadata.Namespace
	if !t.spec.InAmbient(ns) {
		return
	}
	field := "spec.namespaces"
	for i, n := range t.spec.Namespaces {
		if n.Name == ns {
			field = fmt.Sprintf("spec.namespaces[%d]", i)
		}
	}
	w := t.spec.NamespaceWaypoint(ns)
	if in := a.Spec.Ingress; in != nil && len(in.Claims) > 0 && (w == nil || !w.Ingress) {
		p.add(f+".spec.ingress.claims", "%q is an ambient namespace, where only a waypoint checks claims, and the gateways' requests reach its pods through none; give %s a waypoint with usedByNamespace and ingress", ns, field)
	}
	if m := a.Spec.Mesh; m != nil && len(m.AllowedNamespaces) > 0 && w != nil {
		if in := a.Spec.Ingress; in == nil || len(in.Routes) == 0 {
			p.add(f+".spec.mesh.allowedNamespaces", "in %q callers come through the waypoint %q, which checks them on the application's Services, and the application routes to none", ns, w.Name)
		}
	}
	for i := range a.Spec.Egress {
		if a.Spec.Egress[i].Routed() && w == nil {
			p.add(fmt.Sprintf("%s.spec.egress[%d]", f, i), "%q is an ambient namespace, where only a waypoint routes requests to the egress gateway, and its services use none; give %s a waypoint with usedByNamespace", ns, field)
		}
	}
}

// validateApplicationNamespace checks that an application lives in an
// application namespace of the mesh, which every one of them injects.
func (t *Topology) validateApplicationNamespace(p *problems, f, ns string) {
	if ns == "" {
		p.add(f, "must name the application's namespace, one of the mesh's spec.namespaces")
		return
	}
	var names []string
	for _, n := range t.spec.Namespaces {
		if n.Name == ns {
			return
		}
		names = append(names, n.Name)
	}
	p.add(f, "%q is not an application namespace of the mesh; it has %s", ns, quotedOrNone(names))
}

// quotedOrNone lists names quoted, or says there are none.
func quotedOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func (t *Topology) validateApplicationIngress(p *problems, f string, a *Application, in *ApplicationIngress) {
	if len(in.Hosts) == 0 {
		p.add(f+".hosts", "needs at least one host")
	}
	hosts := map[string]int{}
	for i, h := range in.Hosts {
		hf := fmt.Sprintf("%s.hosts[%d]", f, i)
		validateHost(p, hf, h)
		if j, ok := hosts[h]; ok {
			p.add(hf, "duplicate host %q (also %s.hosts[%d])", h, f, j)
		}
		hosts[h] = i
	}
	gateways := t.GatewaysOf(a.Set())
	if len(gateways) == 0 {
		if in.Exposure == "" {
			p.add(f+".exposure", "is empty, which means the mesh's ingress gateways, and spec.ingress.enabled is false")
		} else {
			var classes []string
			for _, c := range t.spec.ExposureClasses {
				classes = append(classes, c.Name)
			}
			p.add(f+".exposure", "unknown exposure class %q; the mesh has %s", in.Exposure, quotedOrNone(classes))
		}
	}
	if in.Port < 1 || in.Port > 65535 {
		p.add(f+".port", "must be between 1 and 65535, got %d", in.Port)
	} else if len(gateways) > 0 && !slices.ContainsFunc(gateways[0].Ports, func(gp GatewayPort) bool { return gp.Port == in.Port }) {
		var ports []string
		for _, gp := range gateways[0].Ports {
			ports = append(ports, fmt.Sprint(gp.Port))
		}
		p.add(f+".port", "the gateways of %q do not expose port %d; they expose %s", a.Set(), in.Port, strings.Join(ports, ", "))
	}
	t.validateApplicationTLS(p, f+".tls", a, &in.TLS)
	t.validateCertificateCovers(p, f, a, in)
	passthrough := in.TLS.Mode == TLSPassthrough
	if len(in.Routes) == 0 {
		p.add(f+".routes", "needs at least one route")
	}
	for i := range in.Routes {
		validateRoute(p, fmt.Sprintf("%s.routes[%d]", f, i), &in.Routes[i], passthrough)
	}
	if len(in.Claims) > 0 {
		cf := f + ".claims"
		if passthrough {
			p.add(cf, "a PASSTHROUGH host's requests stay encrypted, so no token is read; claims need SIMPLE or MUTUAL")
		}
		for _, name := range sortedKeys(in.Claims) {
			if name == "" || strings.ContainsAny(name, "[]") {
				p.add(cf, "%q is not a claim name", name)
			}
			if len(in.Claims[name]) == 0 {
				p.add(cf+"["+name+"]", "needs at least one value")
			}
		}
		if len(gateways) > 0 {
			validateClaimsJWT(p, cf, a.Set(), gateways[0].JWT)
		}
	}
}

// validateClaimsJWT checks that the gateways of a set check end users'
// tokens and pass them on, so the application can read their claims.
func validateClaimsJWT(p *problems, f, set string, j *JWT) {
	if j == nil {
		p.add(f, "the gateways of %q check no end-user tokens (the mesh sets no jwt for them), so no request would carry claims", set)
		return
	}
	if !slices.ContainsFunc(j.Rules, func(r JWTRule) bool { return r.ForwardOriginalToken }) {
		p.add(f, "the gateways of %q remove the token once checked (no JWT rule sets forwardOriginalToken), so the application could not read its claims", set)
	}
}

func (t *Topology) validateApplicationTLS(p *problems, f string, a *Application, tls *ApplicationTLS) {
	p.checkEnum(f+".mode", "ApplicationTLS.Mode", tls.Mode)
	if s := tls.SecretName; s != "" {
		for _, msg := range validation.IsDNS1123Subdomain(s) {
			p.add(f+".secretName", "%q is not a Secret name: %s", s, msg)
		}
		if tls.Mode == TLSPassthrough {
			p.add(f+".secretName", "PASSTHROUGH hosts serve the application's own certificate; the gateways read no Secret")
		}
	}
	if a.Issued() && t.spec.Certificates.Issuer.isZero() {
		p.add(f+".secretName", "is empty, so the certificate would come from the mesh's issuer, and the mesh has none (spec.certificates.issuer); name an existing Secret")
	}
	switch {
	case tls.Mode == TLSMutual && tls.ClientCA == nil:
		p.add(f+".clientCA", "MUTUAL needs the CA that signs client certificates: a Secret with ca.crt, such as %q", a.CredentialName()+"-cacert")
	case tls.Mode != TLSMutual && tls.ClientCA != nil:
		p.add(f+".clientCA", "only MUTUAL checks client certificates; the mode is %s", tls.Mode)
	case tls.ClientCA != nil:
		s := tls.ClientCA.SecretName
		if s == "" {
			p.add(f+".clientCA.secretName", "must name the Secret with ca.crt")
		}
		for _, msg := range validation.IsDNS1123Subdomain(s) {
			if s != "" {
				p.add(f+".clientCA.secretName", "%q is not a Secret name: %s", s, msg)
			}
		}
	}
}

// validateCertificateCovers checks an existing Secret that is the Mesh's
// own gateway certificate (spec.certificates.gateways): it must be one
// of the application's gateway set, whose namespaces hold it, and its
// dnsNames must cover every host, or clients would reject the
// certificate the gateways serve.
func (t *Topology) validateCertificateCovers(p *problems, f string, a *Application, in *ApplicationIngress) {
	secret := in.TLS.SecretName
	if secret == "" || in.TLS.Mode == TLSPassthrough {
		return
	}
	var elsewhere []string
	for i, c := range t.spec.Certificates.Gateways {
		name := c.SecretName
		if name == "" {
			name = c.Name
		}
		if name != secret {
			continue
		}
		cf := fmt.Sprintf("spec.certificates.gateways[%d]", i)
		if c.Gateway != a.Set() {
			elsewhere = append(elsewhere, fmt.Sprintf("%s of the gateways of %q", cf, c.Gateway))
			continue
		}
		for j, h := range in.Hosts {
			if !slices.ContainsFunc(c.DNSNames, func(d string) bool { return certificateCovers(d, h) }) {
				p.add(fmt.Sprintf("%s.hosts[%d]", f, j), "host %q is not among the dnsNames of the mesh's certificate %q (%s), which serves it: %s", h, c.Name, cf, strings.Join(c.DNSNames, ", "))
			}
		}
		return
	}
	if len(elsewhere) > 0 {
		p.add(f+".tls.secretName", "Secret %q is the certificate %s; the gateways of %q read Secrets only from their own namespaces", secret, strings.Join(elsewhere, " and "), a.Set())
	}
}

// certificateCovers reports whether a certificate's DNS name is valid for
// a host as TLS clients check it (RFC 6125): the same name, or a wildcard
// standing for exactly the host's first label. A wildcard host is covered
// only by the same wildcard.
func certificateCovers(dnsName, host string) bool {
	if strings.EqualFold(dnsName, host) {
		return true
	}
	suffix, ok := strings.CutPrefix(dnsName, "*.")
	if !ok || strings.HasPrefix(host, "*") {
		return false
	}
	_, rest, found := strings.Cut(host, ".")
	return found && strings.EqualFold(rest, suffix)
}

// validateHost checks a host: a DNS name, or one with a leading "*."
// wildcard.
func validateHost(p *problems, f, h string) {
	name := strings.TrimPrefix(h, "*.")
	if h == "" {
		p.add(f, "must not be empty")
		return
	}
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		p.add(f, "%q is not a host name (a DNS name, or one with a leading *.): %s", h, msg)
	}
}

func validateRoute(p *problems, f string, r *Route, passthrough bool) {
	if passthrough && (r.Match != nil || r.Timeout != nil || r.Retries != nil) {
		p.add(f, "is an http route (it matches paths, sets a timeout or retries), and the host is PASSTHROUGH: the gateways see only the TLS server name; route it by destination alone")
	}
	if m := r.Match; m != nil {
		switch {
		case m.PathPrefix != "" && m.PathExact != "":
			p.add(f+".match", "takes pathPrefix or pathExact, not both")
		case m.PathPrefix == "" && m.PathExact == "":
			p.add(f+".match", "needs pathPrefix or pathExact; leave match out to match every request")
		}
		for _, path := range []struct{ name, value string }{{"pathPrefix", m.PathPrefix}, {"pathExact", m.PathExact}} {
			if path.value != "" && !strings.HasPrefix(path.value, "/") {
				p.add(f+".match."+path.name, "%q is not a path; it starts with /", path.value)
			}
		}
	}
	d := &r.Destination
	df := f + ".destination"
	if d.Service == "" {
		p.add(df+".service", "must name a Service of the application's namespace")
	}
	for _, msg := range validation.IsDNS1123Label(d.Service) {
		if d.Service != "" {
			p.add(df+".service", "%q is not a Service name: %s", d.Service, msg)
		}
	}
	if d.Port < 1 || d.Port > 65535 {
		p.add(df+".port", "must be between 1 and 65535, got %d", d.Port)
	}
	if d.TargetPort < 1 || d.TargetPort > 65535 {
		p.add(df+".targetPort", "must be between 1 and 65535, got %d", d.TargetPort)
	}
	if len(d.Versions) > 0 {
		sum := int32(0)
		seen := map[string]int{}
		for i, v := range d.Versions {
			vf := fmt.Sprintf("%s.versions[%d]", df, i)
			if v.Name == "" {
				p.add(vf+".name", "must name the version, the pods' version label")
			}
			for _, msg := range validation.IsValidLabelValue(v.Name) {
				p.add(vf+".name", "%q is not a version label value: %s", v.Name, msg)
			}
			if j, ok := seen[v.Name]; ok {
				p.add(vf+".name", "duplicate version %q (also %s.versions[%d])", v.Name, df, j)
			}
			seen[v.Name] = i
			if v.Weight < 0 || v.Weight > 100 {
				p.add(vf+".weight", "must be between 0 and 100, got %d", v.Weight)
			}
			sum += v.Weight
		}
		if sum != 100 {
			p.add(df+".versions", "weights add up to %d, not 100", sum)
		}
	}
	checkPositive(p, f+".timeout", r.Timeout)
	if rt := r.Retries; rt != nil {
		if rt.Attempts < 1 {
			p.add(f+".retries.attempts", "must be at least 1, got %d", rt.Attempts)
		}
		checkPositive(p, f+".retries.perTryTimeout", rt.PerTryTimeout)
	}
}

// checkPositive reports a duration that is set and not positive.
func checkPositive(p *problems, f string, d *metav1.Duration) {
	if d != nil && d.Duration <= 0 {
		p.add(f, "must be positive, got %s", d.Duration)
	}
}

func validateApplicationMesh(p *problems, f string, m *ApplicationMesh) {
	if c := m.ConnectionPool; c != nil {
		for _, v := range []struct {
			name  string
			value int32
		}{{"maxConnections", c.MaxConnections}, {"maxPendingRequests", c.MaxPendingRequests}, {"maxRequestsPerConnection", c.MaxRequestsPerConnection}} {
			if v.value < 0 {
				p.add(f+".connectionPool."+v.name, "must not be negative, got %d", v.value)
			}
		}
	}
	if o := m.OutlierDetection; o != nil {
		if o.Consecutive5xxErrors < 0 {
			p.add(f+".outlierDetection.consecutive5xxErrors", "must not be negative, got %d", o.Consecutive5xxErrors)
		}
		if o.MaxEjectionPercent < 0 || o.MaxEjectionPercent > 100 {
			p.add(f+".outlierDetection.maxEjectionPercent", "must be between 0 and 100, got %d", o.MaxEjectionPercent)
		}
		checkPositive(p, f+".outlierDetection.interval", o.Interval)
		checkPositive(p, f+".outlierDetection.baseEjectionTime", o.BaseEjectionTime)
	}
	for i, ns := range m.AllowedNamespaces {
		for _, msg := range validation.IsDNS1123Label(ns) {
			p.add(fmt.Sprintf("%s.allowedNamespaces[%d]", f, i), "%q is not a namespace name: %s", ns, msg)
		}
	}
}

// hostClaims are the hosts applications claim on each gateway set, and
// which application claims each.
type hostClaims map[string][]hostClaim

type hostClaim struct {
	host, owner string
}

// claim records an application's hosts on a set, reporting a host
// another application claims there, or one that a wildcard of either
// covers.
func (c hostClaims) claim(p *problems, f, owner, set string, hosts []string) {
	for i, h := range hosts {
		for _, other := range c[set] {
			switch {
			case other.host == h:
				p.add(fmt.Sprintf("%s[%d]", f, i), "host %q is also claimed by %s on the gateways of %q", h, other.owner, set)
			case hostsOverlap(h, other.host):
				p.add(fmt.Sprintf("%s[%d]", f, i), "host %q overlaps host %q of %s on the gateways of %q", h, other.host, other.owner, set)
			}
		}
	}
	for _, h := range hosts {
		c[set] = append(c[set], hostClaim{host: h, owner: owner})
	}
}

// hostsOverlap reports whether a wildcard of one host covers the other,
// as Istio matches a wildcard: any name ending in its suffix.
func hostsOverlap(a, b string) bool {
	covers := func(w, h string) bool {
		suffix, ok := strings.CutPrefix(w, "*")
		return ok && strings.HasSuffix(strings.TrimPrefix(h, "*"), suffix)
	}
	return covers(a, b) || covers(b, a)
}
