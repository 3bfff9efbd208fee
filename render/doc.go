// Package render turns a Mesh (package render/api/v1alpha1, the config
// API) into the Kubernetes objects of a complete Istio installation.
//
// Rendering is pure: it reads nothing but its argument, and equal configs
// give byte-identical output. Objects come out in install order (CRDs,
// namespaces, cluster RBAC, then namespaced objects by kind, webhooks,
// Istio resources; ties by namespace and name).
//
// # How a mesh is rendered
//
// Data flows one way, each step done once:
//
//	Mesh ─▶ profile merge ─▶ defaults ─▶ topology ─▶ validation ─▶ plan ─▶ build ─▶ overlays ─▶ order ─▶ YAML
//
// The steps:
//
// The first three steps are the API's (render/api/v1alpha1), the rest
// the renderer's:
//
//   - Decode reads a Mesh strictly; Default merges the profile named in
//     spec.profile under the spec and fills what is left empty.
//   - The Topology is every fact derived from the defaulted mesh, once:
//     the control planes with their Services and the default one, every
//     gateway (ingress, zonal, per exposure class, egress) with its
//     namespace, selector labels, set and control plane, the namespaces
//     meshrender owns with their Pod Security level, the trust domain.
//   - Validation checks every field, then what the topology derives from
//     them (gateway namespaces, Pod Security conflicts), reporting all
//     problems with their field paths; Check does all three on a copy
//     and returns the topology of a valid mesh, with its overlays
//     compiled. Validate is Check for its error, so it takes any decoded
//     mesh.
//   - The plan turns the topology of a valid mesh into components. A
//     component is one unit of the mesh: a name, the Layer it installs
//     in, the namespaces it owns, and a pure build function that returns
//     typed objects (k8s.io/api and istio.io/client-go structs, never
//     templates). A planner plans one part of the mesh, with what guards
//     it: the gateways plan their NetworkPolicies, JWT policies and
//     certificates as well. Components of one name, such as the policies
//     of a namespace istiod and a gateway share, are one component.
//   - The pipeline (emit) builds every component on all cores, adds the
//     namespaces they own, applies the overlays to what they select
//     (spec.overlays, then those the caller adds WithOverlays), sorts
//     everything into install order once, refuses two objects of one
//     identity, and prints the objects (render/yamlenc) on all cores in
//     order: Render returns them as Objects tagged with their component
//     and Layer, Write streams them as YAML. Split output, the GitOps
//     layers and the KRM function read Object.Component and Object.Layer;
//     nothing outside the plan knows the list of components.
//
// # Adding a component
//
// The egress gateway shows the recipe; adding a component touches these
// places and no others:
//
//  1. The API, in render/api/v1alpha1: a field in MeshSpec (mesh.go)
//     whose type lives in a file of its own next to its defaults and
//     validation, as Egress does in egress.go (Egress.setDefaults,
//     validateEgress, called from Default and validateFields). Enumerated
//     values go into the enums table (enums.go), which validation and the
//     JSON Schema both read; run go generate ./render/... for the schema
//     and the deep copy.
//  2. The topology: what other parts of the mesh must know of it, derived
//     once in the API's topology.go, as deriveGateways adds the egress
//     gateway with
//     its namespace, selector, set and control plane (and so its
//     namespace is owned, Pod Security restricted, and certificates can
//     name its set).
//  3. The objects: a build function in its own package under
//     render/internal, taking a values struct and returning typed objects,
//     as gateway.Objects does. Shared pieces (labels, hardened security
//     contexts, autoscalers, install order) are in render/internal/objects.
//  4. The plan, in render: a planner that turns the topology into
//     components, as gatewayComponents does (one component per gateway
//     namespace in
//     LayerGateways, its policies in LayerPolicies), and one line for it
//     in planners (plan.go).
//  5. Golden files: an example under examples/ and make golden.
//
// golden's TestAComponentReachesEveryOutput holds the egress gateway to
// this: turned on in a mesh, its objects reach Render, both split
// layouts, the GitOps tree and the KRM function with no code for it
// outside render. Install order already ranks every kind the components
// use; a kind without a rank fails the tests.
package render
