package catalog

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

// consoleSpec has what the console rewrites: OAuth2, servers at three
// levels, an anchor with a merge key, optional and required parameters
// with examples, and paths out of alphabetical order.
const consoleSpec = `openapi: 3.1.0
info: {title: Fleet API, version: "1.0.0"}
servers: [{url: /sandbox/fleet}, {url: /live/fleet}]
components:
  securitySchemes:
    portico:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: /oauth/token
          scopes: {"fleet:read": Read the fleet, "fleet:write": Change the fleet}
  parameters:
    Cursor: {name: cursor, in: query, description: Where to continue., schema: {type: string}, example: abc}
x-common: &common
  responses: {"200": {description: ok}}
security: [{portico: ["fleet:read"]}]
paths:
  /spreaders/{id}:
    servers: [{url: https://elsewhere.example}]
    get:
      <<: *common
      operationId: getSpreader
      summary: Get a spreader
      parameters: [{name: id, in: path, required: true, schema: {type: string}, example: SPR-0042}]
  /spreaders:
    get:
      <<: *common
      operationId: listSpreaders
      summary: List spreaders
      description: Lists them.
      parameters:
        - {name: site, in: query, schema: {type: string}, example: NLRTM-T2}
        - $ref: "#/components/parameters/Cursor"
    post:
      operationId: createSpreader
      summary: Add a spreader
      servers: [{url: https://elsewhere.example}]
      security: [{portico: ["fleet:write"]}]
      responses: {"201": {description: created}}
`

func consoleDoc(t *testing.T, src string, v ConsoleView) map[string]any {
	t.Helper()
	spec, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ConsoleDocument(spec, []byte(src), v)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("console document is not JSON: %v\n%s", err, out)
	}
	// Swagger UI reads it; so does any OpenAPI loader.
	if _, err := openapi3.NewLoader().LoadFromData(out); err != nil {
		t.Errorf("console document does not load as OpenAPI: %v", err)
	}
	return doc
}

// at walks a decoded JSON document.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func TestConsoleDocumentForAPartnerUser(t *testing.T) {
	t.Parallel()
	sandbox := "https://portal.example/sandbox/fleet"
	doc := consoleDoc(t, consoleSpec, ConsoleView{Server: sandbox, Held: map[string]bool{"fleet:read": true}})

	if diff := cmp.Diff([]any{map[string]any{"url": sandbox, "description": "Sandbox: synthetic data of your organisation"}}, doc["servers"]); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
	scheme := at(doc, "components", "securitySchemes", "portico").(map[string]any)
	if scheme["type"] != "http" || scheme["scheme"] != "bearer" || scheme["bearerFormat"] != ConsoleBearerFormat {
		t.Errorf("security scheme = %v, want HTTP bearer", scheme)
	}
	for _, p := range [][]any{{"paths", "/spreaders/{id}", "servers"}, {"paths", "/spreaders", "post", "servers"}} {
		if v := at(doc, p...); v != nil {
			t.Errorf("%v = %v: only the sandbox may be a server", p, v)
		}
	}
	// Scopes stay visible; what the viewer does not hold is marked.
	if got := at(doc, "paths", "/spreaders", "get", "description"); got != "Requires `fleet:read`. You hold it.\n\nLists them." {
		t.Errorf("listSpreaders description = %q", got)
	}
	if got := at(doc, "paths", "/spreaders", "post", "summary"); got != "Add a spreader (not granted to you)" {
		t.Errorf("createSpreader summary = %q", got)
	}
	if got, _ := at(doc, "paths", "/spreaders", "post", "description").(string); !strings.HasPrefix(got, "**Not granted to you — calls answer 403 `insufficient_scope`.** Requires `fleet:write`.") {
		t.Errorf("createSpreader description = %q", got)
	}
	// The security requirements still name the scopes.
	if got := at(doc, "paths", "/spreaders", "post", "security", 0, "portico", 0); got != "fleet:write" {
		t.Errorf("createSpreader security = %v", at(doc, "paths", "/spreaders", "post", "security"))
	}
	// Merge keys are resolved.
	if at(doc, "paths", "/spreaders/{id}", "get", "responses", "200", "description") != "ok" {
		t.Errorf("getSpreader lost its merged responses: %v", at(doc, "paths", "/spreaders/{id}", "get"))
	}
	// Optional parameters lose their example as a value (Swagger UI would
	// send it), keeping it in words; required ones keep it.
	site := at(doc, "paths", "/spreaders", "get", "parameters", 0).(map[string]any)
	if _, ok := site["example"]; ok || site["description"] != "Example: `NLRTM-T2`." {
		t.Errorf("optional parameter = %v", site)
	}
	if c := at(doc, "components", "parameters", "Cursor").(map[string]any); c["example"] != nil || c["description"] != "Where to continue. Example: `abc`." {
		t.Errorf("optional component parameter = %v", c)
	}
	if got := at(doc, "paths", "/spreaders/{id}", "get", "parameters", 0, "example"); got != "SPR-0042" {
		t.Errorf("required parameter example = %v, want kept", got)
	}
}

func TestConsoleDocumentKeepsOrder(t *testing.T) {
	t.Parallel()
	spec, err := Parse([]byte(consoleSpec))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ConsoleDocument(spec, []byte(consoleSpec), ConsoleView{Server: "/sandbox/fleet"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if i, j := strings.Index(s, `"/spreaders/{id}"`), strings.Index(s, `"/spreaders":`); i < 0 || j < 0 || i > j {
		t.Errorf("paths are not in the document's order:\n%s", s)
	}
	if !strings.HasPrefix(s, `{"openapi":"3.1.0","info":{"title":"Fleet API","version":"1.0.0"},"servers":`) {
		t.Errorf("keys are not in the document's order:\n%.200s", s)
	}
}

func TestConsoleDocumentForStaff(t *testing.T) {
	t.Parallel()
	doc := consoleDoc(t, consoleSpec, ConsoleView{Server: "/sandbox/fleet"})
	if got := at(doc, "paths", "/spreaders", "post", "summary"); got != "Add a spreader" {
		t.Errorf("staff see createSpreader as %q; staff hold no grants, so nothing is marked", got)
	}
	if got := at(doc, "paths", "/spreaders", "post", "description"); got != "Requires `fleet:write`." {
		t.Errorf("createSpreader description = %q", got)
	}
}

func TestConsoleDocumentFromJSON(t *testing.T) {
	t.Parallel()
	src := `{
	"openapi": "3.0.3",
	"info": {"title": "Fleet API", "version": "1.0.0"},
	"components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {"fleet:read": "Read"}}}}}},
	"paths": {"/spreaders": {"get": {"operationId": "list", "summary": "List", "security": [{"oauth": ["fleet:read"]}],
		"parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 200, "multipleOf": 0.5}}],
		"responses": {"200": {"description": "ok"}}}}}
}`
	doc := consoleDoc(t, src, ConsoleView{Server: "/sandbox/fleet", Held: map[string]bool{}})
	if got := at(doc, "components", "securitySchemes", "oauth", "scheme"); got != "bearer" {
		t.Errorf("scheme = %v", got)
	}
	if got := at(doc, "paths", "/spreaders", "get", "parameters", 0, "schema", "maximum"); got != float64(200) {
		t.Errorf("numbers are not kept: maximum = %#v", got)
	}
	if got := at(doc, "paths", "/spreaders", "get", "summary"); got != "List (not granted to you)" {
		t.Errorf("summary = %v", got)
	}
}

func TestConsoleDocumentRefusesAliasBombs(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(validSpec)
	b.WriteString("x-bomb:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString("  a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	spec, err := Parse([]byte(validSpec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ConsoleDocument(spec, []byte(b.String()), ConsoleView{Server: "/sandbox/fleet"}); err == nil {
		t.Error("a document that expands to gigabytes was rewritten; want an error")
	}
}
