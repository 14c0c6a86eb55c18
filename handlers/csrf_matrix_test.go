package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"github.com/lib/pq"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// foreignRequests are the ways a page on another site makes a signed-in
// browser send a request to the portal. The portal has no CSRF token: it
// relies on Fetch Metadata and Origin (Go's http.CrossOriginProtection) on
// top of SameSite=Lax cookies, so each case is a header set a browser
// sends, not a forged token.
var foreignRequests = []struct {
	name   string
	header map[string]string
}{
	{"foreign site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example", "Referer": "https://evil.example/prize"}},
	// A sibling subdomain shares the site (and SameSite=Lax lets the cookie
	// through) but is not this origin.
	{"sibling subdomain", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://evil.portal.test", "Referer": "https://evil.portal.test/"}},
	// A browser without Fetch Metadata still sends Origin on a
	// cross-origin POST.
	{"origin only", map[string]string{"Origin": "https://evil.example", "Referer": "https://evil.example/prize"}},
	// A sandboxed iframe or a cross-origin redirect sends an opaque origin.
	{"opaque origin", map[string]string{"Origin": "null"}},
}

// stateChanging are the methods a browser may not send from another origin.
var stateChanging = map[string]bool{http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true}

// TestCrossOriginRefusedOnEveryRoute enumerates every state-changing route
// of the router, pages and /api/v1, and sends each from another origin
// with a signed-in session cookie — a platform admin's, an account
// manager's and a partner admin's, so every route is tried by a role that
// may use it. Each request must be refused with 403 cross_origin_request
// (the error page or the JSON error, with the request id) and change
// nothing in the database. Every GET route, which the check lets through,
// is sent cross-site too and must change nothing but the sessions table. A
// route added later is covered without an entry here.
//
// No route is exempt: the check is global, and the callers that must
// reach a route without a same-origin page (GitHub's leaked-token reports
// on LeakPath, /api/v1 with a bearer token, scripts) are not browsers and
// send neither Origin nor Sec-Fetch-Site, which the check lets through
// (TestCrossOriginPostRefused). The gateway's machine surface (/sandbox,
// /live, /auth/verify, /oauth) is not in the router: it is served before
// routing, without sessions, so a cookie there authenticates nothing.
func TestCrossOriginRefusedOnEveryRoute(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	p := &portal{srv: srv, store: st}

	emails := []string{"admin@portico.test", "am@portico.test", "admin@harbor.test"}
	sessions := map[string]*browser{}
	for _, email := range emails {
		b := p.browser(t)
		if res := b.signIn(email, demo.Password); res.status != http.StatusSeeOther {
			t.Fatalf("sign-in of %s = %d, want 303", email, res.status)
		}
		sessions[email] = b
	}
	// An API, an access group including it and a grant of it, so the
	// routes that take their ids get real ones.
	p.importAPI(t, "yard")
	group := createGroup(t, sessions["admin@portico.test"], "Yard partners")
	include(t, sessions["admin@portico.test"], group, "yard", "yard:read")
	if res := grant(sessions["admin@portico.test"], group, userValue(mustInt(t, p.id(t, `SELECT id FROM users WHERE email = 'dev@harbor.test'`)))); res.status != http.StatusSeeOther {
		t.Fatalf("grant = %d, want 303", res.status)
	}
	urls := routeURLs(t, p)

	var routes []*echo.Route
	for _, r := range app.Routes() {
		if stateChanging[r.Method] {
			routes = append(routes, r)
		}
	}
	// A floor, so a router that lost its routes (or a filter gone wrong)
	// cannot pass by testing nothing.
	if len(routes) < 80 {
		t.Fatalf("the router has %d state-changing routes, want the portal's 80 or more", len(routes))
	}

	audit, state := p.auditCount(t), databaseState(t, p)
	for _, r := range routes {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			target := urls(r.Path)
			// The management API and the leak report endpoint answer JSON.
			isAPI := strings.HasPrefix(r.Path, "/api/") || r.Path == handlers.LeakPath
			for _, email := range emails {
				for _, fr := range foreignRequests {
					res := sendForeign(t, sessions[email], r.Method, target, isAPI, fr.header)
					if res.status != http.StatusForbidden || res.code != "cross_origin_request" || res.requestID == "" || res.requestID != res.header {
						t.Errorf("%s, %s: %s %s = %d code %q request id %q (header %q); want 403 cross_origin_request with the request id",
							email, fr.name, r.Method, target, res.status, res.code, res.requestID, res.header)
					}
				}
			}
			if n := p.auditCount(t); n != audit {
				t.Errorf("audit events: %d, want %d: a refused request wrote to the trail", n, audit)
				audit = n
			}
			if s := databaseState(t, p); s != state {
				t.Errorf("the database changed: a refused request wrote to it")
				state = s
			}
		})
	}

	// A state-changing GET would escape the check (browsers send a
	// cross-site GET with the cookie: links, images): every GET route, sent
	// cross-site, changes nothing but the sessions table, where a page view
	// moves the idle expiry and takes the flash messages shown.
	quiet := databaseState(t, p, "sessions")
	for _, r := range app.Routes() {
		if r.Method != http.MethodGet || r.Path == "/static/*" {
			continue
		}
		for _, email := range emails {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+urls(r.Path), nil)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Referer", "https://evil.example/prize")
			if res := sessions[email].do(req); res.status >= 500 {
				t.Errorf("%s, cross-site GET %s = %d", email, r.Path, res.status)
			}
			if s := databaseState(t, p, "sessions"); s != quiet {
				t.Errorf("%s, cross-site GET %s changed the database: a GET route that changes state escapes the cross-origin check", email, r.Path)
				quiet = s
			}
		}
	}
	audit, state = p.auditCount(t), databaseState(t, p)

	// Every session is still signed in: no cross-site sign-out got through.
	for email, b := range sessions {
		if b.get("/").doc.Find("[data-testid=viewer]").Length() == 0 {
			t.Errorf("%s was signed out by the refused requests", email)
		}
	}

	// The control: the same request from the portal's own page passes the
	// check and changes the state the matrix watched, so the matrix's
	// refusals and its unchanged state are the check's doing.
	form := url.Values{"name": {"Ada Harbour"}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/account/name", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", srv.URL)
	if res := sessions["admin@harbor.test"].do(req); res.status != http.StatusSeeOther {
		t.Fatalf("same-origin POST /account/name = %d, want 303", res.status)
	}
	if p.auditCount(t) == audit || databaseState(t, p) == state {
		t.Error("a same-origin rename changed neither the audit count nor the database state: the matrix's invariants see nothing")
	}
}

// foreignAnswer is what a refused request answered.
type foreignAnswer struct {
	status                  int
	code, requestID, header string
}

// sendForeign sends a request as a browser would from another origin: a
// form for pages, JSON for /api/v1, with the session's cookie.
func sendForeign(t *testing.T, b *browser, method, target string, isAPI bool, header map[string]string) foreignAnswer {
	t.Helper()
	body, ctype, accept := "name=Mallory&email=mallory%40evil.example&role=admin", "application/x-www-form-urlencoded", "text/html,application/xhtml+xml"
	if isAPI {
		body, ctype, accept = `{"name":"Mallory","email":"mallory@evil.example","role":"admin"}`, "application/json", "application/json"
	}
	req, _ := http.NewRequest(method, b.base+target, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", accept)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := foreignAnswer{status: resp.StatusCode, header: resp.Header.Get("X-Request-Id")}
	if isAPI {
		var e jsonError
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			t.Errorf("%s %s: the answer is not the JSON error: %v", method, target, err)
		}
		out.code, out.requestID = e.Error.Code, e.Error.RequestID
		return out
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	// The error page shows the status and the request id; its message is
	// the cross-origin refusal's own, which stands for the code.
	if strings.TrimSpace(doc.Find("[data-testid=error-status]").Text()) == "403" &&
		strings.Contains(doc.Find("[data-testid=error-message]").Text(), "came from another site") {
		out.code = "cross_origin_request"
	}
	out.requestID = strings.TrimSpace(doc.Find("[data-testid=request-id]").Text())
	return out
}

// routeURLs returns a function filling a route's parameters with ids of
// real seeded rows, so a request that got through would act on something.
func routeURLs(t *testing.T, p *portal) func(path string) string {
	t.Helper()
	one := func(q string) string {
		var v string
		if err := p.store.DB().Get(&v, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	partner := one(`SELECT id::text FROM partners WHERE slug = 'harbor-logistics'`)
	dev := one(`SELECT id::text FROM users WHERE email = 'dev@harbor.test'`)
	ids := map[string]string{
		"partners":         partner,
		"members":          dev,
		"teams":            one(`SELECT coalesce(min(id), 1)::text FROM teams WHERE partner_id = ` + partner),
		"invitations":      one(`SELECT coalesce(min(id), 1)::text FROM invitations`),
		"tokens":           one(`SELECT coalesce(min(id), 1)::text FROM tokens WHERE partner_id = ` + partner),
		"access-groups":    one(`SELECT coalesce(min(id), 1)::text FROM access_groups`),
		"alerts":           one(`SELECT coalesce(min(id), 1)::text FROM alerts`),
		"resource-servers": one(`SELECT coalesce(min(id), 1)::text FROM resource_servers`),
		"grants":           one(`SELECT coalesce(min(id), 1)::text FROM grants WHERE partner_id = ` + partner),
		"apis":             one(`SELECT coalesce(min(id), 1)::text FROM apis`),
		"managers":         one(`SELECT id::text FROM users WHERE email = 'am@portico.test'`),
	}
	slug := one(`SELECT slug FROM apis ORDER BY id LIMIT 1`)
	return func(path string) string {
		segs := strings.Split(path, "/")
		for i, s := range segs {
			if !strings.HasPrefix(s, ":") {
				continue
			}
			prev := ""
			if i > 0 {
				prev = segs[i-1]
			}
			switch {
			case s == ":slug" || (s == ":api" && prev == "apis" && strings.HasPrefix(path, "/api/")):
				segs[i] = slug
			case s == ":token" && prev != "tokens":
				// An emailed link's secret: any value routes the same.
				segs[i] = "ptl_not-a-real-link"
			case prev == "members" && (s == ":user" || s == ":user_id"):
				segs[i] = dev
			case ids[prev] != "":
				segs[i] = ids[prev]
			default:
				segs[i] = "1"
			}
		}
		return strings.Join(segs, "/")
	}
}

// databaseState is a digest of the rows of every table but those named:
// a request that wrote anything anywhere else changes it.
func databaseState(t *testing.T, p *portal, except ...string) string {
	t.Helper()
	var tables []string
	if err := p.store.DB().Select(&tables, `SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND NOT table_name = ANY($1)
		ORDER BY table_name`, pq.StringArray(append([]string{}, except...))); err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(tables))
	for i, tb := range tables {
		parts[i] = `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ` + tb + ` x)`
	}
	var digest string
	if err := p.store.DB().Get(&digest, `SELECT md5(concat_ws(',', `+strings.Join(parts, ", ")+`))`); err != nil {
		t.Fatal(err)
	}
	return digest
}

// TestSessionCookieFlags: the session cookie set at sign-in, and the one
// that replaces it at sign-out, is the portal's only cookie, out of
// scripts' reach (HttpOnly), not sent on cross-site subrequests and posts
// (SameSite=Lax), for the whole site and no other host (Path=/, no
// Domain), Secure exactly when the portal is served over https, and a
// browser-session cookie (no Max-Age or Expires). Sign-out replaces the
// signed-in id with a fresh anonymous one (which carries the sign-out
// message), and the signed-in id no longer signs anything in.
func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		secure bool
		cookie string
	}{
		{"http", false, "portico"},
		{"https", true, "__Host-portico"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPortal(t, tc.secure)
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			send := func(method, path, cookie string, form url.Values) *http.Response {
				t.Helper()
				req, _ := http.NewRequest(method, p.srv.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				if cookie != "" {
					req.AddCookie(&http.Cookie{Name: tc.cookie, Value: cookie})
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp
			}
			// check returns the value of the one cookie the response sets,
			// after checking its flags.
			check := func(step string, resp *http.Response) string {
				t.Helper()
				cookies := resp.Cookies()
				if len(cookies) != 1 || cookies[0].Name != tc.cookie {
					t.Fatalf("%s sets %d cookies %v, want only %s", step, len(cookies), resp.Header.Values("Set-Cookie"), tc.cookie)
				}
				c := cookies[0]
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure != tc.secure ||
					c.MaxAge != 0 || !c.Expires.IsZero() || c.Value == "" {
					t.Errorf("%s: Set-Cookie %q; want HttpOnly, SameSite=Lax, Path=/, no Domain, Secure=%v, no Max-Age or Expires, a value",
						step, resp.Header.Get("Set-Cookie"), tc.secure)
				}
				return c.Value
			}
			signedIn := func(cookie string) bool {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/", nil)
				req.AddCookie(&http.Cookie{Name: tc.cookie, Value: cookie})
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				doc, err := goquery.NewDocumentFromReader(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				return doc.Find("[data-testid=viewer]").Length() != 0
			}

			resp := send(http.MethodPost, "/sign-in", "", url.Values{"email": {"admin@harbor.test"}, "password": {demo.Password}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in = %d, want 303", resp.StatusCode)
			}
			session := check("sign-in", resp)
			if !signedIn(session) {
				t.Fatal("the sign-in cookie does not sign in")
			}

			resp = send(http.MethodPost, "/sign-out", session, nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-out = %d, want 303", resp.StatusCode)
			}
			after := check("sign-out", resp)
			if after == session {
				t.Error("sign-out kept the signed-in session id in the cookie")
			}
			if signedIn(session) || signedIn(after) {
				t.Errorf("after sign-out, old id signed in: %v, new id signed in: %v; want neither", signedIn(session), signedIn(after))
			}
		})
	}
}
