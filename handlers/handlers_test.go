package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/apitest"
	"github.com/portico/portico/internal/logtest"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.MainThen(m, scanAfterTests)) }

// noKick stands in for the mail sender: tests read the outbox table.
type noKick struct{}

func (noKick) Kick() {}

func testConfig() handlers.Config {
	return handlers.Config{Version: "1.2.3-test", Secret: []byte("test-secret-test-secret-test-secret!"), BaseURL: "http://portal.test", MailTransport: "test"}
}

// newApp returns the portal over a fresh database and the buffer its logs go to.
func newApp(t *testing.T, db *sqlx.DB) (*echo.Echo, *logtest.Buffer) {
	t.Helper()
	if db == nil {
		db = pgtest.DB(t)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	return handlers.New(testConfig(), handlers.Deps{Log: log, DB: db, Outbox: mail.NewOutbox(store.New(db)), Mailer: noKick{}}), logs
}

func get(t *testing.T, h http.Handler, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func parseHTML(t *testing.T, body []byte) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

type jsonError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func TestHomePage(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t, nil)
	rec := get(t, app, "/", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", rec.Code)
	}
	doc := parseHTML(t, rec.Body.Bytes())
	if got := doc.Find("[data-testid=home] h1").Text(); got == "" {
		t.Error("landing page has no heading")
	}
	if got := strings.TrimSpace(doc.Find("[data-testid=version]").Text()); got != "Version 1.2.3-test" {
		t.Errorf("footer version = %q, want %q", got, "Version 1.2.3-test")
	}
	if got := doc.Find("[data-testid=nav] a[aria-current=page]").Text(); got != "Home" {
		t.Errorf("current nav item = %q, want Home", got)
	}
	// Every stylesheet and script comes from this origin under a hashed URL.
	doc.Find("link[rel=stylesheet], script").Each(func(_ int, s *goquery.Selection) {
		u := s.AttrOr("href", s.AttrOr("src", ""))
		if !strings.HasPrefix(u, "/static/") {
			t.Errorf("asset %q is not served from /static/", u)
		}
		if r := get(t, app, u, nil); r.Code != http.StatusOK || !strings.Contains(r.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s = %d, Cache-Control %q; want 200 and immutable", u, r.Code, r.Header().Get("Cache-Control"))
		}
	})
	if n := doc.Find("script:not([src])").Length(); n != 0 {
		t.Errorf("page has %d inline scripts; the CSP forbids them", n)
	}
	// A favicon of its own, so no page ends with a failed request for one.
	icon := doc.Find(`link[rel=icon]`).AttrOr("href", "")
	if r := get(t, app, icon, nil); !strings.HasPrefix(icon, "/static/") || r.Code != http.StatusOK ||
		r.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("favicon %q: %d %q %q; want a hashed /static/ SVG, cached for good", icon, r.Code, r.Header().Get("Content-Type"), r.Header().Get("Cache-Control"))
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t, nil)

	t.Run("page for browsers", func(t *testing.T) {
		rec := get(t, app, "/no/such/page", map[string]string{"Accept": "text/html,application/xhtml+xml"})
		if rec.Code != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q, want text/html", ct)
		}
		doc := parseHTML(t, rec.Body.Bytes())
		if got := doc.Find("[data-testid=error-status]").Text(); got != "404" {
			t.Errorf("error status on page = %q, want 404", got)
		}
		if got := doc.Find("h1").Text(); got != "Page not found" {
			t.Errorf("heading = %q, want %q", got, "Page not found")
		}
		if got, want := doc.Find("[data-testid=request-id]").Text(), rec.Header().Get("X-Request-Id"); got == "" || got != want {
			t.Errorf("request id on page = %q, header = %q; want equal and non-empty", got, want)
		}
		if doc.Find("a[href='/']").Length() == 0 {
			t.Error("404 page has no way back to the start page")
		}
	})

	t.Run("JSON for machines", func(t *testing.T) {
		for _, tc := range []struct{ path, accept string }{
			{"/api/v1/nothing", ""},
			{"/no/such/page", "application/json"},
		} {
			rec := get(t, app, tc.path, map[string]string{"Accept": tc.accept})
			if rec.Code != http.StatusNotFound {
				t.Fatalf("GET %s = %d, want 404", tc.path, rec.Code)
			}
			var body jsonError
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("GET %s: body %q is not JSON: %v", tc.path, rec.Body.String(), err)
			}
			if body.Error.Code != "not_found" || body.Error.Message == "" || body.Error.RequestID != rec.Header().Get("X-Request-Id") {
				t.Errorf("GET %s: error = %+v, want code not_found, a message and the response's request id %q", tc.path, body.Error, rec.Header().Get("X-Request-Id"))
			}
			checkErrorSchema(t, rec.Body.Bytes())
		}
	})
}

// checkErrorSchema validates body against the Error schema of portal.yaml.
func checkErrorSchema(t *testing.T, body []byte) {
	t.Helper()
	doc := apitest.Portal(t).Doc()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if err := doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
		t.Errorf("error body %s does not match the Error schema: %v", body, err)
	}
}

func TestPanicBecomesCleanError(t *testing.T) {
	t.Parallel()
	app, logs := newApp(t, nil)
	app.GET("/test/panic", func(echo.Context) error { panic("kaboom: secret detail") })

	rec := get(t, app, "/test/panic", map[string]string{"Accept": "text/html"})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	doc := parseHTML(t, rec.Body.Bytes())
	if got := doc.Find("[data-testid=error-status]").Text(); got != "500" {
		t.Errorf("page status = %q, want 500", got)
	}
	if strings.Contains(rec.Body.String(), "kaboom") {
		t.Error("500 page shows the panic value to the user")
	}

	rec = get(t, app, "/test/panic", map[string]string{"Accept": "application/json"})
	var body jsonError
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
	}
	if rec.Code != 500 || body.Error.Code != "internal" || strings.Contains(body.Error.Message, "kaboom") {
		t.Errorf("JSON 500 = %d %+v; want code internal without the panic value", rec.Code, body.Error)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Error("the panic is not in the log")
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t, nil)
	for _, path := range []string{"/", "/healthz", "/no/such/page", "/openapi/portal.yaml"} {
		rec := get(t, app, path, nil)
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: CSP allows unsafe-inline", path)
		}
		got := map[string]string{
			"X-Content-Type-Options": h.Get("X-Content-Type-Options"),
			"Referrer-Policy":        h.Get("Referrer-Policy"),
			"X-Frame-Options":        h.Get("X-Frame-Options"),
		}
		want := map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET %s: headers (-want +got):\n%s", path, diff)
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id", path)
		}
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t, nil)
	app.POST("/test/change", func(c echo.Context) error { return c.String(200, "changed") })
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"cross-site browser form", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"same-origin browser form", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, http.StatusOK},
		{"non-browser client", nil, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/test/change", nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status = %d, want %d", rec.Code, tc.want)
			}
		})
	}
}

func TestAccessLogHasNoSecrets(t *testing.T) {
	t.Parallel()
	app, logs := newApp(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/no/such?access_token=ptc_sbx_querysecret", nil)
	req.Header.Set("Authorization", "Bearer ptc_sbx_headersecret")
	req.Header.Set("Cookie", "__Host-portico=cookiesecret")
	req.Header.Set("X-Request-Id", "trace-1234abcd")
	app.ServeHTTP(httptest.NewRecorder(), req)
	out := logs.String()
	for _, secret := range []string{"querysecret", "headersecret", "cookiesecret", "access_token"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"method=GET", "path=/no/such", "status=404", "request_id=trace-1234abcd", "latency_ms="} {
		if !strings.Contains(out, want) {
			t.Errorf("access log lacks %q:\n%s", want, out)
		}
	}
}

func TestOpsEndpointsMatchSpec(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t, nil)
	spec := apitest.Portal(t)
	for _, path := range []string{"/healthz", "/readyz", "/openapi/portal.yaml"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		rec := apitest.Do(t, spec, app, req)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200: %s", path, rec.Code, rec.Body)
		}
	}
}

func TestReadyzOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlx.Open("postgres", pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_ = ctx
	app, _ := newApp(t, db)
	rec := apitest.Do(t, apitest.Portal(t), app, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "behind") {
		t.Errorf("/readyz on an unmigrated database = %d %s; want 503 saying migrations are behind", rec.Code, rec.Body)
	}
}

func TestTokensInPathsAreNotLogged(t *testing.T) {
	t.Parallel()
	app, logs := newApp(t, nil)
	secret := "ptc_inv_4x9SecretBodyThatMustNotBeLogged0abcDE"
	reset := "ptc_rst_4x9SecretBodyThatMustNotBeLogged0abcDE"
	email := "ptc_eml_4x9SecretBodyThatMustNotBeLogged0abcDE"
	for _, path := range []string{
		"/invitations/" + secret,
		"/invitations/" + secret + "/extra",
		"/reset-password/" + reset,
		"/invitations/%2570tc_" + secret[4:], // encoded twice: logged once decoded
		"/reset-password/%2570tc%255F" + reset[4:],
		"/nowhere/" + secret, // the 404 page
		"/account/email/confirm/" + email,
	} {
		rec := get(t, app, path, nil)
		if strings.HasPrefix(path, "/account/") && rec.Code == http.StatusSeeOther {
			continue // signed out: to sign-in, the link in the query (never logged)
		}
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusGone {
			t.Errorf("GET %s = %d, want 404 or 410 for an unknown link", path, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "SecretBody") {
			t.Errorf("GET %s: the page echoes the token", path)
		}
	}
	out := logs.String()
	if strings.Contains(out, "SecretBody") {
		t.Errorf("log contains the token:\n%s", out)
	}
	for _, want := range []string{"path=/invitations/ptc_inv_[redacted]", "path=/reset-password/ptc_rst_[redacted]", "path=/nowhere/ptc_inv_[redacted]", "path=/account/email/confirm/ptc_eml_[redacted]"} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not show the redacted path %s:\n%s", want, out)
		}
	}
}

// TestTokensInErrorsAreNotLogged: an error that quotes what was asked for
// (here an API slug that is a pasted token) is logged with the token cut
// to its kind, like paths are.
func TestTokensInErrorsAreNotLogged(t *testing.T) {
	t.Parallel()
	p, logs := newCatalogPortalWithLogs(t)
	b := signedInAs(t, p, "dev@harbor.test")
	secret := "ptc_live_4x9SecretBodyThatMustNotBeLogged0abcDE"
	req, _ := http.NewRequest(http.MethodGet, b.base+"/api/v1/apis/"+secret, nil)
	if status, _, out := b.raw(req); status != http.StatusNotFound || strings.Contains(string(out), "SecretBody") {
		t.Errorf("GET /api/v1/apis/<token> = %d %s, want 404 without the token", status, out)
	}
	res := b.get("/apis/" + secret)
	if res.status != http.StatusNotFound {
		t.Errorf("GET /apis/<token> = %d, want 404", res.status)
	}
	if out := logs.String(); strings.Contains(out, "SecretBody") {
		t.Errorf("log contains the token:\n%s", out)
	}
}
