package naming

import (
	"maps"
	"strings"
	"testing"
)

func TestZonalNamespace(t *testing.T) {
	tests := []struct {
		base, zone, want string
	}{
		{"istio-ingress", "eu-west-1a", "istio-ingress--eu-west-1a"},
		{"istio-ingress-handler-internet", "eu-west-1a", "istio-ingress-handler-internet--eu-west-1a"},
		// Gardener's own test vector: 71 characters before hashing.
		{"extremely-long-default-namespace", "unnecessarily-long-regional-zone-name", "extremely-long-default-namespace--fc5e9"},
		// Exactly 63 characters stays readable.
		{"istio-ingress", strings.Repeat("z", 48), "istio-ingress--" + strings.Repeat("z", 48)},
		{"istio-ingress", strings.Repeat("z", 49), "istio-ingress--" + ZoneHash(strings.Repeat("z", 49))},
		// Not DNS labels: uppercase and dots.
		{"istio-ingress", "EU-WEST-1A", "istio-ingress--" + ZoneHash("EU-WEST-1A")},
		{"istio-ingress", "zone.a", "istio-ingress--" + ZoneHash("zone.a")},
		{"istio-ingress", "1", "istio-ingress--1"},
	}
	for _, tt := range tests {
		if got := ZonalNamespace(tt.base, tt.zone); got != tt.want {
			t.Errorf("ZonalNamespace(%q, %q) = %q, want %q", tt.base, tt.zone, got, tt.want)
		}
		if got := ZonalNamespace(tt.base, tt.zone); len(got) > 63 && len(tt.base) <= 56 {
			t.Errorf("ZonalNamespace(%q, %q) = %q is longer than 63", tt.base, tt.zone, got)
		}
	}
}

func TestZoneHash(t *testing.T) {
	if got := ZoneHash("unnecessarily-long-regional-zone-name"); got != "fc5e9" {
		t.Errorf("ZoneHash = %q, want fc5e9", got)
	}
}

func TestGatewayLabels(t *testing.T) {
	long := strings.Repeat("z", 42)
	tests := []struct {
		name        string
		user        map[string]string
		class, zone string
		want        map[string]string
	}{
		{"default", nil, "", "", map[string]string{"app": "istio-ingressgateway", "istio": "ingressgateway"}},
		{"zonal", nil, "", "eu-west-1a", map[string]string{"app": "istio-ingressgateway", "istio": "ingressgateway--zone--eu-west-1a"}},
		{"uppercase zone keeps the zone", nil, "", "EU-1A", map[string]string{"app": "istio-ingressgateway", "istio": "ingressgateway--zone--EU-1A"}},
		{"zone too long for a label value", nil, "", long, map[string]string{"app": "istio-ingressgateway", "istio": "ingressgateway--zone--" + ZoneHash(long)}},
		{"exposure class", nil, "internet", "", map[string]string{
			"app": "istio-ingressgateway", "gardener.cloud/role": "exposureclass-handler", "handler.exposureclass.gardener.cloud/name": "internet"}},
		{"exposure class zonal", nil, "internet", "eu-west-1b", map[string]string{
			"app": "istio-ingressgateway", "gardener.cloud/role": "exposureclass-handler--zone--eu-west-1b", "handler.exposureclass.gardener.cloud/name": "internet"}},
		{"user labels kept, identity wins", map[string]string{"team": "net", "app": "mine"}, "intranet", "", map[string]string{
			"team": "net", "app": "istio-ingressgateway", "gardener.cloud/role": "exposureclass-handler", "handler.exposureclass.gardener.cloud/name": "intranet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GatewayLabels(tt.user, tt.class, tt.zone); !maps.Equal(got, tt.want) {
				t.Errorf("GatewayLabels = %v, want %v", got, tt.want)
			}
		})
	}
}
