// Module gen1.30 pins istio.io/api at the version whose mesh config
// descriptors meshrender embeds for Istio 1.30 (../descriptors). Nothing
// of it is built into meshrender: `go generate` runs its command.
module github.com/meshrender/meshrender/render/internal/istioapi/gen1.30

go 1.26.0

require (
	google.golang.org/protobuf v1.36.12
	istio.io/api v1.30.8
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20251213004720-97cd9d5aeac2 // indirect
)
