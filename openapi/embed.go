// Package openapi embeds the OpenAPI documents: portal.yaml, the management
// API of the portal itself. The sample partner APIs are in openapi/samples.
package openapi

import _ "embed"

// Portal is openapi/portal.yaml, served at /openapi/portal.yaml.
//
//go:embed portal.yaml
var Portal []byte
