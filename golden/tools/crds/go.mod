// Module crds pins the projects whose CustomResourceDefinitions the
// end-to-end tests install beside meshrender's output (Flux, Argo CD and
// cert-manager) or check it against (the Gateway API release the newest
// Istio requires, whose CRDs meshrender renders). Nothing is built from
// them; the tests read the CRD files from the module cache (see
// golden/internal/thirdparty). The checksum
// database does not list fluxcd/kustomize-controller; go.sum pins it.
module github.com/meshrender/meshrender/golden/tools/crds

go 1.26.3

require (
	github.com/argoproj/argo-cd/v3 v3.5.0
	github.com/cert-manager/cert-manager v1.21.2
	github.com/external-secrets/external-secrets v0.16.2
	github.com/fluxcd/kustomize-controller v1.9.6
	github.com/fluxcd/source-controller v1.9.0
	sigs.k8s.io/gateway-api v1.6.0
)
