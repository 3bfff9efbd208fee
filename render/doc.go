// Package render turns a typed Mesh config into the Kubernetes objects of
// a complete Istio installation.
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
//	Mesh ─▶ profile merge ─▶ defaults ─▶ validation ─▶ plan ─▶ build ─▶ encode ─▶ overlays ─▶ order ─▶ YAML
//
// The steps:
//
//   - Decode reads a Mesh strictly; Default merges the profile named in
//     spec.profile under the spec and fills what is left empty; Validate
//     checks every field, reporting all problems with their field paths.
//   - The plan turns the valid mesh into Components. A Component is one
//     unit of the mesh: a name, the Layer it installs in, the namespaces
//     it owns with their Pod Security level, the images it pulls, and a
//     pure Build function that returns typed objects (k8s.io/api and
//     istio.io/client-go structs, never templates). Planning also reports
//     what only it can see, such as two gateways sharing a namespace.
//   - The pipeline builds every component on all cores, adds the
//     namespaces they own, prints the objects (render/yamlenc), applies
//     spec.overlays, sorts everything into install order and hands each
//     Object, tagged with its Component and Layer, to the caller: Render
//     returns them, Write streams them as YAML. Split output, the GitOps
//     layers and the KRM function read Object.Component and Object.Layer;
//     nothing outside the plan knows the list of components.
//
// # Adding a component
//
// The ingress gateways show the recipe; adding, say, an egress gateway
// touches these places and no others:
//
//  1. The API: a field in MeshSpec (mesh.go) whose type lives in a file of
//     its own next to its defaults and validation, as Ingress does in
//     ingress.go (setIngressDefaults, validateIngress). Enumerated values
//     go into the enums table (enums.go), which validation and the JSON
//     Schema both read; run go generate ./render/... for the schema and
//     the deep copy.
//  2. The objects: a build function in its own package under
//     render/internal, taking a values struct and returning typed objects,
//     as gateway.Objects does. Shared pieces (labels, hardened security
//     contexts, autoscalers, install order) are in render/internal/objects.
//  3. The plan: a planner that turns the valid mesh into Components, as
//     ingressComponents does (one component per gateway namespace, layer
//     LayerGateways), and one line for it in planners (plan.go).
//  4. Golden files: an example under examples/ and make golden.
//
// Install order already ranks every kind the components use; a kind
// without a rank fails the tests.
package render
