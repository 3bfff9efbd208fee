package apiserver

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// FieldManager is the server-side apply field manager the tests use.
const FieldManager = "meshrender"

// Client applies manifests to a Server and records every warning the
// server sends back.
type Client struct {
	// Kube is a typed client for the same server.
	Kube    kubernetes.Interface
	dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper

	mu       sync.Mutex
	warnings []string
}

// NewClient connects to the server behind cfg.
func NewClient(cfg *rest.Config) (*Client, error) {
	c := &Client{}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = c
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.dynamic = dyn
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	if c.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// HandleWarningHeader records a warning, such as a Pod Security
// violation reported for a Deployment's pod template.
func (c *Client) HandleWarningHeader(_ int, _ string, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnings = append(c.warnings, text)
}

// Warnings returns the warnings received so far and forgets them.
func (c *Client) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.warnings
	c.warnings = nil
	return w
}

// Result says what one apply did to one object.
type Result struct {
	// Object is kind namespace/name.
	Object string
	// Changed is true when the apply created the object or changed what
	// it holds: anything but its resourceVersion, managed fields and
	// status. (The server may store a new version without such a change:
	// a CRD's status defaults, such as Flux's observedGeneration: -1, are
	// written on the first update after create.)
	Changed bool
}

// ApplyOptions say how to apply, the way a given tool does.
type ApplyOptions struct {
	// FieldManager owns what is applied (default FieldManager).
	FieldManager string
	// Keep says what the tool does not apply to an object that exists
	// already, as Flux leaves objects annotated
	// kustomize.toolkit.fluxcd.io/ssa: IfNotPresent alone.
	Keep func(*unstructured.Unstructured) bool
	// Prepare changes an object before it is applied, as Argo CD drops
	// the fields its ignoreDifferences name.
	Prepare func(*unstructured.Unstructured)
	// DryRun has the server check and answer every apply without
	// storing anything, as a tool does before it applies.
	DryRun bool
}

// Apply server-side applies every document in order, waiting for
// CustomResourceDefinitions to be established before the objects that
// need them, and reports which objects the server changed.
func (c *Client) Apply(ctx context.Context, docs [][]byte) ([]Result, error) {
	return c.ApplyWith(ctx, ApplyOptions{}, docs)
}

// ApplyWith is Apply the way opts say.
func (c *Client) ApplyWith(ctx context.Context, opts ApplyOptions, docs [][]byte) ([]Result, error) {
	if opts.FieldManager == "" {
		opts.FieldManager = FieldManager
	}
	objs := make([]*unstructured.Unstructured, 0, len(docs))
	for i, d := range docs {
		var u unstructured.Unstructured
		if err := yaml.Unmarshal(d, &u.Object); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, &u)
		}
	}
	var results []Result
	var crds []string
	for i, u := range objs {
		if u.GetKind() != "CustomResourceDefinition" && len(crds) > 0 {
			if err := c.waitEstablished(ctx, crds); err != nil {
				return results, err
			}
			crds = nil
		}
		r, err := c.applyOne(ctx, u, opts)
		if err != nil {
			return results, fmt.Errorf("document %d (%s): %w", i, describe(u), err)
		}
		results = append(results, r)
		if u.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, u.GetName())
		}
	}
	if len(crds) > 0 {
		return results, c.waitEstablished(ctx, crds)
	}
	return results, nil
}

func describe(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + " " + u.GetName()
	}
	return u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
}

func (c *Client) resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := u.GroupVersionKind()
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		c.mapper.Reset()
		if mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return nil, err
		}
	}
	if mapping.Scope.Name() == "namespace" {
		return c.dynamic.Resource(mapping.Resource).Namespace(u.GetNamespace()), nil
	}
	return c.dynamic.Resource(mapping.Resource), nil
}

func (c *Client) applyOne(ctx context.Context, u *unstructured.Unstructured, opts ApplyOptions) (Result, error) {
	res, err := c.resource(u)
	if err != nil {
		return Result{}, err
	}
	var before *unstructured.Unstructured
	if cur, err := res.Get(ctx, u.GetName(), metav1.GetOptions{}); err == nil {
		before = cur
	}
	if before != nil && opts.Keep != nil && opts.Keep(u) {
		return Result{Object: describe(u)}, nil
	}
	if opts.Prepare != nil {
		u = u.DeepCopy()
		opts.Prepare(u)
	}
	body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, u)
	if err != nil {
		return Result{}, err
	}
	patch := metav1.PatchOptions{FieldManager: opts.FieldManager, Force: new(true)}
	if opts.DryRun {
		patch.DryRun = []string{metav1.DryRunAll}
	}
	out, err := res.Patch(ctx, u.GetName(), types.ApplyPatchType, body, patch)
	if err != nil {
		return Result{}, err
	}
	changed := before == nil || !equality.Semantic.DeepEqual(content(before), content(out))
	return Result{Object: describe(u), Changed: changed}, nil
}

// Get reads an object as the server holds it.
func (c *Client) Get(ctx context.Context, apiVersion, kind, namespace, name string) (*unstructured.Unstructured, error) {
	res, err := c.resourceOf(apiVersion, kind, namespace)
	if err != nil {
		return nil, err
	}
	return res.Get(ctx, name, metav1.GetOptions{})
}

// List reads the objects of a kind that match a label selector, in every
// namespace, as the server holds them.
func (c *Client) List(ctx context.Context, apiVersion, kind, labelSelector string) ([]unstructured.Unstructured, error) {
	res, err := c.resourceOf(apiVersion, kind, metav1.NamespaceAll)
	if err != nil {
		return nil, err
	}
	list, err := res.List(ctx, metav1.ListOptions{LabelSelector: labelSelector})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// resourceOf is the resource of a kind, in a namespace if it has them.
func (c *Client) resourceOf(apiVersion, kind, namespace string) (dynamic.ResourceInterface, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	return c.resource(u)
}

// Delete deletes an object; one that is gone already is no error.
func (c *Client) Delete(ctx context.Context, apiVersion, kind, namespace, name string) error {
	res, err := c.resourceOf(apiVersion, kind, namespace)
	if err != nil {
		return err
	}
	if err := res.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// content is an object without what the server changes on any write.
func content(u *unstructured.Unstructured) map[string]any {
	c := u.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(c.Object, "status")
	return c.Object
}

func (c *Client) waitEstablished(ctx context.Context, names []string) error {
	res := c.dynamic.Resource(apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions"))
	deadline := time.Now().Add(60 * time.Second)
	for _, name := range names {
		for {
			u, err := res.Get(ctx, name, metav1.GetOptions{})
			if err == nil && established(u) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CustomResourceDefinition %s not established: %v", name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	c.mapper.Reset()
	return nil
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	return slices.ContainsFunc(conds, func(c any) bool {
		m, _ := c.(map[string]any)
		return m["type"] == "Established" && m["status"] == "True"
	})
}
