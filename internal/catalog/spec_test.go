package catalog

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const validSpec = `openapi: 3.1.0
info: {title: Fleet API, version: "1.0.0"}
components:
  securitySchemes:
    portico:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: /oauth/token
          scopes: {"fleet:read": Read the fleet, "fleet:write": Change the fleet}
security: [{portico: ["fleet:read"]}]
paths:
  /spreaders:
    get:
      operationId: listSpreaders
      summary: List spreaders
      responses: {"200": {description: ok}}
    post:
      operationId: createSpreader
      summary: Add a spreader
      security: [{portico: ["fleet:write"]}]
      responses: {"201": {description: created}}
  /spreaders/{id}:
    get:
      operationId: getSpreader
      summary: Get a spreader
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`

func TestParseValid(t *testing.T) {
	t.Parallel()
	s, err := Parse([]byte(validSpec))
	if err != nil {
		t.Fatal(err)
	}
	want := []Operation{
		{Method: "GET", Path: "/spreaders", OperationID: "listSpreaders", Summary: "List spreaders", Scopes: []string{"fleet:read"}},
		{Method: "POST", Path: "/spreaders", OperationID: "createSpreader", Summary: "Add a spreader", Scopes: []string{"fleet:write"}},
		{Method: "GET", Path: "/spreaders/{id}", OperationID: "getSpreader", Summary: "Get a spreader", Scopes: []string{"fleet:read"}},
	}
	if diff := cmp.Diff(want, s.Operations); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	if s.Title != "Fleet API" || s.Version != "1.0.0" || len(s.Scopes) != 2 {
		t.Errorf("title %q version %q scopes %v", s.Title, s.Version, s.Scopes)
	}
}

func TestParseRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		doc  string
		want string
	}{
		{"empty", "", "empty"},
		{"not YAML", "openapi: [3.1", "could not be parsed"},
		{"swagger 2", "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", "Only OpenAPI 3.0 and 3.1"},
		{"invalid", strings.Replace(validSpec, `responses: {"201": {description: created}}`, `responses: {"201": {}}`, 1), "not valid OpenAPI"},
		{"external ref", strings.Replace(validSpec, `responses: {"200": {description: ok}}`, `responses: {"200": {$ref: "other.yaml#/components/responses/Ok"}}`, 1), "$ref"},
		{"operation without scope", strings.Replace(validSpec, "security: [{portico: [\"fleet:read\"]}]\npaths:", "paths:", 1), "These declare none: GET /spreaders (listSpreaders), GET /spreaders/{id} (getSpreader)"},
		{"anonymous alternative", strings.Replace(validSpec, `security: [{portico: ["fleet:write"]}]`, `security: [{}]`, 1), "POST /spreaders (createSpreader): it allows anonymous access"},
		{"undeclared scope", strings.Replace(validSpec, `security: [{portico: ["fleet:write"]}]`, `security: [{portico: ["fleet:admin"]}]`, 1), `requires scope "fleet:admin"`},
		{"no oauth scheme", "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n", "no OAuth2 security scheme"},
		{"too large", validSpec + "# " + strings.Repeat("x", MaxSpecSize), "the limit is 2048 KiB"},
		// Escapes that decode to NUL, which PostgreSQL refuses in jsonb and text.
		{"NUL in a summary", strings.Replace(validSpec, "summary: List spreaders", `summary: "List\0spreaders"`, 1), "its summary contains a NUL"},
		{"NUL in the title", strings.Replace(validSpec, "title: Fleet API", `title: "Fleet\0API"`, 1), "info.title contains a NUL"},
		{"too many scopes", strings.Replace(validSpec, `scopes: {"fleet:read": Read the fleet,`, `scopes: {"fleet:read": Read the fleet,`+manyScopes(MaxScopes-1), 1), "declares 1001 OAuth2 scopes; the limit is 1000"},
		{"too long a scope", strings.Replace(validSpec, `"fleet:write": Change the fleet`, `"fleet:write": Change the fleet, "`+strings.Repeat("s", MaxScopeName+1)+`": Long`, 1), "longer than 200 characters"},
		{"too long a version", strings.Replace(validSpec, `version: "1.0.0"`, `version: "`+strings.Repeat("1", MaxVersion+1)+`"`, 1), "info.version is longer than 100 characters"},
		{"too many operations", validSpec + manyOperations(MaxOperations-2), "has 5001 operations; the limit is 5000"},
		{"NUL in a scope", strings.Replace(validSpec, `"fleet:read": Read the fleet`, `"fleet:read": "Read\0the fleet"`, 1), "scopes: fleet:read contains a NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc))
			var se *SpecError
			if !errors.As(err, &se) || !strings.Contains(se.Message, tc.want) {
				t.Errorf("Parse = %v, want a SpecError containing %q", err, tc.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	old := []Operation{{Method: "GET", Path: "/a"}, {Method: "GET", Path: "/b"}}
	cur := []Operation{{Method: "GET", Path: "/b"}, {Method: "POST", Path: "/b"}}
	added, removed := Diff(old, cur)
	if diff := cmp.Diff([]string{"POST /b"}, added); diff != "" {
		t.Errorf("added (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GET /a"}, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
}

// manyScopes declares n more scopes, for a flow's scopes map.
func manyScopes(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " \"extra:%d\": Extra,", i)
	}
	return b.String()
}

// manyOperations appends n more paths of one operation each to validSpec.
func manyOperations(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  /extra/%d:\n    get: {responses: {\"200\": {description: ok}}}\n", i)
	}
	return b.String()
}
