// Package schema holds the JSON Schema of the Mesh config, so editors can
// validate and complete mesh.yaml: point yaml-language-server at it with
//
//	# yaml-language-server: $schema=<path or URL of mesh.schema.json>
//
// or print it with `meshrender schema`. The file is generated from the
// render package's types and doc comments by `go generate`.
package schema

//go:generate go run ./generate

import _ "embed"

// JSON is the JSON Schema (draft-07) of a Mesh document.
//
//go:embed mesh.schema.json
var JSON []byte
