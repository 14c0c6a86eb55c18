package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// newCatalogPortalWithLogs is newCatalogPortal keeping the portal's log.
func newCatalogPortalWithLogs(t *testing.T) (*portal, *logtest.Buffer) {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(logs, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &portal{srv: srv, store: st}, logs
}

// raw sends req with the browser's cookies and returns the response as is.
func (b *browser) raw(req *http.Request) (int, http.Header, []byte) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// mintConsoleToken calls the console's token endpoint as try-it.js does:
// a same-origin fetch that accepts JSON.
func (b *browser) mintConsoleToken(slug string, header map[string]string) (int, http.Header, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/apis/"+slug+"/console-token", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.base)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return b.raw(req)
}

// TestDocsPageTryIt: a developer's docs page has a Try it panel in every
// operation, hidden until try-it.js (from this origin, hashed URL, the only
// script of the page besides the layout's) shows it, with what the script
// needs; staff, who hold no sandbox credentials, get none. Swagger UI is
// not loaded.
func TestDocsPageTryIt(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	for _, tc := range []struct {
		who, mode string
		panels    bool
	}{{"dev@harbor.test", "partner", true}, {"am@portico.test", "staff", false}} {
		pg := signedInAs(t, p, tc.who).get("/apis/fleet")
		c := pg.doc.Find("#try-it[data-testid=try-it]")
		if c.Length() != 1 {
			t.Fatalf("%s: the docs page has no Try it section", tc.who)
		}
		got := map[string]string{"token": c.AttrOr("data-token-url", ""), "sandbox": c.AttrOr("data-sandbox", ""), "mode": c.AttrOr("data-mode", "")}
		want := map[string]string{"token": "/apis/fleet/console-token", "sandbox": "http://portal.test/sandbox/fleet", "mode": tc.mode}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Try it attributes (-want +got):\n%s", tc.who, diff)
		}
		ops := attrs(pg, "[data-testid=operation]", "data-operation-id")
		var panels []string
		pg.doc.Find("[data-testid=operation]").Each(func(_ int, op *goquery.Selection) {
			op.Find("[data-testid=operation-aside] [data-testid=try-panel]").Each(func(_ int, s *goquery.Selection) {
				panels = append(panels, s.AttrOr("data-operation-id", ""))
				if _, hidden := s.Attr("hidden"); !hidden {
					t.Errorf("%s: the Try it panel of %s shows without JavaScript", tc.who, s.AttrOr("data-operation-id", ""))
				}
				if _, hidden := s.Find("[data-testid=try-form]").Attr("hidden"); !hidden || s.Find("input[data-token][type=password]").Length() != 1 {
					t.Errorf("%s: the Try it form of %s is open or has no token field", tc.who, s.AttrOr("data-operation-id", ""))
				}
			})
		})
		if tc.panels && !cmp.Equal(ops, panels) {
			t.Errorf("%s: Try it panels %q, want one in each operation %q", tc.who, panels, ops)
		}
		if !tc.panels && len(panels) != 0 {
			t.Errorf("%s: staff see Try it panels %q", tc.who, panels)
		}
		var scripts []string
		pg.doc.Find("main script").Each(func(_ int, s *goquery.Selection) { scripts = append(scripts, s.AttrOr("src", "")) })
		if len(scripts) != 1 || !strings.HasPrefix(scripts[0], "/static/js/try-it.") {
			t.Errorf("%s: the page's scripts = %q, want try-it.js alone", tc.who, scripts)
		}
		for _, u := range append(scripts, pg.doc.Find("main link[rel=stylesheet]").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") })...) {
			if r := get(t, p.srv.Config.Handler, u, nil); r.Code != http.StatusOK || !strings.Contains(r.Header().Get("Cache-Control"), "immutable") {
				t.Errorf("GET %s = %d, Cache-Control %q", u, r.Code, r.Header().Get("Cache-Control"))
			}
		}
		if n := pg.doc.Find("script:not([src])").Length(); n != 0 {
			t.Errorf("%s: %d inline scripts", tc.who, n)
		}
		if n := pg.doc.Find("script[src*=swagger], link[href*=swagger]").Length(); n != 0 {
			t.Errorf("%s: the page loads Swagger UI (%d tags)", tc.who, n)
		}
		if pg.doc.Find("[data-testid=toc-try-it]").Length() != 1 {
			t.Errorf("%s: the table of contents does not lead to Try it", tc.who)
		}
	}
	// Maintenance with read only: the write operations are marked.
	grantMaintenanceReadOnly(t, p, "dev@crane.test")
	pg := signedInAs(t, p, "dev@crane.test").get("/apis/maintenance")
	var marked []string
	pg.doc.Find("[data-testid=try-panel]:has([data-testid=try-not-granted])").Each(func(_ int, s *goquery.Selection) {
		marked = append(marked, s.AttrOr("data-operation-id", ""))
	})
	if len(marked) == 0 || slices.Contains(marked, "listWorkOrders") {
		t.Errorf("operations marked as not granted to a reader: %q", marked)
	}
}

func TestConsoleDocument(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	get := func(b *browser, path string) (int, http.Header, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
		status, h, body := b.raw(req)
		var doc map[string]any
		if status == http.StatusOK {
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("GET %s: not JSON: %v", path, err)
			}
		}
		return status, h, doc
	}

	status, h, doc := get(signedInAs(t, p, "dev@harbor.test"), "/apis/fleet/openapi.json")
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Fatalf("GET /apis/fleet/openapi.json = %d %q %q", status, h.Get("Content-Type"), h.Get("Cache-Control"))
	}
	servers, _ := doc["servers"].([]any)
	if len(servers) != 1 || servers[0].(map[string]any)["url"] != "http://portal.test/sandbox/fleet" {
		t.Errorf("servers = %v, want the sandbox only", doc["servers"])
	}
	scheme := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["portico"].(map[string]any)
	if scheme["type"] != "http" || scheme["scheme"] != "bearer" {
		t.Errorf("security scheme = %v, want HTTP bearer", scheme)
	}
	op := doc["paths"].(map[string]any)["/spreaders"].(map[string]any)["get"].(map[string]any)
	if d, _ := op["description"].(string); !strings.HasPrefix(d, "Requires `fleet:read`. You hold it.") {
		t.Errorf("listSpreaders description = %q", d)
	}

	for _, tc := range []struct {
		who, slug string
		want      int
	}{
		{"dev@crane.test", "maintenance", http.StatusNotFound}, // not granted
		{"dev@crane.test", "no-such-api", http.StatusNotFound},
		{"am@portico.test", "maintenance", http.StatusOK},
	} {
		if status, _, _ := get(signedInAs(t, p, tc.who), "/apis/"+tc.slug+"/openapi.json"); status != tc.want {
			t.Errorf("%s: GET /apis/%s/openapi.json = %d, want %d", tc.who, tc.slug, status, tc.want)
		}
	}
	anon := p.browser(t)
	if res := anon.get("/apis/fleet/openapi.json"); res.status != http.StatusSeeOther {
		t.Errorf("signed out: GET /apis/fleet/openapi.json = %d, want 303 to sign-in", res.status)
	}
}

func TestConsoleTokenEndpoint(t *testing.T) {
	t.Parallel()
	p, logs := newCatalogPortalWithLogs(t)
	ctx := context.Background()
	dev := signedInAs(t, p, "dev@harbor.test")

	status, h, body := dev.mintConsoleToken("fleet", nil)
	if status != http.StatusCreated || !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Fatalf("POST /apis/fleet/console-token = %d (Cache-Control %q): %s", status, h.Get("Cache-Control"), body)
	}
	var got struct {
		Token     string    `json:"token"`
		Hint      string    `json:"hint"`
		ExpiresAt time.Time `json:"expires_at"`
		Scopes    []string  `json:"scopes"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Token, "ptc_sbx_") || !strings.HasPrefix(got.Hint, "ptc_sbx_") {
		t.Errorf("console token %q (hint %q) is not a sandbox token", got.Token[:8], got.Hint)
	}
	if left := time.Until(got.ExpiresAt); left < 14*time.Minute || left > 16*time.Minute {
		t.Errorf("console token expires in %s, want 15 minutes", left)
	}
	if diff := cmp.Diff([]string{"fleet/fleet:read"}, got.Scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	// Not in the token lists; audited; never logged.
	u, err := p.store.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	if ts, _, err := p.store.UserTokensPage(ctx, u.ID, store.TokenQuery{Status: store.TokensAll}); err != nil || len(ts) != 0 {
		t.Errorf("the token list shows %d tokens (%v), want none: console tokens are hidden", len(ts), err)
	}
	events, err := p.store.ListAuditEvents(ctx, store.AuditFilter{Action: "token.console"})
	if err != nil || len(events) != 1 || events[0].ActorID == nil || *events[0].ActorID != u.ID || events[0].RequestID != h.Get("X-Request-Id") {
		t.Errorf("token.console events = %+v (%v), want one by the developer in this request", events, err)
	}
	if strings.Contains(logs.String(), got.Token) || strings.Contains(string(events[0].Details), got.Token) {
		t.Error("the console token reached the log or the audit trail")
	}

	for _, tc := range []struct {
		name   string
		who    string
		slug   string
		header map[string]string
		want   int
		code   string
	}{
		{"cross-site", "dev@harbor.test", "fleet", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden, "cross_origin_request"},
		{"staff", "am@portico.test", "fleet", nil, http.StatusForbidden, "forbidden"},
		{"ungranted API", "dev@crane.test", "telemetry", nil, http.StatusNotFound, "not_found"},
		{"unknown API", "dev@crane.test", "no-such-api", nil, http.StatusNotFound, "not_found"},
	} {
		status, _, body := signedInAs(t, p, tc.who).mintConsoleToken(tc.slug, tc.header)
		var e jsonError
		_ = json.Unmarshal(body, &e)
		if status != tc.want || e.Error.Code != tc.code {
			t.Errorf("%s: POST /apis/%s/console-token = %d %s, want %d %s", tc.name, tc.slug, status, body, tc.want, tc.code)
		}
	}
	anon := p.browser(t)
	if status, _, _ := anon.mintConsoleToken("fleet", nil); status != http.StatusUnauthorized {
		t.Errorf("signed out: POST /apis/fleet/console-token = %d, want 401", status)
	}
}

func TestConsoleTokenCap(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	dev := signedInAs(t, p, "dev@crane.test")
	for i := range pat.ConsolePerHour {
		if status, _, body := dev.mintConsoleToken("fleet", nil); status != http.StatusCreated {
			t.Fatalf("console token %d = %d: %s", i+1, status, body)
		}
	}
	status, h, body := dev.mintConsoleToken("fleet", nil)
	var e jsonError
	_ = json.Unmarshal(body, &e)
	retry, _ := strconv.Atoi(h.Get("Retry-After"))
	if status != http.StatusTooManyRequests || e.Error.Code != "rate_limited" || retry < 1 || retry > 3600 {
		t.Errorf("past the cap: %d %s, Retry-After %q; want 429 rate_limited with Retry-After", status, body, h.Get("Retry-After"))
	}
}

// grantMaintenanceReadOnly grants the user a new access group with the
// Maintenance API's read scope only.
func grantMaintenanceReadOnly(t *testing.T, p *portal, email string) {
	t.Helper()
	ctx := context.Background()
	err := p.store.InTx(ctx, func(tx *store.Store) error {
		g, err := tx.CreateAccessGroup(ctx, "Maintenance read", "Read work orders.", 60, nil)
		if err != nil {
			return err
		}
		api, err := tx.APIBySlug(ctx, "maintenance")
		if err != nil {
			return err
		}
		if err := tx.SetGroupAPI(ctx, g.ID, api.ID, []string{"maintenance:read"}); err != nil {
			return err
		}
		u, err := tx.UserByEmail(ctx, email)
		if err != nil {
			return err
		}
		_, err = tx.Grant(ctx, g.ID, *u.PartnerID, nil, &u.ID, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
