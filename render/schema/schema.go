// Package schema holds the JSON Schemas of the Mesh config, of an
// Application and of a Fleet, so editors can validate and complete mesh.yaml and the
// teams' application files: point yaml-language-server at one with
//
//	# yaml-language-server: $schema=<path or URL of mesh.schema.json>
//
// or print them with `meshrender schema` and
// `meshrender schema --kind Application` (or Fleet). The files are generated from the
// render package's types and doc comments by `go generate`.
package schema

//go:generate go run ./generate

import _ "embed"

// JSON is the JSON Schema (draft-07) of a Mesh document.
//
//go:embed mesh.schema.json
var JSON []byte

// ApplicationJSON is the JSON Schema (draft-07) of an Application
// document.
//
//go:embed application.schema.json
var ApplicationJSON []byte

// FleetJSON is the JSON Schema (draft-07) of a Fleet document.
//
//go:embed fleet.schema.json
var FleetJSON []byte
