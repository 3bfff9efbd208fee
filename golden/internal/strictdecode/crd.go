package strictdecode

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	"sigs.k8s.io/yaml"
)

// crdSchema is one served version of a CustomResourceDefinition, as the
// API server checks objects against it.
type crdSchema struct {
	structural *structuralschema.Structural
	validator  *validate.SchemaValidator
}

var (
	crdMu      sync.RWMutex
	crdSchemas = map[schema.GroupVersionKind]crdSchema{}
)

// RegisterCRD lets Decode check the kinds a CustomResourceDefinition
// defines, such as cert-manager's, against its schema: fields it does not
// declare, which the API server would drop, and values it refuses.
func RegisterCRD(data []byte) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		return fmt.Errorf("a CustomResourceDefinition: %w", err)
	}
	crdMu.Lock()
	defer crdMu.Unlock()
	for _, v := range crd.Spec.Versions {
		if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		var internal apiextensions.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
			return fmt.Errorf("%s %s: %w", crd.Name, v.Name, err)
		}
		structural, err := structuralschema.NewStructural(&internal)
		if err != nil {
			return fmt.Errorf("%s %s: %w", crd.Name, v.Name, err)
		}
		// The OpenAPI schema as kube-openapi validates it: types, enums,
		// formats and required fields.
		raw, err := json.Marshal(v.Schema.OpenAPIV3Schema)
		if err != nil {
			return err
		}
		var openapi spec.Schema
		if err := json.Unmarshal(raw, &openapi); err != nil {
			return fmt.Errorf("%s %s: %w", crd.Name, v.Name, err)
		}
		validator := validate.NewSchemaValidator(&openapi, nil, "", strfmt.Default)
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		crdSchemas[gvk] = crdSchema{structural: structural, validator: validator}
	}
	return nil
}

func registeredCRD(gvk schema.GroupVersionKind) (crdSchema, bool) {
	crdMu.RLock()
	defer crdMu.RUnlock()
	s, ok := crdSchemas[gvk]
	return s, ok
}

// decodeCustom checks a custom resource against its CRD's schema.
func decodeCustom(raw []byte, s crdSchema) (any, error) {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	var problems []string
	unknown := pruning.PruneWithOptions(runtime.DeepCopyJSON(obj), s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, path := range unknown {
		problems = append(problems, fmt.Sprintf("unknown field %q", path))
	}
	for _, e := range s.validator.Validate(obj).Errors {
		problems = append(problems, e.Error())
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return obj, nil
}
