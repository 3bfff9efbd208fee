package v1alpha1_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/meshrender/meshrender/render/internal/naming"
)

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		spec string
		// want lists "field: message substring" entries that must all
		// appear, and nothing else.
		want []string
	}{
		{"unsupported version", `version: 1.29.0`, []string{`spec.version: Istio "1.29.0" is not a release meshrender renders; it renders 1.30.0–1.30.8 and 1.31.0–1.31.4`}},
		{"unknown profile", `profile: tiny`, []string{`spec.profile: unknown profile "tiny"`}},
		{"revision default", `revision: default`, []string{`spec.revision: "default" names the unrevisioned`}},
		{"revision not a label", `revision: 1.30.3`, []string{`spec.revision: "1.30.3" is not a DNS label`}},
		{"revision too long", `revision: ` + strings.Repeat("r", 57), []string{`is longer than 56 characters; istiod-rrrr`}},
		{"bad hub", `registry: {hub: "Registry.example/Istio/"}`, []string{`spec.registry.hub: "Registry.example/Istio/" is not a registry`}},
		{"bad tag", `registry: {tag: "1.30.3:x"}`, []string{`spec.registry.tag: "1.30.3:x" is not a valid image tag`}},
		{"variant makes the tag too long", `registry: {tag: "` + strings.Repeat("t", 120) + `", variant: distroless}`, []string{`spec.registry.variant: "distroless" does not make a valid image tag`}},
		{"bad digest", `registry: {digests: {pilot: "sha256:abc"}}`, []string{`spec.registry.digests[pilot]: "sha256:abc" is not a digest`}},
		{"unknown image digest", `registry: {digests: {waypoint: "sha256:` + strings.Repeat("a", 64) + `"}}`, []string{`spec.registry.digests[waypoint]: unknown image "waypoint"`}},
		{"ambient namespace without ambient", `namespaces: [{name: shop, dataPlaneMode: ambient}]`, []string{`spec.namespaces[0].dataPlaneMode: ambient namespaces need spec.ambient.enabled`}},
		{"ambient namespace injected", "ambient: {enabled: true}\nnamespaces: [{name: shop, dataPlaneMode: ambient, istioInjection: true}]", []string{`spec.namespaces[0]: an ambient namespace's pods are not injected; it takes neither revision nor istioInjection`}},
		{"data-plane mode", "ambient: {enabled: true}\nnamespaces: [{name: shop, dataPlaneMode: sidecar, istioInjection: true}]", []string{`spec.namespaces[0].dataPlaneMode: must be ambient, got "sidecar"`}},
		{"ambient without istio-cni", "ambient: {enabled: true}\ncni: {enabled: false}", []string{`spec.ambient.enabled: ambient needs istio-cni to redirect pods' traffic to ztunnel, and spec.cni.enabled is false`}},
		{"ztunnel without ambient", "ambient: {ztunnel: {updateStrategy: OnDelete}}", []string{`spec.ambient.ztunnel: tunes ztunnel, which runs only with spec.ambient.enabled`}},
		{"ztunnel update strategy", "ambient: {enabled: true, ztunnel: {updateStrategy: Recreate}}", []string{`spec.ambient.ztunnel.updateStrategy: must be RollingUpdate or OnDelete, got "Recreate"`}},
		{"multi-cluster names", "multiCluster: {clusterName: 'eu 1', network: 'net/a', meshID: '-x'}\nmeshConfig: {defaultConfig: {meshId: other}}", []string{
			`spec.multiCluster.clusterName: "eu 1" is not a valid label value`,
			`spec.multiCluster.meshID: "-x" is not a valid label value`,
			`spec.multiCluster.network: "net/a" is not a valid label value`,
			`spec.meshConfig.defaultConfig.meshId: set spec.multiCluster.meshID instead, which the injector and gateways read too`,
		}},
		{"east-west gateway", "multiCluster: {eastWestGateway: {enabled: true, namespace: A, service: {type: ExternalName}}}\nexposureClasses: [{name: eastwest}]", []string{
			`spec.multiCluster.eastWestGateway.enabled: an east-west gateway joins the cluster's network to others; set spec.multiCluster.network`,
			`spec.multiCluster.eastWestGateway.namespace: "A" is not`,
			`spec.multiCluster.eastWestGateway.service.type: must be LoadBalancer, NodePort or ClusterIP, got "ExternalName"`,
			`spec.exposureClasses[0].name: "eastwest" names the gateway set of spec.multiCluster.eastWestGateway; choose another name`,
		}},
		{"remote clusters without a store", "multiCluster: {clusterName: eu1, remoteClusters: [eu2, eu1, eu2, EU3]}\nistiod: {ca: {source: ExternalSecret}}", []string{
			`spec.multiCluster.remoteClusters[1]: "eu1" is this cluster (spec.multiCluster.clusterName); istiod reads its own cluster without a remote secret`,
			`spec.multiCluster.remoteClusters[2]: duplicate cluster "eu2"`,
			`spec.multiCluster.remoteClusters[3]: "EU3" is not a DNS label`,
			"spec.secretStore.name: the remote secrets of spec.multiCluster.remoteClusters come from a secret store; name it, or leave remoteClusters empty and apply the output of `meshrender remote-secret` for each",
			`spec.secretStore.name: spec.istiod.ca.source ExternalSecret reads cacerts from a secret store; name it`,
		}},
		{"secret store and CA", "secretStore: {name: Vault_, kind: Store, refreshInterval: -1s}\nistiod: {ca: {source: Vault, key: k}}", []string{
			`spec.istiod.ca.source: must be SelfSigned, Secret, ExternalSecret or CertManager, got "Vault"`,
			`spec.istiod.ca.key: names a key of the secret store, read only when spec.istiod.ca.source is ExternalSecret`,
			`spec.secretStore.name: "Vault_" is not a store name`,
			`spec.secretStore.kind: must be ClusterSecretStore or SecretStore, got "Store"`,
			`spec.secretStore.refreshInterval: must not be negative`,
		}},
		{"intermediate CA without an issuer", "istiod: {ca: {source: CertManager}}", []string{
			`spec.istiod.ca.source: CertManager issues istiod's intermediate from spec.certificates.issuer; configure it`,
		}},
		{"intermediate CA from an Issuer", "istiod: {ca: {source: CertManager}}\ncertificates: {issuer: {kind: Issuer, vault: {server: 'https://v.example.com', path: pki/sign/istio, role: r}}, gateways: [{name: c, gateway: ingress, dnsNames: [a.example.com]}]}", []string{
			`spec.istiod.ca.source: CertManager needs spec.certificates.issuer.kind ClusterIssuer: an Issuer is rendered only in the gateways' namespaces`,
		}},
		{"waypoint without a revision", "revision: blue\nambient: {enabled: true}\nnamespaces: [{name: shop, dataPlaneMode: ambient, waypoints: [{name: waypoint}]}]", []string{`spec.namespaces[0].waypoints[0].revision: every control plane has a revision and none is tagged "default"; name the revision or tag whose istiod runs the waypoint`}},
		{"waypoint without injection", "ambient: {enabled: true}\ninjection: {enabled: false}\nnamespaces: [{name: shop, dataPlaneMode: ambient, waypoints: [{name: waypoint}]}]", []string{`spec.namespaces[0].waypoints: istiod deploys waypoints from the injector's templates, and spec.injection.enabled is false`}},
		{"waypoint of a sidecar namespace", "namespaces: [{name: shop, istioInjection: true, waypoints: [{name: waypoint}]}]", []string{`spec.namespaces[0].waypoints: waypoints serve ambient namespaces, and "shop" is not one (dataPlaneMode: ambient)`}},
		{"waypoints", "ambient: {enabled: true}\nnamespaces: [{name: shop, dataPlaneMode: ambient, waypoints: [{name: w, usedByNamespace: true}, {name: w, for: pods}, {name: 1x, usedByNamespace: true, revision: canary}, {name: x, ingress: true}]}]", []string{
			`spec.namespaces[0].waypoints[1].name: duplicate waypoint "w" (also spec.namespaces[0].waypoints[0])`,
			`spec.namespaces[0].waypoints[1].for: must be service, workload, all or none, got "pods"`,
			`spec.namespaces[0].waypoints[2].name: "1x" names the waypoint's Service, which must be a DNS-1035 label: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character`,
			`spec.namespaces[0].waypoints[2].usedByNamespace: the namespace already uses spec.namespaces[0].waypoints[0]; a namespace's traffic goes through one waypoint`,
			`spec.namespaces[0].waypoints[2].revision: "canary" is neither a revision nor a tag; revisions are [], tags []`,
			`spec.namespaces[0].waypoints[3].ingress: sends the ingress gateways' traffic for the namespace through the waypoint, which needs usedByNamespace`,
		}},
		{"ztunnel in istiod's namespace", "ambient: {enabled: true}\ncni: {namespace: istio-system}", []string{`spec.cni.namespace: "istio-system" is istiod's namespace, which is Pod Security restricted; istio-cni needs a privileged namespace of its own`}},
		{"duplicate pull secret", `registry: {pullSecrets: [a, a]}`, []string{`spec.registry.pullSecrets[1]: duplicate pull secret "a"`}},
		{"bad pull secret", `registry: {pullSecrets: [A_B]}`, []string{`spec.registry.pullSecrets[0]: "A_B" is not a Secret name`}},
		{"mtls mode", `mtls: {mode: DISABLE}`, []string{`spec.mtls.mode: must be STRICT or PERMISSIVE, got "DISABLE"`}},
		{"duplicate zone", `zones: [eu-west-1a, eu-west-1b, eu-west-1a]`, []string{`spec.zones[2]: duplicate zone "eu-west-1a" (also spec.zones[0])`}},
		{"empty zone", `zones: [a, ""]`, []string{`spec.zones[1]: zone must not be empty`}},
		{"zone not a label value", `zones: ["a b", c]`, []string{`spec.zones[0]: "a b" cannot be a topology.kubernetes.io/zone label value`}},
		{"istiod namespace", `istiod: {namespace: Istio}`, []string{`spec.istiod.namespace: "Istio" is not a namespace name`}},
		{"replicas min", `istiod: {replicas: {min: 0, max: 3}}`, []string{`spec.istiod.replicas.min: must be at least 1, got 0`}},
		{"replicas max below min", `ingress: {replicas: {min: 4, max: 2}}`, []string{`spec.ingress.replicas.max: must be at least min (4), got 2`}},
		{"replicas overflow", "zones: [a, b]\ningress: {replicas: {min: 1, max: 6000}}", []string{`spec.ingress.replicas.max: 6000 replicas times 2 zones is more than 10000`}},
		{"requests above limits", `ingress: {resources: {requests: {cpu: "3"}, limits: {cpu: "2"}}}`, []string{`spec.ingress.resources.requests.cpu: request 3 is more than the limit 2`}},
		{"service type", `ingress: {service: {type: ExternalName}}`, []string{`spec.ingress.service.type: must be LoadBalancer, NodePort or ClusterIP, got "ExternalName"`}},
		{"traffic policy", `ingress: {service: {externalTrafficPolicy: Nearest}}`, []string{`spec.ingress.service.externalTrafficPolicy: must be Cluster or Local, got "Nearest"`}},
		{"traffic policy on ClusterIP", `ingress: {service: {type: ClusterIP, externalTrafficPolicy: Local}}`, []string{`spec.ingress.service.externalTrafficPolicy: a ClusterIP Service has no external traffic policy`}},
		{"load balancer class on NodePort", `ingress: {service: {type: NodePort, loadBalancerClass: example.com/lb}}`, []string{`spec.ingress.service.loadBalancerClass: only a LoadBalancer Service takes a load balancer class`}},
		{"annotation key", `ingress: {service: {annotations: {"bad key": x}}}`, []string{`spec.ingress.service.annotations: "bad key" is not a valid annotation key`}},
		{"ingress namespace", `ingress: {namespace: ""}`, nil}, // empty is defaulted
		{"port name", `ingress: {ports: [{name: a_b, port: 80, targetPort: 8080}]}`, []string{`spec.ingress.ports[0].name: "a_b" is not a port name`}},
		{"privileged target port", `ingress: {ports: [{name: http, port: 80, targetPort: 80}]}`, []string{`spec.ingress.ports[0].targetPort: must be between 1024 and 65535, got 80`}},
		{"reserved target port", `ingress: {ports: [{name: http, port: 80, targetPort: 15090}]}`, []string{`spec.ingress.ports[0].targetPort: 15090 is the proxy's Envoy metrics port`}},
		{"status port taken", `ingress: {ports: [{name: status-port, port: 15021, targetPort: 8080}]}`, []string{`spec.ingress.ports[0].name: "status-port" is the health check port`, `spec.ingress.ports[0].port: 15021 is the health check port`}},
		{"duplicate ports", `ingress: {ports: [{name: a, port: 80, targetPort: 8080}, {name: a, port: 80, targetPort: 8081}]}`, []string{`spec.ingress.ports[1].name: duplicate port name "a"`, `spec.ingress.ports[1].port: duplicate port 80`}},
		{"override for unknown zone", "zones: [a, b]\ningress: {zoneOverrides: [{zone: c}]}", []string{`spec.ingress.zoneOverrides[0].zone: unknown zone "c"`}},
		{"duplicate override", "zones: [a, b]\ningress: {zoneOverrides: [{zone: a}, {zone: a}]}", []string{`spec.ingress.zoneOverrides[1].zone: zone "a" is already overridden by spec.ingress.zoneOverrides[0]`}},
		{"class name", `exposureClasses: [{name: Internet}]`, []string{`spec.exposureClasses[0].name: "Internet" is not a DNS label`}},
		{"class name with --", `exposureClasses: [{name: a--b}]`, []string{`spec.exposureClasses[0].name: "a--b" must not contain "--"`}},
		{"empty class name", `exposureClasses: [{name: ""}]`, []string{`spec.exposureClasses[0].name: must not be empty`}},
		{"duplicate class", `exposureClasses: [{name: a}, {name: a}]`, []string{`spec.exposureClasses[1].name: duplicate exposure class "a" (also spec.exposureClasses[0])`}},
		{"class label overrides identity", `exposureClasses: [{name: a, labels: {app: x}}]`, []string{`spec.exposureClasses[0].labels: "app" identifies the gateway`}},
		{"class label value", `exposureClasses: [{name: a, labels: {team: "a b"}}]`, []string{`spec.exposureClasses[0].labels[team]: "a b" is not a valid label value`}},
		{"class namespace too long", `exposureClasses: [{name: ` + strings.Repeat("c", 42) + `}]`, []string{`spec.exposureClasses[0]: gateway namespace "istio-ingress-handler-cccc`}},
		{"zonal namespace cannot be hashed short enough", "zones: [a, b]\nexposureClasses: [{name: " + strings.Repeat("c", 40) + "}]", []string{
			`spec.exposureClasses[0] (zone a): gateway namespace "istio-ingress-handler-` + strings.Repeat("c", 40) + `--` + naming.ZoneHash("a") + `" is not valid even with the zone hashed`,
			`spec.exposureClasses[0] (zone b): gateway namespace`}},
		{"class collides with ingress namespace", "ingress: {namespace: istio-ingress-handler-internet}\nexposureClasses: [{name: internet}]", []string{
			`spec.exposureClasses[0]: gateway namespace "istio-ingress-handler-internet" is already used by the gateway of spec.ingress`}},
		{"double dash keeps zonal and class namespaces apart", "zones: [internet, b]\ningress: {namespace: istio-ingress-handler}\nexposureClasses: [{name: x}]", nil},
		{"system namespace", `istiod: {namespace: kube-system}`, []string{`spec.istiod.namespace: "kube-system" is a system namespace`}},
		{"classes without ingress", "ingress: {enabled: false}\nexposureClasses: [{name: x}]", []string{`spec.exposureClasses: exposure classes need ingress gateways`}},
		{"minimal profile with classes", "profile: minimal\nzones: [a, b]\ningress: {zoneOverrides: [{zone: a}]}", []string{`spec.ingress.zoneOverrides: zone overrides need ingress gateways`}},
		{"ClusterIP class does not inherit load balancer settings", "ingress: {service: {externalTrafficPolicy: Local, loadBalancerClass: example.com/lb}}\nexposureClasses: [{name: internal, service: {type: ClusterIP}}]", nil},
		{"outbound policy", `meshConfig: {outboundTrafficPolicy: {mode: DENY}}`, []string{`spec.meshConfig.outboundTrafficPolicy.mode: `}},
		{"mesh config fields of a newer release", "version: 1.30.8\nmeshConfig: {serviceEntryVisibility: {defaultVisibility: NAMESPACE}, defaultConfig: {connectionSettings: {}}, accessLogFile: /dev/stdout}", []string{
			`spec.meshConfig.defaultConfig.connectionSettings: unknown field in Istio 1.30`,
			`spec.meshConfig.serviceEntryVisibility: unknown field in Istio 1.30, the release of the control plane (1.30.8), which reads the mesh config; set it once every control plane runs a release that has it`}},
		{"mesh config fields of 1.31 on 1.31", "meshConfig: {serviceEntryVisibility: {defaultVisibility: NAMESPACE}, defaultTrafficPolicy: {connectionPool: {http: {http2KeepAlive: {interval: 30s}}}}, localityLbSetting: {enabled: true}}", nil},
		{"mesh config read by revisions of two releases", "revisions: [{name: old, version: 1.30.8}, {name: new, version: 1.31.4}, {name: older, version: 1.30.0}]\ntags: {default: old}\nmeshConfig: {defaultTrafficPolicy: {}, zoneAwareLbSetting: {enabled: true}}", []string{
			`spec.meshConfig.defaultTrafficPolicy: unknown field in Istio 1.30, the release of revision "old" (1.30.8)`,
			`spec.meshConfig.zoneAwareLbSetting: unknown field in Istio 1.30, the release of revision "old" (1.30.8)`}},
		{"misspelled mesh config field", `meshConfig: {defaultConfig: {holdApplicationUntilProxyStart: true}}`, []string{
			`spec.meshConfig.defaultConfig.holdApplicationUntilProxyStart: unknown field`}},
		{"mistyped mesh config fields", `meshConfig: {accessLogFile: 5, defaultConfig: {concurrency: two, holdApplicationUntilProxyStarts: "yes"}, defaultProviders: {metrics: prometheus}}`, []string{
			`spec.meshConfig.accessLogFile: must be a string, got 5`,
			`spec.meshConfig.defaultConfig.concurrency: must be an integer, got "two"`,
			`spec.meshConfig.defaultConfig.holdApplicationUntilProxyStarts: must be`,
			`spec.meshConfig.defaultProviders.metrics: must be a list`}},
		{"mesh config field of the first API", `meshConfig: {outboundTrafficPolicy: REGISTRY_ONLY, exportTo: ["."]}`, []string{
			`spec.meshConfig.outboundTrafficPolicy: must be a mapping, got "REGISTRY_ONLY"; Istio's field is a mapping: outboundTrafficPolicy: {mode: REGISTRY_ONLY}`,
			`spec.meshConfig.exportTo: unknown field; Istio's fields are defaultServiceExportTo`}},
		{"whole mesh config", `meshConfig: {accessLogFile: /dev/stdout, accessLogEncoding: JSON, enableTracing: true, defaultConfig: {holdApplicationUntilProxyStarts: true, concurrency: 2, tracing: {sampling: 1.5}, proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true"}},
  extensionProviders: [{name: otel, opentelemetry: {service: otel-collector.observability.svc.cluster.local, port: 4317}}],
  defaultServiceExportTo: ["."], discoverySelectors: [{matchLabels: {mesh: "on"}}]}`, nil},
		{"export to", `meshConfig: {defaultServiceExportTo: ["~", "*"], defaultDestinationRuleExportTo: ["Bad"]}`, []string{
			`spec.meshConfig.defaultServiceExportTo[0]: "~" (export nowhere) cannot be combined`, `spec.meshConfig.defaultDestinationRuleExportTo[0]: "Bad" must be`}},
		{"root namespace", `meshConfig: {rootNamespace: elsewhere}`, []string{`spec.meshConfig.rootNamespace: is istiod's namespace, "istio-system"`}},
		{"discovery address", `meshConfig: {defaultConfig: {discoveryAddress: "x:15012"}}`, []string{`spec.meshConfig.defaultConfig.discoveryAddress: is set by meshrender`}},
		{"access log", `meshConfig: {accessLogFile: "a\nb"}`, []string{`spec.meshConfig.accessLogFile: must be a single file path`}},
		{"CNI in a system namespace", `cni: {enabled: true, namespace: kube-public}`, []string{`spec.cni.namespace: "kube-public" is a system namespace`}},
		{"CNI in istiod's namespace", `cni: {enabled: true, namespace: istio-system}`, []string{`spec.cni.namespace: "istio-system" is istiod's namespace, which is Pod Security restricted`}},
		{"CNI namespace name", `cni: {enabled: true, namespace: CNI}`, []string{`spec.cni.namespace: "CNI" is not a namespace name`}},
		{"CNI beside the ingress gateway", `cni: {enabled: true, namespace: istio-ingress}`, []string{
			`spec.ingress: namespace "istio-ingress" is Pod Security privileged for spec.cni but restricted for spec.ingress; they cannot share it`}},
		{"CNI in a namespace of its own", `cni: {enabled: true, namespace: istio-cni}`, nil},
		{"CNI resources", `cni: {enabled: true, resources: {requests: {cpu: 2}, limits: {cpu: 1}}}`, []string{`spec.cni.resources.requests.cpu: request 2 is more than the limit 1`}},
		{"injector resources", `injection: {resources: {requests: {memory: lots}}}`, []string{`spec.injection.resources.requests[memory]: "lots" is not a quantity`}},
		{"egress beside an ingress gateway", `egress: {enabled: true, namespace: istio-ingress}`, []string{
			`spec.egress.namespace: "istio-ingress" also holds the ingress gateway of spec.ingress; give the egress gateway a namespace of its own`}},
		{"egress in a namespace of its own", `egress: {enabled: true, namespace: istio-egress}`, nil},
		{"egress rollout that cannot start", `egress: {enabled: true, rollingUpdate: {maxSurge: 0, maxUnavailable: 0%}}`, []string{
			`spec.egress.rollingUpdate: maxSurge and maxUnavailable cannot both be 0`}},
		{"rollout percentage", `ingress: {rollingUpdate: {maxSurge: 150%, maxUnavailable: -1}}`, []string{
			`spec.ingress.rollingUpdate.maxSurge: "150%" is not a number or a percentage between 0% and 100%`, `spec.ingress.rollingUpdate.maxUnavailable: must not be negative, got -1`}},
		{"egress replicas", `egress: {enabled: true, replicas: {min: 4, max: 2, targetCPUUtilization: 0}}`, []string{
			`spec.egress.replicas.max: must be at least min (4), got 2`, `spec.egress.replicas.targetCPUUtilization: must be a percentage of the CPU request above 0, got 0`}},
		{"gateway env", `egress: {enabled: true, env: [{name: PROXY_CONFIG, value: "{}"}, {name: "1X", value: a}, {name: A, value: a}, {name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}}, value: b}]}`, []string{
			`spec.egress.env[0].name: PROXY_CONFIG is set by meshrender`,
			`spec.egress.env[1].name: "1X" is not an environment variable name`,
			`spec.egress.env[3].name: duplicate variable A (also spec.egress.env[2])`,
			`spec.egress.env[3]: takes value or valueFrom, not both`}},
		{"two revisions", "revisions: [{name: a, version: 1.30.2}, {name: b}]\ntags: {default: a}", nil},
		{"two revisions with one name", "revisions: [{name: a}, {name: a}]\ntags: {default: a}", []string{`spec.revisions[1].name: duplicate revision "a" (also spec.revisions[0])`}},
		{"revision outside the releases", "revisions: [{name: a, version: 1.29.5}]", []string{
			`spec.revisions[0].version: Istio "1.29.5" is not a release meshrender renders; it renders 1.30.0–1.30.8 and 1.31.0–1.31.4`}},
		{"patch release that does not exist", "version: 1.31.9", []string{
			`spec.version: Istio "1.31.9" is not a release of 1.31 meshrender renders; it renders 1.30.0–1.30.8 and 1.31.0–1.31.4`}},
		{"release without charts", "revisions: [{name: a, version: 1.32.0}]", []string{
			`spec.revisions[0].version: Istio "1.32.0" is not rendered: the charts of Istio 1.32 were not available to meshrender`}},
		{"not a release", "version: latest", []string{`spec.version: "latest" is not an Istio release (major.minor.patch)`}},
		{"revisions of two minor releases", "revisions: [{name: a, version: 1.30.8}, {name: b, version: 1.31.4, compatibilityVersion: '1.30'}]\ntags: {default: a}", nil},
		{"compatibility versions", "compatibilityVersion: '1.29'\nrevisions: [{name: a, version: 1.30.8}, {name: b, version: 1.31.4}, {name: c, version: 1.31.0, compatibilityVersion: '1.32'}, {name: d, version: 1.31.1, compatibilityVersion: '1.28'}, {name: e, version: 1.31.2, compatibilityVersion: 1.30.1}, {name: f, version: 1.31.3, compatibilityVersion: '1.31'}]\ntags: {default: a}", []string{
			`spec.revisions[2].compatibilityVersion: 1.32 is newer than the control plane's release 1.31.0`,
			`spec.revisions[3].compatibilityVersion: 1.28 is more than 2 minor releases before 1.31.1; Istio 1.31 keeps the behaviour of 1.29 or 1.30`,
			`spec.revisions[4].compatibilityVersion: "1.30.1" is not a minor release such as "1.31"`,
			`spec.revisions[5].compatibilityVersion: 1.31 is the control plane's own minor release`}},
		{"compatibility version of the one control plane", "version: 1.30.8\ncompatibilityVersion: '1.31'", []string{
			`spec.compatibilityVersion: 1.31 is newer than the control plane's release 1.30.8`}},
		{"revision named default", "revisions: [{name: default}]", []string{`spec.revisions[0].name: "default" names the unrevisioned control plane and the default tag, not a revision`}},
		{"revision and revisions", "revision: a\nrevisions: [{name: b}]", []string{`spec.revision: names the one control plane of a mesh without spec.revisions`}},
		{"tag pointing at no revision", "revisions: [{name: a}]\ntags: {canary: b}", []string{`spec.tags[canary]: "b" is not a revision; revisions are ["a"]`}},
		{"tag pointing at a tag", "revisions: [{name: a}]\ntags: {stable: a, canary: stable}", []string{`spec.tags[canary]: names the tag "stable"; a tag names a revision`}},
		{"tag named like a revision", "revisions: [{name: a}, {name: b}]\ntags: {a: b, default: a}", []string{`spec.tags[a]: "a" is the name of a revision`}},
		{"tag on the one control plane", "revision: a\ntags: {default: a, canary: a}", nil},
		{"tag without a revision", "tags: {default: \"\"}", []string{`spec.tags[default]: "" is not a revision; revisions are []`}},
		{"tags without injection", "revision: a\ninjection: {enabled: false}\ntags: {default: a}", []string{`spec.tags: revision tags select what is injected`}},
		{"gateways without a default", "revisions: [{name: a}, {name: b}]", []string{
			`spec.ingress.revision: the mesh has several revisions and no "default" tag; say which revision or tag this follows`}},
		{"gateway following an unknown revision", "revisions: [{name: a}]\ningress: {revision: b}\negress: {enabled: true, revision: c}\nexposureClasses: [{name: x, revision: d}]", []string{
			`spec.ingress.revision: "b" is neither a revision nor a tag; revisions are ["a"], tags []`,
			`spec.exposureClasses[0].revision: "d" is neither a revision nor a tag`,
			`spec.egress.revision: "c" is neither a revision nor a tag`}},
		{"one image tag for two releases", "revisions: [{name: a, version: 1.30.2}, {name: b}]\ntags: {default: a}\nregistry: {tag: corp}", []string{
			`spec.registry.tag: gives every revision the image tag "corp", but the revisions run different releases`}},
		{"one digest for two releases", "revisions: [{name: a, version: 1.30.2, digests: {pilot: 'sha256:" + strings.Repeat("a", 64) + "'}}, {name: b}]\ntags: {default: a}\nregistry: {digests: {pilot: 'sha256:" + strings.Repeat("b", 64) + "'}}", []string{
			`spec.registry.digests[pilot]: pins one pilot image for revisions of different releases; pin it per revision in spec.revisions[1].digests`}},
		{"revision digest", "revisions: [{name: a, digests: {pilot: sha256:x, nope: 'sha256:" + strings.Repeat("a", 64) + "'}}]", []string{
			`spec.revisions[0].digests[nope]: unknown image "nope"`, `spec.revisions[0].digests[pilot]: "sha256:x" is not a digest`}},
		{"namespaces", "revisions: [{name: a}]\ntags: {default: a}\nnamespaces: [{name: shop, revision: a}, {name: web, revision: default}, {name: legacy, istioInjection: true}]", nil},
		{"bad namespaces", "revisions: [{name: a}]\nnamespaces: [{name: shop, revision: b}, {name: shop, revision: a}, {name: kube-system, revision: a}, {name: istio-ingress, revision: a}, {name: blog}, {name: legacy, istioInjection: true}, {name: both, revision: a, istioInjection: true}]", []string{
			`spec.namespaces[0].revision: "b" is neither a revision nor a tag`,
			`spec.namespaces[1].name: duplicate namespace "shop" (also spec.namespaces[0])`,
			`spec.namespaces[2].name: "kube-system" is a system namespace`,
			`spec.namespaces[3].name: "istio-ingress" is one of meshrender's own namespaces`,
			`spec.namespaces[4].revision: must name a revision or tag (or set istioInjection)`,
			`spec.namespaces[5].istioInjection: istio-injection=enabled is injected by the control plane without a revision or the one the tag "default" names, and the mesh has neither`,
			`spec.namespaces[6]: takes revision or istioInjection, not both`}},
		{"namespace without injection", "injection: {enabled: false}\nnamespaces: [{name: shop, istioInjection: true}]", []string{`spec.namespaces[0]: namespaces join the mesh by sidecar injection`}},
		{"network policy", "namespaces: [{name: shop, istioInjection: true}]\nnetworkPolicy: {enabled: true, monitoringNamespace: monitoring, namespaces: [{name: shop, allowSameNamespace: false}]}", nil},
		{"policy namespace not in the mesh", "networkPolicy: {enabled: true, namespaces: [{name: shop}]}", []string{
			`spec.networkPolicy.namespaces[0].name: "shop" is not in spec.namespaces`}},
		{"network policy settings while off", "networkPolicy: {monitoringNamespace: monitoring}", []string{`spec.networkPolicy.enabled: is false, so the policies configured here would not be rendered`}},
		{"API server CIDR", "networkPolicy: {enabled: true, apiServerCIDRs: [10.0.0.0/33, kube-apiserver]}", []string{
			`spec.networkPolicy.apiServerCIDRs[0]: "10.0.0.0/33" is not a CIDR`, `spec.networkPolicy.apiServerCIDRs[1]: "kube-apiserver" is not a CIDR`}},
		{"JWT", "ingress: {jwt: {rules: [{issuer: 'https://login.example', jwksUri: 'https://login.example/keys'}], openPaths: [/healthz]}}", nil},
		{"JWT rule without issuer", "ingress: {jwt: {rules: [{jwksUri: 'https://login.example/keys'}]}}", []string{`spec.ingress.jwt.rules[0].issuer: must name the issuer of the tokens`}},
		{"JWT without rules", "exposureClasses: [{name: partner, jwt: {openPaths: [/healthz]}}]", []string{`spec.exposureClasses[0].jwt.rules: needs at least one issuer`}},
		{"bad JWT rules", "ingress: {jwt: {rules: [{issuer: a, jwksUri: 'http://login.example/keys', jwks: '{}'}, {issuer: a, jwks: '{\"keys\": []}', fromHeaders: [{name: 'X Token'}]}], openPaths: [healthz]}}", []string{
			`spec.ingress.jwt.rules[0]: takes jwksUri or jwks, not both`,
			`spec.ingress.jwt.rules[0].jwksUri: "http://login.example/keys" is not an https URL`,
			`spec.ingress.jwt.rules[0].jwks: is not a JSON Web Key Set with keys`,
			`spec.ingress.jwt.rules[1].issuer: duplicate issuer "a"`,
			`spec.ingress.jwt.rules[1].jwks: is not a JSON Web Key Set with keys`,
			`spec.ingress.jwt.rules[1].fromHeaders[0].name: "X Token" is not a header name`,
			`spec.ingress.jwt.openPaths[0]: "healthz" is not a path`}},
		{"certificates", "certificates: {issuer: {vault: {server: 'https://vault.example:8200', path: pki/sign/x, role: r}}, gateways: [{name: shop, gateway: ingress, dnsNames: [shop.example.com, '*.shop.example.com']}], teams: [{name: shop, gateways: [ingress], groups: [shop-devs]}]}", nil},
		{"Vault issuer without server or path", "certificates: {issuer: {vault: {role: r}}}", []string{
			`spec.certificates.issuer.vault.server: must name Vault's https URL`, `spec.certificates.issuer.vault.path: must name the PKI engine's signing path`}},
		{"Vault issuer settings", "certificates: {issuer: {kind: Issuers, vault: {server: 'http://vault', path: /pki, caBundle: nope, mountPath: auth/kubernetes}}}", []string{
			`spec.certificates.issuer.kind: must be ClusterIssuer or Issuer, got "Issuers"`,
			`spec.certificates.issuer.vault.server: "http://vault" is not an https URL`,
			`spec.certificates.issuer.vault.path: "/pki" is not a path`,
			`spec.certificates.issuer.vault.role: must name the Vault role`,
			`spec.certificates.issuer.vault.mountPath: "auth/kubernetes" is not a Vault API path`,
			`spec.certificates.issuer.vault.caBundle: is not PEM of one or more certificates`}},
		{"certificate for a gateway that does not exist", "certificates: {issuer: {vault: {server: 'https://vault.example:8200', path: pki/sign/x, role: r}}, gateways: [{name: shop, gateway: partner, dnsNames: [shop.example.com]}]}", []string{
			`spec.certificates.gateways[0].gateway: "partner" is no gateway of the mesh; gateway sets are ["ingress"]`}},
		{"bad certificates", "certificates: {issuer: {vault: {server: 'https://vault.example:8200', path: pki/sign/x, role: r}}, gateways: [{name: a, gateway: ingress, dnsNames: [a.example, 'b_c'], commonName: c.example, duration: 1h, renewBefore: 2h, privateKeyAlgorithm: DSA}, {name: b, gateway: ingress, secretName: a, dnsNames: []}]}", []string{
			`spec.certificates.gateways[0].dnsNames[1]: "b_c" is not a host name`,
			`spec.certificates.gateways[0].commonName: "c.example" must be one of dnsNames`,
			`spec.certificates.gateways[0].privateKeyAlgorithm: must be ECDSA, RSA or Ed25519, got "DSA"`,
			`spec.certificates.gateways[0].renewBefore: 2h0m0s is not shorter than the duration 1h0m0s`,
			`spec.certificates.gateways[1].dnsNames: must name at least one host`,
			`spec.certificates.gateways[1].secretName: "a" in namespace istio-ingress is also the Secret of spec.certificates.gateways[0]`}},
		{"bad teams", "certificates: {issuer: {vault: {server: 'https://vault.example:8200', path: pki/sign/x, role: r}}, teams: [{name: shop, gateways: [egress]}, {name: shop, gateways: [ingress], serviceAccounts: [deployer]}]}", []string{
			`spec.certificates.teams[0].gateways[0]: "egress" is no gateway of the mesh`,
			`spec.certificates.teams[0]: needs groups, users or serviceAccounts`,
			`spec.certificates.teams[1].name: duplicate team "shop"`,
			`spec.certificates.teams[1].serviceAccounts[0]: "deployer" is not namespace/name of a ServiceAccount`}},
		{"overlay selects nothing", `overlays: [{name: ghost, target: {kind: ConfigMap, name: nope}, patch: "metadata: {labels: {a: b}}"}]`,
			[]string{`spec.overlays[0].target: overlay "ghost" selects no rendered object`}},
		{"overlay without target", `overlays: [{patch: "[{op: add, path: /a, value: 1}]"}]`, []string{`spec.overlays[0].target: a JSON 6902 patch needs a target`}},
		{"overlay breaks the API", `overlays: [{target: {kind: Deployment, name: istiod}, patch: "spec: {template: {spec: {containerz: []}}}"}]`,
			[]string{`spec.overlays: the patched Deployment istio-system/istiod no longer fits its API: unknown field "spec.template.spec.containerz"`}},
		{"overlay applies", `overlays: [{target: {kind: Service, name: istiod}, patch: "metadata: {annotations: {a: b}}"}]`, nil},
		{"too many zones", "zones: [" + strings.Repeat("z,", 100) + "z]", []string{`spec.zones: 101 zones are more than the 100 meshrender renders`}},
		{"too many classes", "exposureClasses: [" + strings.Repeat("{name: c},", 100) + "{name: c}]", []string{`spec.exposureClasses: 101 exposure classes are more than the 100 meshrender renders`}},
		{"too many gateways", "zones: [" + zoneList(50) + "]\nexposureClasses: [" + classList(50) + "]", []string{
			`spec.exposureClasses: 50 zones and 50 exposure classes make 2601 ingress gateways, more than the 2000 meshrender renders`}},
		{"several problems at once", "zones: [a, a]\nmtls: {mode: NONE}\nversion: 1.0.0", []string{
			`spec.version:`, `spec.mtls.mode:`, `spec.zones[1]: duplicate zone "a"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A problem of types is found when the document is read, any
			// other when the mesh is rendered; both report the same way.
			m, err := v1alpha1.Decode([]byte("apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata:\n  name: test\nspec:\n" + indent(tt.spec)))
			if err == nil {
				_, err = render.Render(m)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("want no error, got:\n%v", err)
				}
				return
			}
			var ve *v1alpha1.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a *ValidationError, got %v", err)
			}
			got := ve.Errors
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i, w := range tt.want {
				if i < len(got) && !strings.Contains(got[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i].Error(), w)
				}
			}
		})
	}
}

// TestDecodeReportsEveryProblem: a config with four problems reports all
// four, each at its field path in the config's words, never in Go's.
func TestDecodeReportsEveryProblem(t *testing.T) {
	doc := `apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: a}
spec:
  zones: eu-west-1a
  ingress:
    replicas: {min: two}
    zonal: "yes"
  istiod:
    resources: {limits: {memory: 4 gigs}}
  exposureClasses: [{name: internet, colour: blue}]
`
	_, err := v1alpha1.Decode([]byte(doc))
	var ve *v1alpha1.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	want := []string{
		`spec.zones: must be a list, got "eu-west-1a"`,
		`spec.istiod.resources.limits[memory]: "4 gigs" is not a quantity such as 500m or 2Gi`,
		`spec.ingress.zonal: must be true or false, got "yes"`,
		`spec.ingress.replicas.min: must be an integer, got "two"`,
		`spec.exposureClasses[0].colour: unknown field`,
	}
	var got []string
	for _, fe := range ve.Errors {
		got = append(got, fe.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(err.Error(), "Go struct") || strings.Contains(err.Error(), "int32") {
		t.Errorf("the message speaks Go: %v", err)
	}
}

// TestLongValuesAreShortenedInMessages: a huge value is quoted by a short
// prefix, never echoed whole.
func TestLongValuesAreShortenedInMessages(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	for _, doc := range []string{
		"apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {profile: " + long + "}\n",
		"apiVersion: meshrender.dev/v1alpha1\nkind: " + long + "\n",
		"apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zones: [" + long + "]}\n",
		"apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {ingress: {replicas: {min: " + long + "}}}\n",
	} {
		m, err := v1alpha1.Decode([]byte(doc))
		if err == nil {
			_, err = render.Render(m)
		}
		if err == nil {
			t.Fatal("a config with a 3 MiB value rendered")
		}
		if len(err.Error()) > 1000 || !strings.Contains(err.Error(), "(3145728 bytes)") {
			t.Errorf("message of %d bytes: %.300s", len(err.Error()), err)
		}
	}
}

func zoneList(n int) string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("zone-%d", i))
	}
	return strings.Join(out, ", ")
}

func classList(n int) string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("{name: class-%d}", i))
	}
	return strings.Join(out, ", ")
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "mesh config is empty"},
		{"comments only", "# nothing\n", "mesh config is empty"},
		{"not yaml", "a: [", "mesh config is not valid YAML"},
		{"wrong kind", "apiVersion: meshrender.dev/v1alpha1\nkind: Mash\n", `kind: must be "Mesh", got "Mash"`},
		{"wrong apiVersion", "apiVersion: v1\nkind: Mesh\n", `apiVersion: must be "meshrender.dev/v1alpha1", got "v1"`},
		{"no apiVersion", "kind: Mesh\n", `apiVersion: must be "meshrender.dev/v1alpha1", got nothing`},
		{"unknown field", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: a}\nspec: {zone: [a]}\n", `spec.zone: unknown field`},
		{"duplicate field", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: a}\nspec:\n  zones: [a]\n  zones: [b]\n", `key "zones" already set`},
		{"wrong type", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zones: a}\n", `spec.zones: must be a list, got "a"`},
		{"two documents", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\n---\napiVersion: meshrender.dev/v1alpha1\nkind: Mesh\n", "holds 2 YAML documents"},
		{"a list", "- a\n", "must be a mapping with apiVersion meshrender.dev/v1alpha1 and kind Mesh, got a list"},
		{"bad quantity", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {istiod: {resources: {requests: {cpu: lots}}}}\n", `spec.istiod.resources.requests[cpu]: "lots" is not a quantity such as 500m or 2Gi`},
		{"int32 overflow", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {ingress: {replicas: {max: 99999999999}}}\n", `spec.ingress.replicas.max: 99999999999 does not fit: it must be between -2147483648 and 2147483647`},
		{"fraction", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {ingress: {replicas: {max: 2.5}}}\n", `spec.ingress.replicas.max: must be a whole number, got 2.5`},
		{"deep nesting", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zones: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "}\n", "mesh config nests 102 levels deep; the limit is 64"},
		{"very deep nesting", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nspec: {zones: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}\n", "mesh config is not valid YAML: yaml: line 3: exceeded max depth"},
		{"too large", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: " + strings.Repeat("a", 5<<20) + "}\n", "bytes; the limit is 4194304 (4 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v1alpha1.Decode([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDecodeAcceptsSeparatorsAndComments(t *testing.T) {
	doc := "# a mesh\n---\napiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata:\n  name: a # inline\nspec: {}\n---\n"
	m, err := v1alpha1.Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if m.Metadata.Name != "a" {
		t.Errorf("name = %q", m.Metadata.Name)
	}
}

// TestOverlaysCannotBreakObjects: every patch below made an object the API
// server rejects, or two objects of one name, and used to render with no
// error.
func TestOverlaysCannotBreakObjects(t *testing.T) {
	json6902 := func(kind, name, ops string) v1alpha1.Overlay {
		return v1alpha1.Overlay{Target: &v1alpha1.OverlayTarget{Kind: kind, Name: name}, Patch: ops}
	}
	tests := []struct {
		name    string
		overlay v1alpha1.Overlay
		want    string
	}{
		{"kind removed", json6902("Service", "istiod", `[{op: remove, path: /kind}]`), `has apiVersion "v1" and kind ""; overlays may not change`},
		{"name removed", json6902("Service", "istiod", `[{op: remove, path: /metadata/name}]`), `metadata.name: Required value`},
		{"containers and selector removed", json6902("Deployment", "istiod", `[{op: remove, path: /spec/template/spec/containers}, {op: remove, path: /spec/selector}]`),
			`spec.selector: Required value: a workload must select its pods; spec.template.spec.containers: Required value: a pod needs at least one container`},
		{"apiVersion changed", json6902("Deployment", "istiod", `[{op: replace, path: /apiVersion, value: evil/v9}]`), `has apiVersion "evil/v9" and kind "Deployment"; overlays may not change`},
		{"ConfigMap made a Secret", json6902("ConfigMap", "istio", `[{op: replace, path: /kind, value: Secret}]`), `has apiVersion "v1" and kind "Secret"`},
		{"renamed onto another", json6902("Service", "istio-ingressgateway-internal", `[{op: replace, path: /metadata/name, value: istio-ingressgateway}]`),
			`after patching, two objects are Service istio-ingress/istio-ingressgateway`},
		{"name with a slash", json6902("ConfigMap", "istio", `[{op: replace, path: /metadata/name, value: a/b}]`), `metadata.name: Invalid value: "a/b"`},
		{"huge annotation", json6902("Service", "istiod", `[{op: add, path: /metadata/annotations, value: {big: `+strings.Repeat("x", 300<<10)+`}}]`),
			`metadata.annotations: Too long: may not be more than 262144 bytes`},
		{"volume mount without volume", json6902("Deployment", "istiod", `[{op: remove, path: /spec/template/spec/volumes}]`), `spec.template.spec.containers[0].volumeMounts[0].name: Not found: "istio-token"`},
		{"webhook without client", json6902("ValidatingWebhookConfiguration", "istio-validator-istio-system", `[{op: remove, path: /webhooks/0/clientConfig/service}]`),
			`webhooks[0].clientConfig: Required value: exactly one of url and service`},
		{"CRD misspelt", json6902("CustomResourceDefinition", "gateways.networking.istio.io", `[{op: add, path: /spec/nams, value: {}}]`), `unknown field "spec.nams"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render.Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{Overlays: []v1alpha1.Overlay{tt.overlay}}})
			var ve *v1alpha1.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a *ValidationError, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not contain %q:\n%.2000s", tt.want, err)
			}
			if len(err.Error()) > 4000 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
		})
	}
}
