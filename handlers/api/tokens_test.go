package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/internal/apitest"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/token"
)

type tokenBody struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Hint        string   `json:"hint"`
	Environment string   `json:"environment"`
	Scopes      []string `json:"scopes"`
	Status      string   `json:"status"`
	Token       string   `json:"token"`
}

// withCatalog seeds the sample APIs and the demo grants.
func (e *env) withCatalog() *env {
	e.t.Helper()
	if err := demo.SeedCatalog(context.Background(), e.store); err != nil {
		e.t.Fatal(err)
	}
	return e
}

// bearer sends a documented request with a token and checks the exchange
// against portal.yaml.
func (e *env) bearer(tok, method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := newRequest("", method, path, body, "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return apitest.Do(e.t, e.spec, e.app, req)
}

// createToken creates a token through the API as the holder of cookie,
// which must have confirmed its password recently for a live token.
func (e *env) createToken(cookie, env string, scopes ...string) tokenBody {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"name": "ci", "environment": env, "expires_in_days": 30, "scopes": scopes})
	rec := e.call(cookie, http.MethodPost, "/api/v1/tokens", string(b))
	if rec.Code != http.StatusCreated {
		e.t.Fatalf("create token = %d %s", rec.Code, rec.Body)
	}
	var out tokenBody
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func decodeErr(t *testing.T, rec *httptest.ResponseRecorder) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	return e
}

func TestTokensThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withCatalog()
	admin := e.signIn("admin@harbor.test") // signing in counts as confirming the password
	live := e.createToken(admin, "live", "portal:members:read", "portal:tokens:read", "portal:tokens:write")
	if _, err := token.Parse(live.Token); err != nil || !strings.HasPrefix(live.Token, "ptc_live_") || live.Hint != token.Hint(live.Token) {
		t.Fatalf("created token %q / hint %q", live.Hint, live.Hint)
	}

	// The token lists members (its scope) but not teams (not its scope).
	if rec := e.bearer(live.Token, http.MethodGet, "/api/v1/members", ""); rec.Code != http.StatusOK {
		t.Errorf("members with portal:members:read = %d %s", rec.Code, rec.Body)
	}
	rec := e.bearer(live.Token, http.MethodGet, "/api/v1/teams", "")
	if rec.Code != http.StatusForbidden || decodeErr(t, rec).Error.Code != "insufficient_scope" ||
		!strings.Contains(rec.Header().Get("WWW-Authenticate"), `scope="portal:teams:read"`) {
		t.Errorf("teams without the scope = %d %s %q", rec.Code, rec.Body, rec.Header().Get("WWW-Authenticate"))
	}

	// A token creates a sandbox token, never a live one.
	sbx := `{"name":"from CI","environment":"sandbox","expires_in_days":7,"scopes":["fleet/fleet:read"]}`
	if rec := e.bearer(live.Token, http.MethodPost, "/api/v1/tokens", sbx); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a scope the partner admin is not granted: %d %s, want 422", rec.Code, rec.Body)
	}
	devLive := e.createToken(e.signIn("dev@harbor.test"), "live", "portal:tokens:write")
	rec0 := e.bearer(devLive.Token, http.MethodPost, "/api/v1/tokens", sbx)
	if rec0.Code != http.StatusCreated {
		t.Fatalf("a token creating a sandbox token = %d %s", rec0.Code, rec0.Body)
	}
	liveBody := `{"name":"x","environment":"live","expires_in_days":7,"scopes":["portal:tokens:read"]}`
	if rec := e.bearer(live.Token, http.MethodPost, "/api/v1/tokens", liveBody); rec.Code != http.StatusForbidden {
		t.Errorf("a token creating a live token = %d, want 403", rec.Code)
	}

	// Listing shows the token by hint, never the secret.
	rec = e.bearer(live.Token, http.MethodGet, "/api/v1/tokens", "")
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), live.Token) || !strings.Contains(rec.Body.String(), live.Hint) {
		t.Errorf("list = %d; secret shown or hint missing", rec.Code)
	}

	// Revoking it through itself: the next call is refused like an unknown token.
	id := strconv.FormatInt(live.ID, 10)
	if rec := e.bearer(live.Token, http.MethodDelete, "/api/v1/tokens/"+id, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("revoke = %d %s", rec.Code, rec.Body)
	}
	rec = e.bearer(live.Token, http.MethodGet, "/api/v1/members", "")
	unknown, _ := token.New(token.KindLive)
	rec2 := e.bearer(unknown, http.MethodGet, "/api/v1/members", "")
	if rec.Code != http.StatusUnauthorized || rec2.Code != http.StatusUnauthorized ||
		decodeErr(t, rec).Error.Code != decodeErr(t, rec2).Error.Code || decodeErr(t, rec).Error.Message != decodeErr(t, rec2).Error.Message ||
		rec.Header().Get("WWW-Authenticate") != rec2.Header().Get("WWW-Authenticate") {
		t.Errorf("revoked %d %s vs unknown %d %s: must answer alike", rec.Code, rec.Body, rec2.Code, rec2.Body)
	}

	// No secret ever reaches the log or the audit trail.
	var created tokenBody
	_ = json.Unmarshal(rec0.Body.Bytes(), &created)
	var trail string
	if err := e.store.DB().Get(&trail, `SELECT coalesce(string_agg(a::text, ' '), '') FROM audit_events a`); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{live.Token, devLive.Token, created.Token} {
		body := secret[len(secret)-40:]
		if strings.Contains(e.logs.String(), body) || strings.Contains(trail, body) {
			t.Errorf("a token secret is in the log or the audit trail")
		}
	}
	if !strings.Contains(trail, live.Hint) {
		t.Errorf("the audit trail does not name the revoked token %s", live.Hint)
	}
}

func TestBearerRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withCatalog()
	dev := e.signIn("dev@harbor.test")
	sbx := e.createToken(dev, "sandbox", "fleet/fleet:read")
	tests := []struct {
		name   string
		header string
		query  string
		status int
		code   string
	}{
		{"garbage", "Bearer hello", "", http.StatusUnauthorized, "invalid_token"},
		{"truncated", "Bearer " + sbx.Token[:len(sbx.Token)-2], "", http.StatusUnauthorized, "invalid_token"},
		{"basic scheme", "Basic Zm9vOmJhcg==", "", http.StatusBadRequest, "invalid_request"},
		{"token in the query", "", "?access_token=" + sbx.Token, http.StatusBadRequest, "invalid_request"},
		{"sandbox token without portal scope", "Bearer " + sbx.Token, "", http.StatusForbidden, "insufficient_scope"},
		{"nothing", "", "", http.StatusUnauthorized, "unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest("", http.MethodGet, "/api/v1/tokens"+tc.query, "", "")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			e.app.ServeHTTP(rec, req)
			if rec.Code != tc.status || decodeErr(t, rec).Error.Code != tc.code {
				t.Errorf("= %d %s, want %d %s", rec.Code, rec.Body, tc.status, tc.code)
			}
			if rec.Code == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
			}
			if strings.Contains(rec.Body.String(), sbx.Token) {
				t.Error("the response repeats the token")
			}
		})
	}
}

// limitedBody is a token as the API answers it, with its own rate limit.
type limitedBody struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	RateLimit *int   `json:"rate_limit_per_minute"`
}

func TestTokenRateLimitThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withCatalog()
	dev := e.signIn("dev@harbor.test")

	// Created with a limit, and without one (null in the answer).
	rec := e.call(dev, http.MethodPost, "/api/v1/tokens",
		`{"name":"capped","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:read"],"rate_limit_per_minute":120}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create with a limit = %d %s", rec.Code, rec.Body)
	}
	capped := decodeBody[limitedBody](t, rec)
	if capped.RateLimit == nil || *capped.RateLimit != 120 {
		t.Errorf("created limit = %v, want 120", capped.RateLimit)
	}
	plain := e.createToken(dev, "sandbox", "fleet/fleet:read")
	got := decodeBody[limitedBody](t, e.call(dev, http.MethodGet, "/api/v1/tokens/"+strconv.FormatInt(plain.ID, 10), ""))
	if got.RateLimit != nil || !strings.Contains(e.call(dev, http.MethodGet, "/api/v1/tokens", "").Body.String(), `"rate_limit_per_minute":null`) {
		t.Errorf("a token without a limit: %v, want null", got.RateLimit)
	}
	want(t, "create with limit 0", e.callOff(dev, http.MethodPost, "/api/v1/tokens",
		`{"name":"x","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:read"],"rate_limit_per_minute":0}`, "application/json"),
		http.StatusUnprocessableEntity, "invalid_input")

	// PATCH: the limit alone, then with the name, then removed; what is
	// left out stays.
	path := "/api/v1/tokens/" + strconv.FormatInt(capped.ID, 10)
	steps := []struct {
		body      string
		name      string
		rateLimit *int
	}{
		{`{"rate_limit_per_minute":30}`, "capped", ptr(30)},
		{`{"name":"renamed","rate_limit_per_minute":45}`, "renamed", ptr(45)},
		{`{"name":"again"}`, "again", ptr(45)},
		{`{"rate_limit_per_minute":null}`, "again", nil},
	}
	for _, s := range steps {
		rec := e.call(dev, http.MethodPatch, path, s.body)
		if rec.Code != http.StatusOK {
			t.Fatalf("PATCH %s = %d %s", s.body, rec.Code, rec.Body)
		}
		got := decodeBody[limitedBody](t, rec)
		stored := decodeBody[limitedBody](t, e.call(dev, http.MethodGet, path, ""))
		for _, g := range []limitedBody{got, stored} {
			if g.Name != s.name || (g.RateLimit == nil) != (s.rateLimit == nil) || (g.RateLimit != nil && *g.RateLimit != *s.rateLimit) {
				t.Errorf("after PATCH %s: %q %v, want %q %v", s.body, g.Name, g.RateLimit, s.name, s.rateLimit)
			}
		}
	}
	var events int
	if err := e.store.DB().Get(&events, `SELECT count(*) FROM audit_events WHERE action = 'token.rate_limit' AND target_id = $1`, capped.ID); err != nil {
		t.Fatal(err)
	}
	if events != 3 {
		t.Errorf("%d token.rate_limit events, want 3", events)
	}

	// Refusals: nothing to change, out of range, the wrong type, not the
	// owner, a revoked token.
	for _, tc := range []struct {
		what, body string
		status     int
		code       string
	}{
		{"empty patch", `{}`, http.StatusUnprocessableEntity, "invalid_input"},
		{"limit 0", `{"rate_limit_per_minute":0}`, http.StatusUnprocessableEntity, "invalid_input"},
		{"limit too high", `{"rate_limit_per_minute":100001}`, http.StatusUnprocessableEntity, "invalid_input"},
		{"limit as a string", `{"rate_limit_per_minute":"60"}`, http.StatusUnprocessableEntity, "invalid_input"},
		{"unknown field", `{"rate_limit":60}`, http.StatusBadRequest, "bad_request"},
	} {
		rec := e.callOff(dev, http.MethodPatch, path, tc.body, "application/json")
		want(t, tc.what, rec, tc.status, tc.code)
		if tc.status == http.StatusUnprocessableEntity && tc.what != "empty patch" && !strings.Contains(decodeErr(t, rec).Error.Message, "rate_limit_per_minute") {
			t.Errorf("%s: message %q does not name the field", tc.what, decodeErr(t, rec).Error.Message)
		}
	}
	admin := e.signIn("admin@harbor.test")
	want(t, "partner admin limits a colleague's token", e.call(admin, http.MethodPatch, path, `{"rate_limit_per_minute":5}`), http.StatusForbidden, "forbidden")
	want(t, "another partner", e.call(e.signIn("admin@crane.test"), http.MethodPatch, path, `{"rate_limit_per_minute":5}`), http.StatusNotFound, "")
	if rec := e.call(dev, http.MethodDelete, path, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("revoke = %d", rec.Code)
	}
	want(t, "a revoked token", e.call(dev, http.MethodPatch, path, `{"rate_limit_per_minute":5}`), http.StatusConflict, "token_closed")
	if got := decodeBody[limitedBody](t, e.call(dev, http.MethodGet, path, "")); got.RateLimit != nil {
		t.Errorf("refused changes stored %d", *got.RateLimit)
	}
}

func ptr(n int) *int { return &n }

// TestTwoCredentials: a request carrying two tokens (two Authorization
// headers, or two credentials in one) is refused, whichever comes first;
// it was served as the first one's holder.
func TestTwoCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withCatalog()
	crane := e.createToken(e.signIn("admin@crane.test"), "live", "portal:members:read").Token
	harbor := e.createToken(e.signIn("admin@harbor.test"), "live", "portal:members:read").Token
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"two headers", []string{"Bearer " + crane, "Bearer " + harbor}},
		{"the same token twice", []string{"Bearer " + crane, "Bearer " + crane}},
		{"one empty, one token", []string{"", "Bearer " + crane}},
		{"two credentials in one header", []string{"Bearer " + crane + ", Bearer " + harbor}},
		{"two tokens after one scheme", []string{"Bearer " + crane + " " + harbor}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest("", http.MethodGet, "/api/v1/members", "", "")
			req.Header["Authorization"] = tc.headers
			rec := httptest.NewRecorder()
			e.app.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest || decodeErr(t, rec).Error.Code != "invalid_request" {
				t.Errorf("= %d %s, want 400 invalid_request", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), crane) || strings.Contains(rec.Body.String(), harbor) {
				t.Error("the response repeats a token")
			}
		})
	}
	// Each token alone still works.
	for _, tok := range []string{crane, harbor} {
		if rec := e.bearer(tok, http.MethodGet, "/api/v1/members", ""); rec.Code != http.StatusOK {
			t.Errorf("one token = %d %s", rec.Code, rec.Body)
		}
	}
}
