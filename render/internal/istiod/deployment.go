package istiod

import (
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshrender/meshrender/render/internal/objects"
)

// deployment is upstream's istiod Deployment with the pod hardened for Pod
// Security "restricted", spread over hosts and zones, and configured to
// run without the sidecar injector. It has no replicas field: the
// autoscaler owns it, so re-applying never fights a scale-up.
func (c builder) deployment() *appsv1.Deployment {
	sel := c.selector()
	podLabels := objects.Merge(c.istiodLabels(), map[string]string{
		"sidecar.istio.io/inject": "false",
		"istio.io/dataplane-mode": "none",
		objects.LabelRev:          c.n.RevLabel(),
		"app":                     "istiod",
		"istio":                   c.istioLabel(),
	})
	spread := []corev1.TopologySpreadConstraint{objects.SpreadOverHosts(sel)}
	if len(c.v.Zones) > 1 {
		spread = append(spread, objects.SpreadOverZones(sel, len(c.v.Zones), c.v.MaxReplicas))
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: c.meta(c.n.Istiod(), "istiod", c.istiodLabels()),
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: c.deploymentSelector()},
			Strategy: c.v.Strategy(),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: c.v.Meta.Labels("istiod", podLabels),
					Annotations: map[string]string{
						"prometheus.io/port":      "15014",
						"prometheus.io/scrape":    "true",
						"sidecar.istio.io/inject": "false",
					},
				},
				Spec: corev1.PodSpec{
					ServiceAccountName:        c.n.Istiod(),
					SecurityContext:           objects.RestrictedPod(),
					ImagePullSecrets:          objects.PullSecrets(c.v.PullSecrets),
					TopologySpreadConstraints: spread,
					// istiod must start before the CNI plugin is ready on a
					// node, since the plugin's readiness depends on it.
					Tolerations: []corev1.Toleration{{Key: "cni.istio.io/not-ready", Operator: corev1.TolerationOpExists}},
					Containers:  []corev1.Container{c.discovery()},
					Volumes:     c.volumes(),
				},
			},
		},
	}
}

func (c builder) discovery() corev1.Container {
	tcp := corev1.ProtocolTCP
	return corev1.Container{
		Name:            "discovery",
		Image:           c.v.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args: []string{
			"discovery",
			"--monitoringAddr=:15014",
			"--log_output_level=default:info",
			"--domain", objects.TrustDomain,
			"--keepaliveMaxServerConnectionAge", "30m",
		},
		Env: c.env(),
		Ports: []corev1.ContainerPort{
			{Name: "http-debug", ContainerPort: 8080, Protocol: tcp},
			{Name: "grpc-xds", ContainerPort: 15010, Protocol: tcp},
			{Name: "tls-xds", ContainerPort: 15012, Protocol: tcp},
			{Name: "https-webhooks", ContainerPort: 15017, Protocol: tcp},
			{Name: "http-monitoring", ContainerPort: 15014, Protocol: tcp},
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080), Scheme: corev1.URISchemeHTTP}},
			InitialDelaySeconds: 1, PeriodSeconds: 3, TimeoutSeconds: 5, SuccessThreshold: 1, FailureThreshold: 3,
		},
		Resources:       *c.v.Resources.DeepCopy(),
		SecurityContext: objects.RestrictedContainer(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: "istio-token", MountPath: "/var/run/secrets/tokens", ReadOnly: true},
			{Name: "local-certs", MountPath: "/var/run/secrets/istio-dns"},
			{Name: "cacerts", MountPath: "/etc/cacerts", ReadOnly: true},
			{Name: "istio-kubeconfig", MountPath: "/var/run/secrets/remote", ReadOnly: true},
			{Name: "istio-csr-dns-cert", MountPath: "/var/run/secrets/istiod/tls", ReadOnly: true},
			{Name: "istio-csr-ca-configmap", MountPath: "/var/run/secrets/istiod/ca", ReadOnly: true},
		},
		TerminationMessagePath:   corev1.TerminationMessagePathDefault,
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
}

// trustedNodeAccount is Values.TrustedNodeAccount or upstream's default.
func (v Values) trustedNodeAccount() string {
	if v.TrustedNodeAccount != "" {
		return v.TrustedNodeAccount
	}
	return v.Namespace + "/ztunnel"
}

// env is upstream's istiod environment, plus the settings that turn
// injection off in a mesh without it.
func (c builder) env() []corev1.EnvVar {
	env := []corev1.EnvVar{
		objects.Env("REVISION", c.n.RevLabel()),
		objects.Env("PILOT_CERT_PROVIDER", "istiod"),
		objects.FieldEnv("POD_NAME", "metadata.name"),
		objects.FieldEnv("POD_NAMESPACE", "metadata.namespace"),
		objects.FieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
		objects.Env("KUBECONFIG", "/var/run/secrets/remote/config"),
		objects.Env("CA_TRUSTED_NODE_ACCOUNTS", c.v.trustedNodeAccount()),
	}
	for _, name := range slices.Sorted(maps.Keys(c.v.Env)) {
		env = append(env, objects.Env(name, c.v.Env[name]))
	}
	env = append(env,
		objects.Env("PILOT_TRACE_SAMPLING", "1"),
		objects.Env("PILOT_ENABLE_ANALYSIS", "false"),
		objects.Env("CLUSTER_ID", c.v.ClusterID),
		objects.ResourceEnv("GOMAXPROCS", "limits.cpu"),
		objects.Env("PLATFORM", ""),
	)
	if !c.v.Injection {
		env = append(env,
			// No injector: istiod skips its webhook handler and does not
			// look for a MutatingWebhookConfiguration to patch.
			objects.Env("INJECT_ENABLED", "false"),
			objects.Env("INJECTION_WEBHOOK_CONFIG_NAME", ""),
			// Gateways for Gateway API resources are rendered from the
			// injector's templates, which a mesh without injection lacks;
			// routes and status still work.
			objects.Env("PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER", "false"),
		)
	}
	if _, ok := c.v.Resources.Limits[corev1.ResourceMemory]; ok {
		// Lets the Go runtime collect garbage before the kernel kills it.
		env = append(env, objects.ResourceEnv("GOMEMLIMIT", "limits.memory"))
	}
	return env
}

func (c builder) volumes() []corev1.Volume {
	optional := new(true)
	return []corev1.Volume{
		{Name: "local-certs", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
		objects.IstioTokenVolume(),
		// A CA the user plugs in; without it istiod makes its own.
		{Name: "cacerts", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "cacerts", Optional: new(!c.v.PluggedCA)}}},
		{Name: "istio-kubeconfig", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "istio-kubeconfig", Optional: optional}}},
		// Serving certificate and CA when cert-manager's istio-csr signs.
		{Name: "istio-csr-dns-cert", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "istiod-tls", Optional: optional}}},
		{Name: "istio-csr-ca-configmap", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "istio-ca-root-cert"}, Optional: optional,
		}}},
	}
}
