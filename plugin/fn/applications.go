package fn

import (
	"errors"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// localConfigAnnotation marks an item as input to functions, never to be
// applied: kustomize leaves such items out of what it builds, and kpt
// does not apply them.
const localConfigAnnotation = "config.kubernetes.io/local-config"

// isApplication reports an item that is a meshrender Application.
func (it *item) isApplication() bool {
	return it.id.apiVersion == v1alpha1.APIVersion && it.id.kind == v1alpha1.ApplicationKind
}

// isLocalConfig reports an item already marked as local config.
func (it *item) isLocalConfig() bool {
	return it.annotations[localConfigAnnotation] == "true"
}

// source is where a result about an item points: the item itself and
// the file an orchestrator read it from, when it says.
type source struct {
	ref  *yaml.ResourceIdentifier
	file string
	// index is the item's document in file.
	index int
}

// itemSource is the source of an input item.
func itemSource(it *item) source {
	s := source{ref: &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: it.id.apiVersion, Kind: it.id.kind},
		NameMeta: yaml.NameMeta{Name: it.id.name, Namespace: it.id.namespace},
	}}
	for _, k := range []string{kioutil.PathAnnotation, legacyPathAnnotation} {
		if s.file = it.annotations[k]; s.file != "" {
			break
		}
	}
	for _, k := range []string{kioutil.IndexAnnotation, legacyIndexAnnotation} {
		if i, err := strconv.Atoi(it.annotations[k]); err == nil {
			s.index = i
			break
		}
	}
	return s
}

// applicationProblem is a problem of one Application item: field is its
// path in the item.
type applicationProblem struct {
	src            source
	field, message string
}

// applications are the Application items of the input, decoded, in
// input order, with where each came from.
type applications struct {
	apps    []v1alpha1.Application
	sources []source
}

// readApplications decodes every Application item strictly, as
// `meshrender render -f mesh.yaml -f apps/` decodes the files, and
// reports the problems of every one at once.
func readApplications(items []*item) (applications, []applicationProblem) {
	var out applications
	var problems []applicationProblem
	for _, it := range items {
		if !it.isApplication() {
			continue
		}
		src := itemSource(it)
		n, err := it.parse()
		var text string
		if err == nil {
			text, err = n.String()
		}
		var apps []v1alpha1.Application
		if err == nil {
			apps, err = v1alpha1.DecodeApplications([]byte(text))
		}
		if err != nil {
			problems = append(problems, fieldProblems(src, err)...)
			continue
		}
		for _, a := range apps { // one: an item is one document
			out.apps = append(out.apps, a)
			out.sources = append(out.sources, src)
		}
	}
	return out, problems
}

// fieldProblems are err's problems, each at its field when err says.
func fieldProblems(src source, err error) []applicationProblem {
	var ve *v1alpha1.ValidationError
	if !errors.As(err, &ve) {
		return []applicationProblem{{src: src, message: err.Error()}}
	}
	out := make([]applicationProblem, len(ve.Errors))
	for i, fe := range ve.Errors {
		out[i] = applicationProblem{src: src, field: fe.Field, message: fe.Message}
	}
	return out
}

// attribute finds the application item a rendering problem is about,
// from its field, applications[<namespace>/<name>]..., and returns the
// item's source and the field within the item; ok is false for a problem
// of the mesh. The first item of a key is the one checked; a later one
// of the same key is reported as defined twice, so the n-th such report
// of a key goes to its (n+1)-th item.
func (a *applications) attribute(field string, twice map[string]int) (src source, rest string, ok bool) {
	key, rest, ok := strings.Cut(strings.TrimPrefix(field, "applications["), "]")
	if !ok || !strings.HasPrefix(field, "applications[") {
		return source{}, "", false
	}
	rest = strings.TrimPrefix(rest, ".")
	skip := 0
	if rest == "" {
		twice[key]++
		skip = twice[key]
	}
	for i := range a.apps {
		if a.apps[i].Key() != key {
			continue
		}
		if skip == 0 {
			return a.sources[i], rest, true
		}
		skip--
	}
	return source{}, "", false
}
