package v1alpha1

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshrender/meshrender/profiles"
	"github.com/meshrender/meshrender/render/internal/certmanager"
	"github.com/meshrender/meshrender/render/internal/externalsecrets"
	"github.com/meshrender/meshrender/render/internal/waypoint"
	"github.com/meshrender/meshrender/render/internal/ztunnel"
)

// Values accepted by enumerated fields.
const (
	MTLSStrict     = "STRICT"
	MTLSPermissive = "PERMISSIVE"
)

// enums are the values each enumerated field accepts, keyed by the Go
// type and field that hold it. Validation and the JSON Schema both read
// them from here.
var enums = map[string][]string{
	"MeshSpec.Profile":                          append([]string{ProfileDefault}, profiles.Names()...),
	"MeshSpec.Version":                          IstioReleases,
	"Revision.Version":                          IstioReleases,
	"MeshSpec.CompatibilityVersion":             compatibilityVersions(),
	"Revision.CompatibilityVersion":             compatibilityVersions(),
	"MTLS.Mode":                                 {MTLSStrict, MTLSPermissive},
	"MeshSpec.PodSecurity":                      {string(PodSecurityRestricted), string(PodSecurityBaseline), string(PodSecurityPrivileged)},
	"CA.Source":                                 {CASelfSigned, CASecret, CAExternalSecret, CACertManager},
	"SecretStore.Kind":                          {externalsecrets.KindClusterSecretStore, externalsecrets.KindSecretStore},
	"CertificateIssuer.Kind":                    {certmanager.KindClusterIssuer, certmanager.KindIssuer},
	"GatewayCertificate.PrivateKeyAlgorithm":    {"ECDSA", "RSA", "Ed25519"},
	"GatewayService.Type":                       {string(corev1.ServiceTypeLoadBalancer), string(corev1.ServiceTypeNodePort), string(corev1.ServiceTypeClusterIP)},
	"GatewayService.ExternalTrafficPolicy":      trafficPolicies,
	"ZoneServiceOverride.ExternalTrafficPolicy": trafficPolicies,
	"ApplicationTLS.Mode":                       {TLSSimple, TLSMutual, TLSPassthrough},
	"Ztunnel.UpdateStrategy":                    {ztunnel.RollingUpdate, ztunnel.OnDelete},
	"MeshNamespace.DataPlaneMode":               {"", DataPlaneAmbient},
	"Waypoint.For":                              {waypoint.ForService, waypoint.ForWorkload, waypoint.ForAll, waypoint.ForNone},
}

var trafficPolicies = []string{string(corev1.ServiceExternalTrafficPolicyCluster), string(corev1.ServiceExternalTrafficPolicyLocal)}

// Enums returns the values each enumerated field of the config accepts,
// keyed by Go type and field ("MTLS.Mode"). An empty string among them
// means the field may be left out.
func Enums() map[string][]string {
	out := make(map[string][]string, len(enums))
	for k, v := range enums {
		out[k] = slices.Clone(v)
	}
	return out
}

// checkEnum reports a value the enumerated field key does not accept.
func (p *problems) checkEnum(field, key, value string) {
	allowed := enums[key]
	if slices.Contains(allowed, value) {
		return
	}
	p.add(field, "must be %s, got %q", oneOf(allowed), value)
}

// oneOf lists values as "A, B or C".
func oneOf(values []string) string {
	var quoted []string
	for _, v := range values {
		if v != "" {
			quoted = append(quoted, v)
		}
	}
	if len(quoted) < 2 {
		return strings.Join(quoted, "")
	}
	return fmt.Sprintf("%s or %s", strings.Join(quoted[:len(quoted)-1], ", "), quoted[len(quoted)-1])
}
