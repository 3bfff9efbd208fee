package render_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/meshrender/meshrender/render/api/v1alpha1"

	"github.com/meshrender/meshrender/render"
)

// Build a mesh in Go and list what it renders.
func ExampleRender() {
	mesh := v1alpha1.Mesh{
		Metadata: v1alpha1.ObjectMeta{Name: "eu1"},
		Spec: v1alpha1.MeshSpec{
			Profile: v1alpha1.ProfileSeed,
			Zones:   []string{"eu-west-1a", "eu-west-1b"},
		},
	}
	objs, err := render.Render(mesh)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range objs {
		if o.Kind == "Deployment" {
			fmt.Println(o.Component, o.Namespace, o.Name)
		}
	}
	// Output:
	// gateways/istio-ingress istio-ingress istio-ingressgateway
	// gateways/istio-ingress--eu-west-1a istio-ingress--eu-west-1a istio-ingressgateway
	// gateways/istio-ingress--eu-west-1b istio-ingress--eu-west-1b istio-ingressgateway
	// control-plane istio-system istiod
}

// Decode a mesh.yaml and write the whole installation as one YAML stream.
func ExampleWrite() {
	mesh, err := v1alpha1.Decode([]byte(`
apiVersion: meshrender.dev/v1alpha1
kind: Mesh
metadata: {name: minimal}
spec: {profile: minimal}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var out bytes.Buffer // or os.Stdout, a file, an HTTP response
	if err := render.Write(&out, mesh); err != nil {
		fmt.Println(err)
		return
	}
	stream := out.String()
	fmt.Println(strings.Count(stream, "---\n"), "documents")
	fmt.Print(stream[:strings.Index(stream, "metadata:")])
	// Output:
	// 33 documents
	// ---
	// apiVersion: apiextensions.k8s.io/v1
	// kind: CustomResourceDefinition
}

// Every problem in a config comes back at once, with its field path.
func ExampleValidationError() {
	mesh := v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
		Zones:           []string{"eu-west-1a", "eu-west-1a"},
		ExposureClasses: []v1alpha1.ExposureClass{{Name: "a--b"}},
	}}
	_, err := render.Render(mesh)
	var ve *v1alpha1.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			fmt.Println(fe.Field)
		}
	}
	// Output:
	// spec.zones[1]
	// spec.exposureClasses[0].name
}

// List the images to mirror into a private registry.
func ExampleImages() {
	objs, err := render.Render(v1alpha1.Mesh{Spec: v1alpha1.MeshSpec{
		Registry: v1alpha1.Registry{Hub: "registry.corp.example/istio", Variant: "distroless"},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	images, err := render.Images(objs)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ref := range images {
		fmt.Println(ref)
	}
	// Output:
	// busybox:1.28
	// registry.corp.example/istio/pilot:1.31.4-distroless
	// registry.corp.example/istio/proxyv2:1.31.4-distroless
}
