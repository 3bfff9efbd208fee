// Package waypoint builds the waypoints of ambient namespaces: Gateway
// API Gateways of class istio-waypoint with the HBONE listener, for which
// istiod creates and runs the Envoy deployment. The types hold the fields
// of gateway.networking.k8s.io/v1 that meshrender sets, under their API
// names; the tests check every rendered Gateway against the Gateway API
// CRDs meshrender renders.
package waypoint

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.36.3 --output-file zz_generated.deepcopy.go .

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// APIVersion is the Gateway API version rendered.
const APIVersion = "gateway.networking.k8s.io/v1"

// Istio's names for waypoints.
const (
	// ClassName is the GatewayClass istiod creates for waypoints.
	ClassName = "istio-waypoint"
	// ListenerName and Protocol name the waypoint's one listener, on
	// HBONEPort, as istioctl waypoint generate writes it.
	ListenerName = "mesh"
	Protocol     = "HBONE"
	HBONEPort    = 15008
	// LabelFor is the Gateway label saying which traffic the waypoint
	// handles; LabelUse, on a namespace, Service or pod, names the
	// waypoint its traffic goes through; LabelIngressUse, on a namespace
	// or Service, makes the ingress gateways send its traffic through
	// that waypoint too instead of straight to the pods.
	LabelFor        = "istio.io/waypoint-for"
	LabelUse        = "istio.io/use-waypoint"
	LabelIngressUse = "istio.io/ingress-use-waypoint"
)

// Values of LabelFor.
const (
	ForService  = "service"
	ForWorkload = "workload"
	ForAll      = "all"
	ForNone     = "none"
)

// Gateway is a Gateway API Gateway.
//
// +k8s:deepcopy-gen=true
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type Gateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              GatewaySpec `json:"spec"`
}

// GatewaySpec is a Gateway's class and listeners.
//
// +k8s:deepcopy-gen=true
type GatewaySpec struct {
	GatewayClassName string     `json:"gatewayClassName"`
	Listeners        []Listener `json:"listeners"`
}

// Listener is one listener of a Gateway.
//
// +k8s:deepcopy-gen=true
type Listener struct {
	Name     string `json:"name"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
}

// New is a waypoint: the Gateway named name in namespace, handling the
// traffic for says (one of the For values), with labels, which name the
// revision whose istiod runs it when it has one.
func New(name, namespace, forTraffic string, labels map[string]string) *Gateway {
	l := make(map[string]string, len(labels)+1)
	maps.Copy(l, labels)
	l[LabelFor] = forTraffic
	return &Gateway{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: "Gateway"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: l},
		Spec: GatewaySpec{
			GatewayClassName: ClassName,
			Listeners:        []Listener{{Name: ListenerName, Port: HBONEPort, Protocol: Protocol}},
		},
	}
}
