// Package naming derives the names and labels of ingress gateways from
// their zone and exposure class, following Gardener's conventions so that
// existing Istio Gateway resources keep selecting the same pods.
package naming

import (
	"crypto/sha256"
	"encoding/hex"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Label keys and values shared with Gardener's managed Istio.
const (
	LabelApp               = "app"
	LabelIstio             = "istio"
	LabelRole              = "gardener.cloud/role"
	LabelExposureClassName = "handler.exposureclass.gardener.cloud/name"

	AppIngressGateway     = "istio-ingressgateway"
	IstioIngressGateway   = "ingressgateway"
	RoleExposureClass     = "exposureclass-handler"
	ExposureClassNSPrefix = "istio-ingress-handler-"

	// ZoneInfix joins a base name or label value to a zone.
	ZoneInfix = "--zone--"
	// zoneSeparator joins a namespace to a zone.
	zoneSeparator = "--"
	// hashLength is how many hex digits of the zone's SHA-256 stand in for
	// a zone that does not fit.
	hashLength = 5
)

// ZoneHash returns the first five hex digits of the SHA-256 of zone.
func ZoneHash(zone string) string {
	sum := sha256.Sum256([]byte(zone))
	return hex.EncodeToString(sum[:])[:hashLength]
}

// ZonalNamespace returns the namespace of the gateway that base's gateway
// gets in zone: base--zone, or base--<hash> when that would pass 63
// characters or the zone is not a DNS label (uppercase letters, dots).
// Gardener hashes only for length; hashing names that Kubernetes would
// reject anyway keeps every valid Gardener name unchanged.
func ZonalNamespace(base, zone string) string {
	ns := base + zoneSeparator + zone
	if len(ns) <= validation.DNS1123LabelMaxLength && len(validation.IsDNS1123Label(zone)) == 0 {
		return ns
	}
	return base + zoneSeparator + ZoneHash(zone)
}

// ExposureClassNamespace returns the namespace of an exposure class's
// all-zone gateway.
func ExposureClassNamespace(class string) string {
	return ExposureClassNSPrefix + class
}

// ZonalLabelValue returns value--zone--<zone>, the label value that pins a
// gateway's selector to a zone. Gardener always uses the zone as it is;
// when that gives an invalid label value (too long) the zone's hash is
// used instead, so the selector stays valid.
func ZonalLabelValue(value, zone string) string {
	v := value + ZoneInfix + zone
	if len(validation.IsValidLabelValue(v)) == 0 {
		return v
	}
	return value + ZoneInfix + ZoneHash(zone)
}

// GatewayLabels returns the selector labels of an ingress gateway. class is
// empty for the default gateways; zone is empty for all-zone gateways.
// User labels come first; the identifying keys always win, as in Gardener.
func GatewayLabels(user map[string]string, class, zone string) map[string]string {
	out := make(map[string]string, len(user)+3)
	for k, v := range user {
		out[k] = v
	}
	out[LabelApp] = AppIngressGateway
	if class == "" {
		out[LabelIstio] = zoned(IstioIngressGateway, zone)
		return out
	}
	out[LabelRole] = zoned(RoleExposureClass, zone)
	out[LabelExposureClassName] = class
	return out
}

func zoned(value, zone string) string {
	if zone == "" {
		return value
	}
	return ZonalLabelValue(value, zone)
}
