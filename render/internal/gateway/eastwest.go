package gateway

import (
	networkingapi "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CrossNetworkGatewayName names the Istio Gateway of the east-west
// gateway, as upstream's multi-network setup does.
const CrossNetworkGatewayName = "cross-network-gateway"

// CrossNetworkGateway is the east-west gateway's Istio Gateway: on port,
// mutual TLS from other networks' proxies is passed through to the
// cluster's services by SNI (AUTO_PASSTHROUGH), for every service of the
// mesh's domain.
func CrossNetworkGateway(v Values, port int32) *networkingv1.Gateway {
	b := builder{v: v}
	meta := metav1.ObjectMeta{Name: CrossNetworkGatewayName, Namespace: v.Namespace, Labels: v.Meta.Labels(v.Name, b.labels())}
	return &networkingv1.Gateway{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "Gateway"},
		ObjectMeta: meta,
		Spec: networkingapi.Gateway{
			Selector: v.Selector,
			Servers: []*networkingapi.Server{{
				Port:  &networkingapi.Port{Number: uint32(port), Name: "tls", Protocol: "TLS"},
				Tls:   &networkingapi.ServerTLSSettings{Mode: networkingapi.ServerTLSSettings_AUTO_PASSTHROUGH},
				Hosts: []string{"*.local"},
			}},
		},
	}
}
