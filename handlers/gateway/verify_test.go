package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// nginx and traefik describe the original call as each proxy does.
func nginx(method, uri string) map[string]string {
	return map[string]string{"X-Original-Method": method, "X-Original-URI": uri}
}

func traefik(method, uri string) map[string]string {
	return map[string]string{"X-Forwarded-Method": method, "X-Forwarded-Uri": uri}
}

// revoke revokes a token as its owner does in the portal.
func (f *fixture) revoke(t testing.TB, email string, id int64) {
	t.Helper()
	ctx := context.Background()
	u, err := f.st.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.pats.Revoke(ctx, access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID}, id); err != nil {
		t.Fatal(err)
	}
}

// A token allowed the original call gets 204 with the identity the
// gateway would send the upstream, whichever proxy asks, and the
// RateLimit headers; the call is in api_calls as the original one.
func TestVerifyAllows(t *testing.T) {
	t.Parallel()
	l := newLimited(t, 100, nil)
	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read", "maintenance/maintenance:read")
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		wantPath           string
	}{
		{"NGINX", "GET", "/auth/verify", nginx("GET", "/live/fleet/spreaders/SPR-0042?x=1"), "/live/fleet/spreaders/SPR-0042"},
		{"Traefik", "GET", "/auth/verify", traefik("GET", "/live/fleet/spreaders?limit=5"), "/live/fleet/spreaders"},
		{"Envoy", "GET", "/auth/verify/live/maintenance/work-orders?status=open", nil, "/live/maintenance/work-orders"},
		{"NGINX, percent-encoded", "POST", "/auth/verify", nginx("GET", "/live/fleet/spreaders/SPR%2D0042"), "/live/fleet/spreaders/SPR-0042"},
		{"both pairs agreeing", "GET", "/auth/verify", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/live/fleet/spreaders",
			"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/live/fleet/spreaders"}, "/live/fleet/spreaders"},
	}
	rids := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := l.callBody(t, tc.method, tc.path, live.Plaintext, tc.hdr)
			if resp.StatusCode != http.StatusNoContent || body != "" {
				t.Fatalf("= %d %q, want 204 and no body", resp.StatusCode, body)
			}
			want := map[string]string{
				"X-Portico-Partner":  strconv.FormatInt(live.Token.PartnerID, 10),
				"X-Portico-Token-Id": strconv.FormatInt(live.Token.ID, 10),
				"X-Portico-Scopes":   "fleet:read",
				"RateLimit-Policy":   `"Port operations";q=100;w=60`,
				"Cache-Control":      "no-store",
			}
			if strings.Contains(tc.path, "maintenance") {
				want["X-Portico-Scopes"] = "maintenance:read"
			}
			for k, v := range want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !strings.HasPrefix(resp.Header.Get("RateLimit"), `"Port operations";r=`) {
				t.Errorf("RateLimit = %q", resp.Header.Get("RateLimit"))
			}
			rids[resp.Header.Get("X-Request-Id")] = tc.wantPath
		})
	}
	l.stop()
	var rows []struct {
		RequestID string `db:"request_id"`
		Method    string `db:"method"`
		Path      string `db:"path"`
		Env       string `db:"environment"`
		Status    int    `db:"status"`
		Operation string `db:"operation"`
		Partner   int64  `db:"partner_id"`
		Token     int64  `db:"token_id"`
	}
	if err := l.st.DB().Select(&rows, `SELECT request_id, method, path, environment, status, operation, partner_id, token_id FROM api_calls`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tests) {
		t.Fatalf("%d calls recorded, want %d", len(rows), len(tests))
	}
	for _, r := range rows {
		want, ok := rids[r.RequestID]
		if !ok || r.Path != want || r.Method != "GET" || r.Env != "live" || r.Status != 204 || r.Operation == "" ||
			r.Partner != live.Token.PartnerID || r.Token != live.Token.ID {
			t.Errorf("recorded %+v, want the original call GET %s, 204, with partner, token and operation", r, want)
		}
	}
}

// Every refusal of /auth/verify is the gateway's own for the same call:
// status, error code, message and challenge.
func TestVerifyRefusesLikeTheGateway(t *testing.T) {
	t.Parallel()
	l := newLimited(t, 1000, nil)
	up := newUpstream(t)
	l.setUpstream(t, "fleet", up.URL)
	l.setUpstream(t, "maintenance", up.URL)
	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read", "maintenance/maintenance:read").Plaintext
	sbx := l.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	crane := l.token(t, "dev@crane.test", "live", "fleet/fleet:read").Plaintext
	revoked := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read")
	l.revoke(t, "dev@harbor.test", revoked.Token.ID)
	unknown, _ := token.New(token.KindLive)
	tests := []struct {
		name, method, uri, tok string
		status                 int
	}{
		{"no token", "GET", "/live/fleet/spreaders", "", 401},
		{"garbage", "GET", "/live/fleet/spreaders", "hello", 401},
		{"unknown token", "GET", "/live/fleet/spreaders", unknown, 401},
		{"revoked", "GET", "/live/fleet/spreaders", revoked.Plaintext, 401},
		{"sandbox token on live", "GET", "/live/fleet/spreaders", sbx, 401},
		{"token in the query", "GET", "/live/fleet/spreaders?access_token=" + live, "", 400},
		{"token in the path", "GET", "/live/fleet/spreaders/" + live, live, 400},
		{"unknown API", "GET", "/live/nope/x", live, 404},
		{"API not granted", "GET", "/live/maintenance/work-orders", crane, 404},
		{"no such operation", "GET", "/live/fleet/cranes", live, 404},
		{"wrong method", "DELETE", "/live/fleet/spreaders", live, 405},
		{"scope not on the token", "POST", "/live/maintenance/work-orders", live, 403},
		{"not an environment", "GET", "/prod/fleet/spreaders", live, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gw, ge := l.call(t, tc.method, tc.uri, tc.tok, nil)
			v, ve := l.call(t, "GET", "/auth/verify", tc.tok, nginx(tc.method, tc.uri))
			if v.StatusCode != tc.status || gw.StatusCode != tc.status {
				t.Fatalf("verify = %d %s, gateway = %d %s, want %d", v.StatusCode, ve.Error.Code, gw.StatusCode, ge.Error.Code, tc.status)
			}
			ge.Error.RequestID, ve.Error.RequestID = "", ""
			if diff := cmp.Diff(ge, ve); diff != "" {
				t.Errorf("error body (-gateway +verify):\n%s", diff)
			}
			if g, v := gw.Header.Get("WWW-Authenticate"), v.Header.Get("WWW-Authenticate"); g != v {
				t.Errorf("WWW-Authenticate: gateway %q, verify %q", g, v)
			}
			if v.Header.Get("X-Portico-Partner") != "" {
				t.Error("a refusal names a partner")
			}
		})
	}
}

// Over a limit, /auth/verify answers the gateway's 429 with its headers;
// verified calls and calls through the gateway spend the same limit.
func TestVerifyRateLimits(t *testing.T) {
	t.Parallel()
	l := newLimited(t, 3, nil)
	sbx := l.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	if resp, _ := l.call(t, "GET", "/sandbox/fleet/spreaders", sbx, nil); resp.StatusCode != 200 {
		t.Fatalf("gateway call = %d", resp.StatusCode)
	}
	for i := 2; i <= 3; i++ {
		resp, _ := l.call(t, "GET", "/auth/verify", sbx, nginx("GET", "/sandbox/fleet/spreaders"))
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("verify %d = %d", i, resp.StatusCode)
		}
		if got, want := resp.Header.Get("RateLimit"), `"Port operations";r=`+strconv.Itoa(3-i)+";"; !strings.HasPrefix(got, want) {
			t.Errorf("verify %d: RateLimit = %q, want %s…", i, got, want)
		}
	}
	resp, e := l.call(t, "GET", "/auth/verify", sbx, traefik("GET", "/sandbox/fleet/spreaders"))
	if resp.StatusCode != http.StatusTooManyRequests || e.Error.Code != "rate_limited" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit = %d %s, Retry-After %q; want 429 rate_limited", resp.StatusCode, e.Error.Code, resp.Header.Get("Retry-After"))
	}
	if got, want := resp.Header.Get("RateLimit-Policy"), `"Port operations";q=3;w=60`; got != want {
		t.Errorf("RateLimit-Policy = %q, want %q", got, want)
	}
	if !strings.HasPrefix(resp.Header.Get("RateLimit"), `"Port operations";r=0;`) {
		t.Errorf("RateLimit = %q, want r=0", resp.Header.Get("RateLimit"))
	}
	// A token's own limit too, named as the gateway names it.
	capped := l.limitedToken(t, "dev@crane.test", 1)
	if resp, _ := l.call(t, "GET", "/auth/verify", capped, nginx("GET", "/sandbox/fleet/spreaders")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("capped token's first verify = %d", resp.StatusCode)
	}
	resp, e = l.call(t, "GET", "/auth/verify", capped, nginx("GET", "/sandbox/fleet/spreaders"))
	if resp.StatusCode != http.StatusTooManyRequests || e.Error.Code != "token_rate_limited" || resp.Header.Get("RateLimit-Policy") != `"token";q=1;w=60` {
		t.Errorf("capped token's second verify = %d %s, RateLimit-Policy %q", resp.StatusCode, e.Error.Code, resp.Header.Get("RateLimit-Policy"))
	}
}

// A proxy that does not say which call it asks about, or says it
// ambiguously, gets a 400 naming what to send; none of them is checked
// as some other call, and each is recorded.
func TestVerifyOriginalRefused(t *testing.T) {
	t.Parallel()
	l := newLimited(t, 1000, nil)
	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	tests := []struct {
		name, path string
		hdr        map[string]string
		says       string
	}{
		{"no headers", "/auth/verify", nil, "X-Original-URI (NGINX auth_request)"},
		{"URI without method", "/auth/verify", map[string]string{"X-Original-URI": "/live/fleet/spreaders"}, "X-Original-Method is missing"},
		{"method without URI", "/auth/verify", map[string]string{"X-Forwarded-Method": "GET"}, "X-Forwarded-Uri is missing"},
		{"the pairs disagree", "/auth/verify", map[string]string{"X-Forwarded-Method": "POST", "X-Forwarded-Uri": "/live/maintenance/work-orders",
			"X-Original-Method": "GET", "X-Original-URI": "/live/fleet/spreaders"}, "name different calls"},
		{"a method from the other pair", "/auth/verify", map[string]string{"X-Original-Method": "GET", "X-Forwarded-Uri": "/live/fleet/spreaders"}, "name different calls"},
		{"not a path", "/auth/verify", nginx("GET", "live/fleet/spreaders"), "starting with /"},
		{"absolute URI", "/auth/verify", traefik("GET", "http://api.test/live/fleet/spreaders"), "starting with /"},
		{"empty URI", "/auth/verify", nginx("GET", ""), "X-Original-URI"},
		{"not a method", "/auth/verify", nginx("GE T", "/live/fleet/spreaders"), "not an HTTP method"},
		{"bad escape", "/auth/verify", nginx("GET", "/live/fleet/spreaders/%zz"), "not a valid URI path"},
		// call fails the test if an answer repeats the token.
		{"bad escape after a pasted token", "/auth/verify", nginx("GET", "/live/fleet/spreaders/"+live+"%zz"), "not a valid URI path"},
		{"a token as the method", "/auth/verify", nginx(live, "/live/fleet/spreaders"), "not an HTTP method"},
		{"dot segment", "/auth/verify", nginx("GET", "/live/fleet/spreaders/../../maintenance/work-orders"), ". or .. segment"},
		{"encoded dot segment", "/auth/verify", nginx("GET", "/live/fleet/spreaders/%2e%2e"), ". or .. segment"},
		{"Envoy dot segment", "/auth/verify/live/fleet/spreaders/..", nil, ". or .. segment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, e := l.call(t, "GET", tc.path, live, tc.hdr)
			if resp.StatusCode != http.StatusBadRequest || e.Error.Code != "invalid_request" || !strings.Contains(e.Error.Message, tc.says) {
				t.Errorf("= %d %s %q, want 400 invalid_request saying %q", resp.StatusCode, e.Error.Code, e.Error.Message, tc.says)
			}
			if resp.Header.Get("X-Portico-Partner") != "" {
				t.Error("a refusal names a partner")
			}
		})
	}
	l.stop()
	var n int
	if err := l.st.DB().Get(&n, `SELECT count(*) FROM api_calls WHERE status = 400 AND partner_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	if n != len(tests) {
		t.Errorf("%d refused verifications recorded, want %d", n, len(tests))
	}
}

// callBody is call returning the body too.
func (f *fixture) callBody(t *testing.T, method, path, tok string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// BenchmarkVerify is BenchmarkChain's chain answered by /auth/verify as
// NGINX asks it: the whole chain, no backend.
func BenchmarkVerify(b *testing.B) {
	l := newLimited(b, 1<<30, nil)
	req := httptest.NewRequest("GET", "/auth/verify", nil)
	req.Header.Set("Authorization", "Bearer "+l.token(b, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext)
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URI", "/sandbox/fleet/spreaders?limit=10")
	req.RemoteAddr = "192.0.2.1:1234"
	benchRequest(b, l, req, http.StatusNoContent)
}

// A deprecated API's verification says so as the gateway's answers do; a
// retired one is refused as the gateway refuses it.
func TestVerifyLifecycle(t *testing.T) {
	t.Parallel()
	l := newLimited(t, 1000, nil)
	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	ctx := context.Background()
	api, err := l.st.APIBySlug(ctx, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	sunset := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	if _, err := l.cat.SetStatus(ctx, api.ID, store.APIDeprecated, &sunset); err != nil {
		t.Fatal(err)
	}
	l.gw.Forget()
	resp, _ := l.call(t, "GET", "/auth/verify", live, nginx("GET", "/live/fleet/spreaders"))
	if resp.StatusCode != 204 || !strings.HasPrefix(resp.Header.Get("Deprecation"), "@") || resp.Header.Get("Sunset") != "Wed, 31 Mar 2027 00:00:00 GMT" {
		t.Errorf("deprecated: %d Deprecation=%q Sunset=%q", resp.StatusCode, resp.Header.Get("Deprecation"), resp.Header.Get("Sunset"))
	}
	if _, err := l.cat.SetStatus(ctx, api.ID, store.APIRetired, nil); err != nil {
		t.Fatal(err)
	}
	l.gw.Forget()
	if resp, e := l.call(t, "GET", "/auth/verify", live, nginx("GET", "/live/fleet/spreaders")); resp.StatusCode != 410 || e.Error.Code != "api_retired" {
		t.Errorf("retired: %d %s", resp.StatusCode, e.Error.Code)
	}
}

// TestGatewayRefusesDotSegments: a path with a . or .. segment, written
// or percent-encoded, is refused before the token is even read and never
// reaches the API's server, which could resolve it into another
// operation than the one whose scope the chain checked.
func TestGatewayRefusesDotSegments(t *testing.T) {
	t.Parallel()
	l := newLimited(t, 1000, nil)
	up := newUpstream(t)
	l.setUpstream(t, "fleet", up.URL)
	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	for _, uri := range []string{"/live/fleet/spreaders/..", "/live/fleet/spreaders/%2e%2e", "/live/fleet/./spreaders", "/live/fleet/spreaders/%2E/x"} {
		resp, e := l.call(t, "GET", uri, live, nil)
		if resp.StatusCode != http.StatusBadRequest || e.Error.Code != "invalid_request" || !strings.Contains(e.Error.Message, ". or ..") {
			t.Errorf("GET %s = %d %s %q, want 400 invalid_request naming the dot segment", uri, resp.StatusCode, e.Error.Code, e.Error.Message)
		}
	}
	if r := up.seen(); r != nil {
		t.Errorf("the API's server was called: %s", r.URL.Path)
	}
	if resp, _ := l.call(t, "GET", "/live/fleet/spreaders", live, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a plain path = %d, want 200", resp.StatusCode)
	}
}
