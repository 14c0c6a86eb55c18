package catalog_test

import (
	"context"
	"go/format"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/openapi/samples"
)

var docTarget = catalog.DocTarget{Sandbox: "https://portal.test/sandbox/x", Live: "https://portal.test/live/x"}

var sampleFiles = []string{"fleet.yaml", "telemetry.yaml", "maintenance.yaml"}

// sampleDocs parses a bundled sample document and builds its docs.
func sampleDocs(t *testing.T, file string) (*catalog.Spec, *catalog.DocPage) {
	t.Helper()
	data, err := fs.ReadFile(samples.FS, file)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := catalog.Parse(data)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return spec, catalog.BuildDocs(spec, data, docTarget)
}

// docOperations are every operation of the docs, in page order.
func docOperations(d *catalog.DocPage) []catalog.DocOperation {
	var out []catalog.DocOperation
	for _, g := range d.Groups {
		out = append(out, g.Operations...)
	}
	return out
}

// specOperation is what the document itself says of one operation.
type specOperation struct {
	method string
	path   string
	scopes []string
	params []string // "in name", sorted
	body   bool
}

func paramKeys(ps openapi3.Parameters) []string {
	var out []string
	for _, p := range ps {
		if p != nil && p.Value != nil {
			out = append(out, p.Value.In+" "+p.Value.Name)
		}
	}
	return out
}

// specOperations reads the operations straight from the document's paths,
// by operation id.
func specOperations(t *testing.T, spec *catalog.Spec) map[string]specOperation {
	t.Helper()
	out := map[string]specOperation{}
	for _, path := range spec.Doc.Paths.InMatchingOrder() {
		item := spec.Doc.Paths.Value(path)
		for method, op := range item.Operations() {
			so := specOperation{method: method, path: path, body: op.RequestBody != nil}
			reqs := spec.Doc.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			for _, req := range reqs {
				for _, scopes := range req {
					so.scopes = append(so.scopes, scopes...)
				}
			}
			sort.Strings(so.scopes)
			seen := map[string]bool{}
			for _, k := range append(paramKeys(op.Parameters), paramKeys(item.Parameters)...) {
				if !seen[k] {
					seen[k] = true
					so.params = append(so.params, k)
				}
			}
			sort.Strings(so.params)
			if op.OperationID == "" {
				t.Fatalf("the sample's %s %s has no operationId", method, path)
			}
			out[op.OperationID] = so
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pathPattern matches a URL of the path template with every {param}
// filled in by a value.
func pathPattern(base, path string) *regexp.Regexp {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			parts[i] = `[^/{}%]+`
		} else {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile(`^` + regexp.QuoteMeta(base) + strings.Join(parts, "/") + `(\?[^{}]*)?$`)
}

var curlURL = regexp.MustCompile(`--url '([^']+)'`)

func TestBuildDocsSamples(t *testing.T) {
	t.Parallel()
	for _, file := range sampleFiles {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			spec, d := sampleDocs(t, file)
			want := specOperations(t, spec)
			ops := docOperations(d)
			got := map[string]catalog.DocOperation{}
			for _, op := range ops {
				if _, dup := got[op.ID]; dup {
					t.Errorf("operation %s appears twice", op.ID)
				}
				got[op.ID] = op
			}
			if diff := cmp.Diff(sortedKeys(want), sortedKeys(got)); diff != "" {
				t.Fatalf("operation ids (-spec +docs):\n%s", diff)
			}
			if d.Operations != len(want) {
				t.Errorf("Operations = %d, want %d", d.Operations, len(want))
			}
			if d.Title != spec.Title || d.Version != spec.Version || d.Summary == "" || len(d.Description) == 0 {
				t.Errorf("header = %q %q, summary %q, %d description blocks", d.Title, d.Version, d.Summary, len(d.Description))
			}
			if d.Errors == nil || d.Errors.Schema == nil || d.Errors.Schema.Name != "Error" || d.Errors.Example == "" || len(d.Errors.Statuses) == 0 {
				t.Errorf("errors = %+v, want the Error schema, an example and the error statuses", d.Errors)
			}
			for id, so := range want {
				op := got[id]
				t.Run(id, func(t *testing.T) {
					if op.Method != strings.ToUpper(so.method) || op.Path != so.path {
						t.Errorf("operation = %s %s, want %s %s", op.Method, op.Path, so.method, so.path)
					}
					if diff := cmp.Diff(so.scopes, op.Scopes); diff != "" || len(op.Scopes) == 0 {
						t.Errorf("scopes (-spec +docs):\n%s", diff)
					}
					var params []string
					for _, p := range op.Params {
						params = append(params, p.In+" "+p.Name)
						if p.Type == "" {
							t.Errorf("parameter %s has no type", p.Name)
						}
					}
					sort.Strings(params)
					if diff := cmp.Diff(so.params, params); diff != "" {
						t.Errorf("parameters (-spec +docs):\n%s", diff)
					}
					if len(op.Responses) == 0 {
						t.Error("no response")
					}
					for _, r := range op.Responses {
						if r.Status[0] == '2' && (r.Body == nil || r.Body.Schema == nil || len(r.Body.Examples) == 0) {
							t.Errorf("response %s has no schema or example", r.Status)
						}
					}
					if so.body != (op.Body != nil) {
						t.Errorf("request body = %v, want %v", op.Body != nil, so.body)
					}
					if op.Body != nil && (op.Body.Schema == nil || len(op.Body.Schema.Fields) == 0 || len(op.Body.Examples) == 0) {
						t.Errorf("request body has no field table or example: %+v", op.Body)
					}
					checkSamples(t, op, so)
				})
			}
		})
	}
}

// checkSamples checks an operation's code samples: every language, the
// method, the URL with its path parameters filled in, the body, and the
// token read from the environment, never written out.
func checkSamples(t *testing.T, op catalog.DocOperation, so specOperation) {
	t.Helper()
	var langs []string
	for _, s := range op.Samples {
		langs = append(langs, s.Lang)
	}
	if diff := cmp.Diff([]string{"curl", "go", "python", "javascript"}, langs); diff != "" {
		t.Fatalf("sample languages (-want +got):\n%s", diff)
	}
	m := curlURL.FindStringSubmatch(op.Samples[0].Code)
	if m == nil {
		t.Fatalf("curl sample has no --url:\n%s", op.Samples[0].Code)
	}
	url := m[1]
	if !pathPattern(docTarget.Sandbox, op.Path).MatchString(url) {
		t.Errorf("sample URL %q does not fill in the path %s on the sandbox base", url, op.Path)
	}
	method := map[string]string{
		"curl":       "--request " + op.Method,
		"go":         "http.Method" + op.Method[:1] + strings.ToLower(op.Method[1:]),
		"python":     `"` + op.Method + `"`,
		"javascript": `method: "` + op.Method + `"`,
	}
	token := map[string]string{
		"curl":       `Authorization: Bearer $PORTICO_TOKEN`,
		"go":         `"Bearer "+os.Getenv("PORTICO_TOKEN")`,
		"python":     `"Bearer " + os.environ["PORTICO_TOKEN"]`,
		"javascript": "`Bearer ${process.env.PORTICO_TOKEN}`",
	}
	body := map[string]string{"curl": "--data '", "go": "strings.NewReader(", "python": "json=", "javascript": "body: JSON.stringify("}
	for _, s := range op.Samples {
		for what, want := range map[string]string{"method": method[s.Lang], "URL": url, "token": token[s.Lang]} {
			if !strings.Contains(s.Code, want) {
				t.Errorf("%s sample lacks the %s %q:\n%s", s.Lang, what, want, s.Code)
			}
		}
		if strings.Contains(s.Code, "ptc_") {
			t.Errorf("%s sample contains a token:\n%s", s.Lang, s.Code)
		}
		if got := strings.Contains(s.Code, body[s.Lang]); got != so.body {
			t.Errorf("%s sample sends a body: %v, want %v", s.Lang, got, so.body)
		}
		if s.Lang == "go" {
			if src, err := format.Source([]byte(s.Code)); err != nil || string(src) != s.Code {
				t.Errorf("Go sample is not gofmt-clean Go (%v):\n%s", err, s.Code)
			}
		}
	}
}

func TestParseProse(t *testing.T) {
	t.Parallel()
	p := func(spans ...catalog.Span) catalog.Block {
		return catalog.Block{Kind: catalog.BlockParagraph, Spans: spans}
	}
	txt := func(s string) catalog.Span { return catalog.Span{Text: s} }
	for _, tc := range []struct {
		name, in string
		want     catalog.Prose
	}{
		{"empty", "", nil},
		{"paragraphs", "one\nline\n\ntwo", catalog.Prose{p(txt("one line")), p(txt("two"))}},
		{"inline marks", "a `code` **strong** *em* [link](https://evil.example/x)",
			catalog.Prose{p(txt("a "), catalog.Span{Text: "code", Code: true}, txt(" "), catalog.Span{Text: "strong", Strong: true}, txt(" "), catalog.Span{Text: "em", Em: true}, txt(" link"))}},
		{"script stays text", "Hello <script>alert(1)</script> world",
			catalog.Prose{p(txt("Hello <script>alert(1)</script> world"))}},
		{"HTML block stays text", "<div onclick=\"steal()\">\n<img src=x onerror=alert(1)>\n</div>",
			catalog.Prose{p(txt("<div onclick=\"steal()\"> <img src=x onerror=alert(1)> </div>"))}},
		{"heading", "## Errors ##", catalog.Prose{{Kind: catalog.BlockHeading, Level: 2, Spans: []catalog.Span{txt("Errors")}}}},
		{"fenced code keeps markup", "```html\n<b>x</b>\n```", catalog.Prose{{Kind: catalog.BlockCode, Code: "<b>x</b>", Lang: "html"}}},
		{"lists", "* a\n  more\n* b\n\n1. one",
			catalog.Prose{{Kind: catalog.BlockList, Items: [][]catalog.Span{{txt("a more")}, {txt("b")}, {txt("one")}}}}},
		{"ordered list", "1. one\n2. two", catalog.Prose{{Kind: catalog.BlockList, Ordered: true, Items: [][]catalog.Span{{txt("one")}, {txt("two")}}}}},
		{"table", "| A | `b|c` |\n|---|---|\n| 1 | 2 |",
			catalog.Prose{{Kind: catalog.BlockTable, Rows: [][][]catalog.Span{{{txt("A")}, {{Text: "b|c", Code: true}}}, {{txt("1")}, {txt("2")}}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, catalog.ParseProse(tc.in)); diff != "" {
				t.Errorf("ParseProse(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// TestDocsProseIsText builds the docs of a document whose descriptions
// carry HTML: it comes out as text in Prose, never as a block of markup.
func TestDocsProseIsText(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(fleetV1, `info: {title: Fleet API, version: "1.0.0"}`,
		"info:\n  title: Fleet API\n  version: \"1.0.0\"\n  description: |\n    Hi <script>alert(1)</script>\n\n    <iframe src=\"https://evil.example\"></iframe>", 1)
	spec, err := catalog.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	d := catalog.BuildDocs(spec, []byte(doc), docTarget)
	want := catalog.Prose{
		{Kind: catalog.BlockParagraph, Spans: []catalog.Span{{Text: "Hi <script>alert(1)</script>"}}},
		{Kind: catalog.BlockParagraph, Spans: []catalog.Span{{Text: `<iframe src="https://evil.example"></iframe>`}}},
	}
	if diff := cmp.Diff(want, d.Description); diff != "" {
		t.Errorf("description (-want +got):\n%s", diff)
	}
	if d.Intro != "Hi <script>alert(1)</script>" {
		t.Errorf("Intro = %q", d.Intro)
	}
}

func TestSamples(t *testing.T) {
	t.Parallel()
	body := &catalog.Object{}
	body.Set("note", "it's <ok>")
	body.Set("done", true)
	samples := catalog.Samples(catalog.SampleRequest{Method: "post", URL: "https://portal.test/sandbox/x/a?q=it's", Body: body})
	want := map[string][]string{
		"curl":       {"--request POST", `--url 'https://portal.test/sandbox/x/a?q=it'\''s'`, `'Content-Type: application/json'`, `"note": "it'\''s <ok>"`},
		"go":         {"http.MethodPost", `"https://portal.test/sandbox/x/a?q=it's"`, `"note": "it's <ok>"`},
		"python":     {`"POST"`, `"done": True`, `"note": "it's <ok>"`},
		"javascript": {`method: "POST"`, `"Content-Type": "application/json"`, `"done": true`},
	}
	for _, s := range samples {
		t.Run(s.Lang, func(t *testing.T) {
			for _, w := range want[s.Lang] {
				if !strings.Contains(s.Code, w) {
					t.Errorf("sample lacks %q:\n%s", w, s.Code)
				}
			}
			if !strings.Contains(s.Code, catalog.TokenVariable) {
				t.Errorf("sample does not read %s:\n%s", catalog.TokenVariable, s.Code)
			}
		})
	}
	// Keys keep the order they were set in.
	if got := catalog.JSON(body, "  "); got != "{\n  \"note\": \"it's <ok>\",\n  \"done\": true\n}" {
		t.Errorf("JSON = %s", got)
	}
}

// TestServiceDocs: the service builds an API's docs once per revision and
// target, and a new revision's docs replace the old.
func TestServiceDocs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := catalog.NewService(pgtest.Store(t))
	imp, err := svc.Create(ctx, access.Actor{}, "fleet", "", []byte(fleetV1))
	if err != nil {
		t.Fatal(err)
	}
	d1, err := svc.Docs(ctx, imp.API.ID, docTarget)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := svc.Docs(ctx, imp.API.ID, docTarget)
	if again != d1 {
		t.Error("the docs of an unchanged revision were built again")
	}
	other := catalog.DocTarget{Sandbox: "https://other.test/sandbox/fleet", Live: "https://other.test/live/fleet"}
	if d, _ := svc.Docs(ctx, imp.API.ID, other); d == d1 || d.Target != other {
		t.Errorf("docs for another target = %+v, want their own", d.Target)
	}
	v2 := strings.Replace(fleetV1, `"1.0.0"`, `"2.0.0"`, 1) + "  /cranes: {get: {operationId: listCranes, responses: {\"200\": {description: ok}}}}\n"
	if _, err := svc.AddRevision(ctx, access.Actor{}, imp.API.ID, []byte(v2)); err != nil {
		t.Fatal(err)
	}
	d2, err := svc.Docs(ctx, imp.API.ID, docTarget)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, op := range docOperations(d2) {
		ids = append(ids, op.ID)
	}
	if d2.Version != "2.0.0" || !cmp.Equal(ids, []string{"listCranes", "listSpreaders", "getSpreader"}) {
		t.Errorf("after a new revision: version %q, operations %v", d2.Version, ids)
	}
}
