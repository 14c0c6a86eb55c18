package gateway

import (
	"strings"
	"testing"

	"github.com/portico/portico/internal/catalog"
)

// matchSpec has the shapes of path the matcher must tell apart: the root,
// a literal beside a parameter at the same depth, two parameters, and
// operations that share a path but not a method.
const matchSpec = `openapi: 3.0.3
info: {title: Match, version: "1"}
components:
  securitySchemes:
    o: {type: oauth2, flows: {clientCredentials: {tokenUrl: /t, scopes: {s: S}}}}
security: [{o: [s]}]
paths:
  /:
    get: {responses: {"200": {description: ok}}}
  /spreaders:
    get: {responses: {"200": {description: ok}}}
    post: {responses: {"201": {description: ok}}}
  /spreaders/search:
    get: {responses: {"200": {description: ok}}}
  /spreaders/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get: {responses: {"200": {description: ok}}}
    delete: {responses: {"204": {description: ok}}}
  /spreaders/{id}/moves/{move}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
      - {name: move, in: path, required: true, schema: {type: string}}
    put: {responses: {"200": {description: ok}}}
`

// FuzzMatch matches arbitrary methods and paths (decoded, as the gateway
// and /auth/verify hand them over) against matchSpec's operations. It must
// never panic; a match must be an operation of that method whose template,
// filled with the parameters it extracted, gives back the path exactly;
// and "no match" must agree with a plain reference matcher on whether
// another method would have matched (405) or none (404).
func FuzzMatch(f *testing.F) {
	spec, err := catalog.Parse([]byte(matchSpec))
	if err != nil {
		f.Fatal(err)
	}
	e := &apiEntry{}
	for _, o := range spec.Operations {
		e.ops = append(e.ops, compile(spec.Doc, o))
	}
	for _, s := range [][2]string{
		{"GET", "/sandbox/fleet/"},
		{"GET", "/live/fleet/spreaders"},
		{"POST", "/live/fleet/spreaders"},
		{"PATCH", "/live/fleet/spreaders"},
		{"GET", "/live/fleet/spreaders/search"},
		{"GET", "/sandbox/fleet/spreaders/SPR-0042"},
		{"GET", "/sandbox/fleet/spreaders/SPR%2D0042"},
		{"GET", "/sandbox/fleet/spreaders/a%2Fb"},
		{"DELETE", "/live/fleet/spreaders/7/"},
		{"PUT", "/live/fleet/spreaders/7/moves/9"},
		{"PUT", "/live/fleet/spreaders//moves/9"},
		{"GET", "/live/fleet/spreaders/../admin"},
		{"GET", "/live/fleet"},
		{"GET", "/other/fleet/spreaders"},
		{"get", "/live/fleet/spreaders"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		env, slug, rest, ok := split(path)
		if !ok {
			return
		}
		if p := strings.TrimPrefix(path, "/"); p != env+"/"+slug+rest && !(rest == "/" && p == env+"/"+slug) || strings.Contains(slug, "/") {
			t.Fatalf("split(%q) = %q, %q, %q", path, env, slug, rest)
		}
		if dotSegment(rest) {
			return // refused before matching
		}
		op, methodOK := e.match(method, rest)
		var want, other *operation
		for _, o := range e.ops {
			if refMatches(o, rest) {
				if o.method == method && want == nil {
					want = o
				}
				other = o
			}
		}
		if op == nil {
			switch {
			case want != nil:
				t.Fatalf("%s %q matched nothing; the reference matches %s %s", method, rest, want.method, want.route.Path)
			case methodOK != (other == nil):
				t.Fatalf("%s %q: methodOK = %v, but another method's operation matches: %v", method, rest, methodOK, other != nil)
			}
			return
		}
		if !methodOK || op.method != method {
			t.Fatalf("%s %q matched %s %s (methodOK %v)", method, rest, op.method, op.route.Path, methodOK)
		}
		if want == nil {
			t.Fatalf("%s %q matched %s, which the reference does not", method, rest, op.route.Path)
		}
		params := op.pathParams(rest)
		if len(params) != op.params {
			t.Fatalf("%s %q: params %q, want %d", method, rest, params, op.params)
		}
		filled := op.route.Path
		for name, v := range params {
			if v == "" {
				t.Fatalf("%s %q: parameter %s is empty", method, rest, name)
			}
			filled = strings.Replace(filled, "{"+name+"}", v, 1)
		}
		if filled != rest {
			t.Fatalf("%s %q matched %s with %q, which fills in as %q", method, rest, op.route.Path, params, filled)
		}
	})
}

// refMatches is the matcher written plainly: the same number of segments,
// literals equal, parameters not empty.
func refMatches(o *operation, path string) bool {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) != len(o.segments) {
		return false
	}
	for i, s := range o.segments {
		if s.param == "" && parts[i] != s.literal || s.param != "" && parts[i] == "" {
			return false
		}
	}
	return true
}
