// Package openapi embeds the OpenAPI documents: portal.yaml, the management
// API of the portal itself, and (later) the sample partner APIs.
package openapi

import _ "embed"

// Portal is openapi/portal.yaml, served at /openapi/portal.yaml.
//
//go:embed portal.yaml
var Portal []byte
