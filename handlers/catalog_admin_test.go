package handlers_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postFile posts a multipart form with fields and, when doc is not nil, a
// file field "spec".
func (b *browser) postFile(path string, fields map[string]string, doc []byte) page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if doc != nil {
		fw, _ := w.CreateFormFile("spec", "api.yaml")
		_, _ = fw.Write(doc)
	}
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

const smallSpec = `openapi: 3.0.3
info: {title: Gate API, version: "1.0.0"}
components:
  securitySchemes:
    portico: {type: oauth2, flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {"gate:read": Read gates}}}}
security: [{portico: ["gate:read"]}]
paths:
  /gates: {get: {operationId: listGates, summary: List gates, responses: {"200": {description: ok}}}}
`

func TestImportAPIPages(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	am := signedInAs(t, p, "am@portico.test")

	if res := am.get("/catalog/import"); res.status != http.StatusOK || res.doc.Find("#bundled option[value='fleet.yaml']").Length() != 1 {
		t.Fatalf("import form = %d, or it does not offer the bundled fleet.yaml", res.status)
	}
	res := am.postFile("/catalog/import", map[string]string{"slug": "fleet", "bundled": "fleet.yaml"}, nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/catalog/fleet/revisions" {
		t.Fatalf("import bundled = %d to %q", res.status, res.header.Get("Location"))
	}
	rev := am.get("/catalog/fleet/revisions")
	if !strings.Contains(text(rev, "[data-testid=flash]"), "was imported with") || rev.doc.Find("[data-testid=revision]").Length() != 1 {
		t.Errorf("after import: flash %q, %d revisions", text(rev, "[data-testid=flash]"), rev.doc.Find("[data-testid=revision]").Length())
	}

	for _, tc := range []struct {
		name   string
		fields map[string]string
		doc    []byte
		sel    string
		want   string
	}{
		{"scope-less operation", map[string]string{"slug": "gate"}, []byte(strings.Replace(smallSpec, `security: [{portico: ["gate:read"]}]`+"\n", "", 1)), "[data-testid=spec-error]", "These declare none: GET /gates (listGates)"},
		{"not OpenAPI", map[string]string{"slug": "gate"}, []byte("hello: world\n"), "[data-testid=spec-error]", "refused"},
		{"too large", map[string]string{"slug": "gate"}, append([]byte(smallSpec+"# "), bytes.Repeat([]byte("x"), 3<<20)...), "[data-testid=spec-error]", "2 MiB"},
		{"no file", map[string]string{"slug": "gate"}, nil, "[data-testid=spec-error]", "Choose an OpenAPI document"},
		{"duplicate slug", map[string]string{"slug": "fleet"}, []byte(smallSpec), "[data-testid=slug-error]", "exists already"},
		{"bad slug", map[string]string{"slug": "Gate API"}, []byte(smallSpec), "[data-testid=slug-error]", "lower-case"},
	} {
		res := am.postFile("/catalog/import", tc.fields, tc.doc)
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, tc.sel), tc.want) {
			t.Errorf("%s: = %d %q, want 422 with %q", tc.name, res.status, text(res, tc.sel), tc.want)
		}
	}
	if apis, _ := p.store.ListAPIs(context.Background()); len(apis) != 1 {
		t.Errorf("%d APIs stored after refused imports, want 1", len(apis))
	}

	// A new revision records what changed.
	if res := am.postFile("/catalog/import", map[string]string{"slug": "gate"}, []byte(smallSpec)); res.status != http.StatusSeeOther {
		t.Fatalf("import gate = %d: %s", res.status, text(res, "[data-testid=spec-error]"))
	}
	v2 := strings.Replace(smallSpec, `"1.0.0"`, `"1.1.0"`, 1) + "  /gates/{id}: {get: {operationId: getGate, parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {\"200\": {description: ok}}}}\n"
	if res := am.postFile("/catalog/gate/revisions", nil, []byte(v2)); res.status != http.StatusSeeOther {
		t.Fatalf("new revision = %d: %s", res.status, text(res, "[data-testid=spec-error]"))
	}
	hist := am.get("/catalog/gate/revisions")
	if got := text(hist, "[data-revision='2'] [data-testid=added]"); got != "+ GET /gates/{id}" {
		t.Errorf("revision 2 added = %q", got)
	}

	// Lifecycle.
	if res := am.post("/catalog/gate/status", url.Values{"status": {"deprecated"}}); res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=status-error]") == "" {
		t.Errorf("deprecate without sunset = %d", res.status)
	}
	am.post("/catalog/gate/status", url.Values{"status": {"deprecated"}, "sunset": {"2027-03-31"}})
	if got := text(am.get("/catalog/gate/revisions"), "[data-testid=api-status]"); got != "deprecated" {
		t.Errorf("status = %q, want deprecated", got)
	}

	// Deletion is refused while a group includes the API.
	ctx := context.Background()
	gate, _ := p.store.APIBySlug(ctx, "gate")
	g, err := p.store.CreateAccessGroup(ctx, "Gatekeepers", "", 60, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.store.SetGroupAPI(ctx, g.ID, gate.ID, []string{"gate:read"}); err != nil {
		t.Fatal(err)
	}
	if got := text(am.get("/catalog/gate/delete"), "[data-testid=delete-refusal]"); !strings.Contains(got, "Gatekeepers") {
		t.Errorf("delete page = %q, want the refusal naming Gatekeepers", got)
	}
	if res := am.post("/catalog/gate/delete", nil); res.status != http.StatusConflict {
		t.Errorf("delete while included = %d, want 409", res.status)
	}
	if res := am.post("/catalog/fleet/delete", nil); res.status != http.StatusSeeOther {
		t.Errorf("delete fleet = %d, want 303", res.status)
	}
	if _, err := p.store.APIBySlug(ctx, "fleet"); err == nil {
		t.Error("fleet still exists after deletion")
	}

	for _, who := range []string{"admin@harbor.test", "dev@harbor.test"} {
		b := signedInAs(t, p, who)
		if res := b.get("/catalog/import"); res.status != http.StatusForbidden {
			t.Errorf("%s GET /catalog/import = %d, want 403", who, res.status)
		}
		if res := b.postFile("/catalog/import", map[string]string{"slug": "evil"}, []byte(smallSpec)); res.status != http.StatusForbidden {
			t.Errorf("%s POST /catalog/import = %d, want 403", who, res.status)
		}
	}
}
