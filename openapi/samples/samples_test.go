package samples_test

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/portico/portico/openapi/samples"
)

// api is what one sample document must declare: its slug, its scopes and
// exactly these operations ("METHOD /path" -> operationId and the scope it
// requires).
type api struct {
	file, slug string
	scopes     []string
	ops        map[string]op
}

type op struct{ id, scope string }

var apis = []api{
	{
		file: "fleet.yaml", slug: "fleet",
		scopes: []string{"fleet:read"},
		ops: map[string]op{
			"GET /spreaders":                     {"listSpreaders", "fleet:read"},
			"GET /spreaders/{spreaderId}":        {"getSpreader", "fleet:read"},
			"GET /spreaders/{spreaderId}/status": {"getSpreaderStatus", "fleet:read"},
		},
	},
	{
		file: "telemetry.yaml", slug: "telemetry",
		scopes: []string{"telemetry:read"},
		ops: map[string]op{
			"GET /spreaders/{spreaderId}/lift-cycles": {"listLiftCycles", "telemetry:read"},
			"GET /alarms":           {"listAlarms", "telemetry:read"},
			"GET /alarms/{alarmId}": {"getAlarm", "telemetry:read"},
			"GET /spreaders/{spreaderId}/series/{metric}": {"getSeries", "telemetry:read"},
		},
	},
	{
		file: "maintenance.yaml", slug: "maintenance",
		scopes: []string{"maintenance:read", "maintenance:write"},
		ops: map[string]op{
			"GET /work-orders":                        {"listWorkOrders", "maintenance:read"},
			"GET /work-orders/{workOrderId}":          {"getWorkOrder", "maintenance:read"},
			"POST /work-orders":                       {"createWorkOrder", "maintenance:write"},
			"PATCH /work-orders/{workOrderId}/status": {"updateWorkOrderStatus", "maintenance:write"},
		},
	},
}

// idPatterns are the patterns path ids must carry, so that the gateway
// answers a malformed id with 400 before looking anything up.
var idPatterns = map[string]string{
	"spreaderId":  "^SPR-[0-9]{4}$",
	"alarmId":     "^ALM-[0-9]{6}$",
	"workOrderId": "^WO-[0-9]{6}$",
}

const errorRef = "#/components/schemas/Error"

var camelCase = regexp.MustCompile(`^[a-z]+(?:[A-Z][a-z0-9]*)*$`)

func load(t *testing.T, file string) *openapi3.T {
	t.Helper()
	data, err := fs.ReadFile(samples.FS, file)
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	// As the catalog validates on import, then with unknown formats refused
	// too, so that generators and validators know every format used.
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("validate %s: %v", file, err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableSchemaFormatValidation()); err != nil {
		t.Fatalf("validate %s with format validation: %v", file, err)
	}
	return doc
}

func TestEmbedsExactlyTheThreeDocuments(t *testing.T) {
	names, err := fs.Glob(samples.FS, "*")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"fleet.yaml", "maintenance.yaml", "telemetry.yaml"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("embedded files = %v, want %v", names, want)
	}
}

func TestSamples(t *testing.T) {
	for _, a := range apis {
		t.Run(a.slug, func(t *testing.T) {
			doc := load(t, a.file)
			checkInfo(t, doc, a)
			scopes := checkSecurityScheme(t, doc, a)
			checkOperations(t, doc, a, scopes)
			checkErrorSchema(t, doc)
			checkExamples(t, doc)
		})
	}
}

func checkInfo(t *testing.T, doc *openapi3.T, a api) {
	t.Helper()
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if doc.Info == nil || doc.Info.Title == "" || doc.Info.Version != "1.0.0" {
		t.Fatalf("info = %+v, want a title and version 1.0.0", doc.Info)
	}
	for _, want := range []string{"personal access token", "/oauth/token", "next_cursor", "request_id", "Retry-After"} {
		if !strings.Contains(strings.ToLower(doc.Info.Description), strings.ToLower(want)) {
			t.Errorf("info.description does not mention %q", want)
		}
	}
	var servers []string
	for _, s := range doc.Servers {
		servers = append(servers, s.URL+" "+s.Description)
	}
	want := []string{"/sandbox/" + a.slug + " Sandbox", "/live/" + a.slug + " Live"}
	if strings.Join(servers, ", ") != strings.Join(want, ", ") {
		t.Errorf("servers = %q, want %q", servers, want)
	}
}

// checkSecurityScheme checks the one OAuth2 scheme, portico, and returns
// its scopes.
func checkSecurityScheme(t *testing.T, doc *openapi3.T, a api) map[string]string {
	t.Helper()
	if doc.Components == nil || len(doc.Components.SecuritySchemes) != 1 || doc.Components.SecuritySchemes["portico"] == nil {
		t.Fatalf("want exactly one security scheme, portico")
	}
	s := doc.Components.SecuritySchemes["portico"].Value
	if s.Type != "oauth2" || s.Flows == nil || s.Flows.ClientCredentials == nil {
		t.Fatalf("portico: want an oauth2 scheme with a clientCredentials flow, got %+v", s)
	}
	cc := s.Flows.ClientCredentials
	if cc.TokenURL != "/oauth/token" {
		t.Errorf("tokenUrl = %q, want /oauth/token", cc.TokenURL)
	}
	var got []string
	for sc, desc := range cc.Scopes {
		got = append(got, sc)
		if strings.TrimSpace(desc) == "" {
			t.Errorf("scope %s has no description", sc)
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(a.scopes, " ") {
		t.Errorf("scopes = %v, want %v", got, a.scopes)
	}
	return cc.Scopes
}

func checkOperations(t *testing.T, doc *openapi3.T, a api, scopes map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			key := method + " " + path
			name := key + " (" + o.OperationID + ")"
			want, ok := a.ops[key]
			if !ok {
				t.Errorf("unexpected operation %s", name)
				continue
			}
			seen[key] = true
			if o.OperationID != want.id || !camelCase.MatchString(o.OperationID) {
				t.Errorf("%s: operationId = %q, want %q", key, o.OperationID, want.id)
			}
			if strings.TrimSpace(o.Summary) == "" || strings.TrimSpace(o.Description) == "" {
				t.Errorf("%s: want a summary and a description", name)
			}
			if len(o.Tags) == 0 {
				t.Errorf("%s: no tags", name)
			}
			checkOperationSecurity(t, name, o, want.scope, scopes)
			checkParameters(t, name, o, item)
			checkRequestBody(t, name, o)
			checkResponses(t, name, o)
		}
	}
	for key := range a.ops {
		if !seen[key] {
			t.Errorf("missing operation %s", key)
		}
	}
}

func checkOperationSecurity(t *testing.T, name string, o *openapi3.Operation, want string, scopes map[string]string) {
	t.Helper()
	if o.Security == nil || len(*o.Security) != 1 {
		t.Errorf("%s: want exactly one security requirement of its own", name)
		return
	}
	req := (*o.Security)[0]
	got, ok := req["portico"]
	if len(req) != 1 || !ok || len(got) != 1 {
		t.Errorf("%s: security = %v, want {portico: [one scope]}", name, req)
		return
	}
	if _, declared := scopes[got[0]]; !declared {
		t.Errorf("%s: scope %q is not declared by the portico scheme", name, got[0])
	}
	if got[0] != want {
		t.Errorf("%s: scope = %q, want %q", name, got[0], want)
	}
}

func checkParameters(t *testing.T, name string, o *openapi3.Operation, item *openapi3.PathItem) {
	t.Helper()
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, o.Parameters...)
	for _, ref := range params {
		p := ref.Value
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("%s: parameter %s has no description", name, p.Name)
		}
		if p.Schema == nil || p.Schema.Value == nil {
			t.Errorf("%s: parameter %s has no schema", name, p.Name)
			continue
		}
		if want, ok := idPatterns[p.Name]; ok && p.Schema.Value.Pattern != want {
			t.Errorf("%s: parameter %s pattern = %q, want %q", name, p.Name, p.Schema.Value.Pattern, want)
		}
		if p.Name == "limit" {
			s := p.Schema.Value
			if s.Min == nil || *s.Min != 1 || s.Max == nil || *s.Max < 1 {
				t.Errorf("%s: limit must have a minimum of 1 and a maximum", name)
			}
		}
		if p.In == "query" && (p.Name == "access_token" || p.Name == "token") {
			t.Errorf("%s: a token must never be a query parameter", name)
		}
	}
}

func checkRequestBody(t *testing.T, name string, o *openapi3.Operation) {
	t.Helper()
	if o.RequestBody == nil {
		return
	}
	rb := o.RequestBody.Value
	if !rb.Required || strings.TrimSpace(rb.Description) == "" {
		t.Errorf("%s: request body must be required and described", name)
	}
	mt := rb.Content.Get("application/json")
	if len(rb.Content) != 1 || mt == nil || mt.Schema == nil {
		t.Errorf("%s: request body must be application/json only, with a schema", name)
		return
	}
	if ap := mt.Schema.Value.AdditionalProperties.Has; ap == nil || *ap {
		t.Errorf("%s: request body schema must set additionalProperties: false", name)
	}
	if mt.Example == nil && len(mt.Examples) == 0 {
		t.Errorf("%s: request body has no example", name)
	}
}

func checkResponses(t *testing.T, name string, o *openapi3.Operation) {
	t.Helper()
	if o.Responses == nil {
		t.Errorf("%s: no responses", name)
		return
	}
	success := false
	for code, ref := range o.Responses.Map() {
		r := ref.Value
		if r.Description == nil || strings.TrimSpace(*r.Description) == "" {
			t.Errorf("%s: response %s has no description", name, code)
		}
		status, err := strconv.Atoi(code)
		if err != nil {
			t.Errorf("%s: response %q: want explicit status codes only", name, code)
			continue
		}
		switch {
		case status == 200 || status == 201 || status == 204:
			success = true
			if status != 204 {
				mt := r.Content.Get("application/json")
				if mt == nil || mt.Schema == nil || mt.Schema.Ref == "" {
					t.Errorf("%s: response %s must be JSON with a components.schemas schema", name, code)
				} else if mt.Example == nil && len(mt.Examples) == 0 {
					t.Errorf("%s: response %s has no example", name, code)
				}
			}
		case status >= 400:
			mt := r.Content.Get("application/json")
			if len(r.Content) != 1 || mt == nil || mt.Schema == nil || mt.Schema.Ref != errorRef {
				t.Errorf("%s: error response %s must be application/json with schema %s", name, code, errorRef)
			}
		}
	}
	if !success {
		t.Errorf("%s: documents no 200, 201 or 204 response", name)
	}
	for _, code := range []string{"400", "401", "403", "429"} {
		if o.Responses.Value(code) == nil {
			t.Errorf("%s: documents no %s response", name, code)
		}
	}
	if r := o.Responses.Value("429"); r != nil {
		for _, h := range []string{"Retry-After", "RateLimit", "RateLimit-Policy"} {
			if r.Value.Headers[h] == nil {
				t.Errorf("%s: 429 does not document the %s header", name, h)
			}
		}
	}
	if r := o.Responses.Value("201"); r != nil && r.Value.Headers["Location"] == nil {
		t.Errorf("%s: 201 does not document the Location header", name)
	}
}

// checkErrorSchema pins the one error shape of every Portico API:
// {"error": {"code", "message", "request_id"}}, nothing else.
func checkErrorSchema(t *testing.T, doc *openapi3.T) {
	t.Helper()
	ref := doc.Components.Schemas["Error"]
	if ref == nil {
		t.Fatal("no Error schema")
	}
	outer := ref.Value
	if !closedObject(outer, "error") {
		t.Fatalf("Error must be a closed object with exactly the required property error")
	}
	inner := outer.Properties["error"].Value
	if !closedObject(inner, "code", "message", "request_id") {
		t.Fatalf("Error.error must be a closed object with exactly the required properties code, message, request_id")
	}
	for name, p := range inner.Properties {
		if !p.Value.Type.Is("string") {
			t.Errorf("Error.error.%s must be a string", name)
		}
	}
}

func closedObject(s *openapi3.Schema, props ...string) bool {
	if !s.Type.Is("object") || s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has || len(s.Properties) != len(props) {
		return false
	}
	req := append([]string(nil), s.Required...)
	sort.Strings(req)
	sort.Strings(props)
	if strings.Join(req, ",") != strings.Join(props, ",") {
		return false
	}
	for _, p := range props {
		if s.Properties[p] == nil {
			return false
		}
	}
	return true
}

// checkExamples checks that a generator finds realistic values for
// everything: every component schema carries examples itself or through
// all its properties, every leaf schema anywhere has an example, and every
// example a schema carries is valid against it (kin-openapi validates media
// type and parameter examples, not the examples keyword of schemas).
func checkExamples(t *testing.T, doc *openapi3.T) {
	t.Helper()
	for name, ref := range doc.Components.Schemas {
		if !exemplified(ref.Value, map[*openapi3.Schema]bool{}) {
			t.Errorf("schema %s: neither it nor all of its properties have examples", name)
		}
	}
	w := walker{t: t, seen: map[*openapi3.Schema]bool{}}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		w.walk("#/components/schemas/"+name, doc.Components.Schemas[name])
	}
	for _, name := range sortedKeys(doc.Components.Parameters) {
		w.walk("#/components/parameters/"+name, doc.Components.Parameters[name].Value.Schema)
	}
	for _, name := range sortedKeys(doc.Components.Headers) {
		w.walk("#/components/headers/"+name, doc.Components.Headers[name].Value.Schema)
	}
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			at := method + " " + path
			for _, p := range o.Parameters {
				w.walk(at+" parameter "+p.Value.Name, p.Value.Schema)
			}
			if o.RequestBody != nil {
				for ct, mt := range o.RequestBody.Value.Content {
					w.walk(at+" request "+ct, mt.Schema)
				}
			}
			for code, r := range o.Responses.Map() {
				for h, hr := range r.Value.Headers {
					w.walk(at+" "+code+" header "+h, hr.Value.Schema)
				}
				for ct, mt := range r.Value.Content {
					w.walk(at+" "+code+" "+ct, mt.Schema)
				}
			}
		}
	}
}

func exemplified(s *openapi3.Schema, seen map[*openapi3.Schema]bool) bool {
	if s.Example != nil || len(s.Examples) > 0 || s.Const != nil {
		return true
	}
	if seen[s] {
		return true
	}
	seen[s] = true
	switch {
	case len(s.Properties) > 0:
		for _, p := range s.Properties {
			if !exemplified(p.Value, seen) {
				return false
			}
		}
		return true
	case s.Items != nil:
		return exemplified(s.Items.Value, seen)
	}
	return false
}

type walker struct {
	t    *testing.T
	seen map[*openapi3.Schema]bool
}

func (w walker) walk(at string, ref *openapi3.SchemaRef) {
	if ref == nil || ref.Value == nil {
		return
	}
	s := ref.Value
	if w.seen[s] {
		return
	}
	w.seen[s] = true
	leaf := len(s.Properties) == 0 && s.Items == nil && len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) == 0
	if leaf && s.Example == nil && len(s.Examples) == 0 && s.Const == nil {
		w.t.Errorf("%s: no example", at)
	}
	var examples []any
	if s.Example != nil {
		examples = append(examples, s.Example)
	}
	examples = append(examples, s.Examples...)
	for i, ex := range examples {
		if err := s.VisitJSON(ex, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation()); err != nil {
			w.t.Errorf("%s: example %d (%s) is invalid: %v", at, i, short(ex), err)
		}
	}
	for _, name := range sortedKeys(s.Properties) {
		w.walk(at+"."+name, s.Properties[name])
	}
	w.walk(at+"[]", s.Items)
	for i, sub := range s.AllOf {
		w.walk(fmt.Sprintf("%s.allOf[%d]", at, i), sub)
	}
	for i, sub := range s.AnyOf {
		w.walk(fmt.Sprintf("%s.anyOf[%d]", at, i), sub)
	}
	for i, sub := range s.OneOf {
		w.walk(fmt.Sprintf("%s.oneOf[%d]", at, i), sub)
	}
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
