package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/nginxtest"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/token"
)

// readmeNGINX is the NGINX block of the README, for Portico at portico
// and the API's servers at servers (host:port).
func readmeNGINX(t testing.TB, portico, servers string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "```nginx\n")
	block, _, ok2 := strings.Cut(block, "\n```")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```nginx block")
	}
	for _, s := range []string{"127.0.0.1:8080", "127.0.0.1:9000", "listen 80;"} {
		if !strings.Contains(block, s) {
			t.Fatalf("README's NGINX block lacks %q, which the test replaces", s)
		}
	}
	return strings.NewReplacer("127.0.0.1:8080", portico, "127.0.0.1:9000", servers, "listen 80;", "listen {{listen}};").Replace(block)
}

// seenCall is what the API's server behind NGINX received.
type seenCall struct {
	URI, Partner, TokenID, Scopes, ClientID, Authorization, RequestID string
}

// Debian's NGINX in front of an API's server, with auth_request to
// /auth/verify as the README configures it: allowed calls reach the
// server with Portico's identity headers (never the caller's, never the
// credential), refused ones never reach it and keep the gateway's status
// and limit headers.
func TestNGINXAuthRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []seenCall
	servers := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, seenCall{URI: r.RequestURI, Partner: r.Header.Get("X-Portico-Partner"), TokenID: r.Header.Get("X-Portico-Token-Id"),
			Scopes: r.Header.Get("X-Portico-Scopes"), ClientID: r.Header.Get("X-Portico-Client-Id"), Authorization: r.Header.Get("Authorization"), RequestID: r.Header.Get("X-Request-Id")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[]}`))
	}))
	t.Cleanup(servers.Close)
	takeSeen := func() []seenCall {
		mu.Lock()
		defer mu.Unlock()
		s := seen
		seen = nil
		return s
	}

	l := newLimited(t, 1000, nil)
	ngx := nginxtest.Start(t, readmeNGINX(t, strings.TrimPrefix(l.srv.URL, "http://"), strings.TrimPrefix(servers.URL, "http://")))

	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read", "maintenance/maintenance:read")
	revoked := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read")
	l.revoke(t, "dev@harbor.test", revoked.Token.ID)
	capped := l.liveLimitedToken(t, "dev@crane.test", 1)

	call := func(t *testing.T, method, uri, tok string, hdr map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, ngx.URL()+uri, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", method, uri)
		}
		return resp
	}

	t.Run("a valid token passes with the identity headers", func(t *testing.T) {
		resp := call(t, "GET", "/live/fleet/spreaders?limit=5", live.Plaintext, map[string]string{
			"X-Portico-Partner": "999", "X-Portico-Scopes": "everything", "X-Portico-Token-Id": "424242", "X-Portico-Client-Id": "pcl_forged"})
		if resp.StatusCode != 200 {
			t.Fatalf("status = %d; nginx said:\n%s", resp.StatusCode, ngx.Output())
		}
		want := []seenCall{{URI: "/live/fleet/spreaders?limit=5", Partner: strconv.FormatInt(live.Token.PartnerID, 10),
			TokenID: strconv.FormatInt(live.Token.ID, 10), Scopes: "fleet:read", RequestID: resp.Header.Get("X-Request-Id")}}
		if diff := cmp.Diff(want, takeSeen()); diff != "" {
			t.Errorf("the API's server saw (-want +got):\n%s", diff)
		}
		if got := resp.Header.Get("RateLimit-Policy"); got != `"Port operations";q=1000;w=60` {
			t.Errorf("RateLimit-Policy = %q", got)
		}
		if !strings.HasPrefix(resp.Header.Get("RateLimit"), `"Port operations";r=`) {
			t.Errorf("RateLimit = %q", resp.Header.Get("RateLimit"))
		}
	})

	refusals := []struct {
		name, method, uri, tok string
		hdr                    map[string]string
		status                 int
	}{
		{"a revoked token is refused", "GET", "/live/fleet/spreaders", revoked.Plaintext, nil, 401},
		{"a missing scope is refused", "POST", "/live/maintenance/work-orders", live.Plaintext, nil, 403},
		{"an unknown operation is not found", "GET", "/live/fleet/cranes", live.Plaintext, nil, 404},
		// The client's own Traefik pair beside NGINX's: not believed.
		{"a made-up original call is refused", "POST", "/live/maintenance/work-orders", live.Plaintext,
			map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/live/fleet/spreaders"}, 400},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			resp := call(t, tc.method, tc.uri, tc.tok, tc.hdr)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d; nginx said:\n%s", resp.StatusCode, tc.status, ngx.Output())
			}
			if tc.status == 401 && !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			if s := takeSeen(); len(s) != 0 {
				t.Errorf("the API's server was called: %+v", s)
			}
		})
	}

	t.Run("over the token's limit: 429 with the limit headers", func(t *testing.T) {
		if resp := call(t, "GET", "/live/fleet/spreaders", capped, nil); resp.StatusCode != 200 {
			t.Fatalf("first call = %d", resp.StatusCode)
		}
		resp := call(t, "GET", "/live/fleet/spreaders", capped, nil)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
			resp.Header.Get("RateLimit-Policy") != `"token";q=1;w=60` || !strings.HasPrefix(resp.Header.Get("RateLimit"), `"token";r=0;`) {
			t.Errorf("second call = %d, Retry-After %q, RateLimit-Policy %q, RateLimit %q", resp.StatusCode,
				resp.Header.Get("Retry-After"), resp.Header.Get("RateLimit-Policy"), resp.Header.Get("RateLimit"))
		}
		if s := takeSeen(); len(s) != 1 {
			t.Errorf("the API's server saw %d calls, want 1", len(s))
		}
	})

	t.Run("an OAuth access token passes as its client, until the client is revoked", func(t *testing.T) {
		client, at := l.accessToken(t, "dev@harbor.test", "live", "fleet/fleet:read", "maintenance/maintenance:read")
		resp := call(t, "GET", "/live/fleet/spreaders", at, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("status = %d; nginx said:\n%s", resp.StatusCode, ngx.Output())
		}
		want := []seenCall{{URI: "/live/fleet/spreaders", Partner: strconv.FormatInt(client.Token.PartnerID, 10),
			TokenID: strconv.FormatInt(client.Token.ID, 10), Scopes: "fleet:read", ClientID: client.ClientID, RequestID: resp.Header.Get("X-Request-Id")}}
		if diff := cmp.Diff(want, takeSeen()); diff != "" {
			t.Errorf("the API's server saw (-want +got):\n%s", diff)
		}
		if resp := call(t, "POST", "/live/maintenance/work-orders", at, nil); resp.StatusCode != 403 {
			t.Errorf("a scope the client lacks = %d, want 403", resp.StatusCode)
		}
		// An access token the client got before it was revoked (this
		// fixture's verifier does not listen for changes, so one it has
		// not cached yet: invalidation is the credential tests' subject).
		unused, _ := token.New(token.KindAccessToken)
		if _, err := l.st.InsertAccessToken(context.Background(), client.Token.ID, token.NewHasher(secret).Hash(unused), []string{"fleet/fleet:read"}, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		l.revoke(t, "dev@harbor.test", client.Token.ID)
		if resp := call(t, "GET", "/live/fleet/spreaders", unused, nil); resp.StatusCode != 401 {
			t.Errorf("access token of a revoked client = %d, want 401", resp.StatusCode)
		}
		if s := takeSeen(); len(s) != 0 {
			t.Errorf("the API's server was called: %+v", s)
		}
	})

	// Every call asked about is in the audit, under NGINX's request id,
	// as the call the client made.
	l.stop()
	var calls []string
	if err := l.st.DB().Select(&calls, `SELECT method || ' ' || path || ' ' || status FROM api_calls ORDER BY at, request_id`); err != nil {
		t.Fatal(err)
	}
	want := []string{"GET /live/fleet/spreaders 204", "GET /live/fleet/spreaders 401", "POST /live/maintenance/work-orders 403",
		"GET /live/fleet/cranes 404", "GET /auth/verify 400", "GET /live/fleet/spreaders 204", "GET /live/fleet/spreaders 429",
		"GET /live/fleet/spreaders 204", "POST /live/maintenance/work-orders 403", "GET /live/fleet/spreaders 401"}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("recorded calls (-want +got):\n%s", diff)
	}
}

// accessToken registers an OAuth client of email (their partner lets
// developers register clients) and issues it an access token as the
// token endpoint does, stored only as its hash.
func (f *fixture) accessToken(t testing.TB, email, env string, scopes ...string) (*pat.ClientCreated, string) {
	t.Helper()
	ctx := context.Background()
	u, err := f.st.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetDeveloperClients(ctx, *u.PartnerID, true); err != nil {
		t.Fatal(err)
	}
	c, err := f.pats.CreateClient(ctx, access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID},
		pat.ClientInput{Input: pat.Input{Name: "machine", Environment: env, Days: 30, Scopes: scopes}})
	if err != nil {
		t.Fatal(err)
	}
	at, _ := token.New(token.KindAccessToken)
	if _, err := f.st.InsertAccessToken(ctx, c.Token.ID, token.NewHasher(secret).Hash(at), scopes, time.Now().Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	return c, at
}

// liveLimitedToken creates a live fleet token of email with its own limit.
func (f *fixture) liveLimitedToken(t testing.TB, email string, perMinute int) string {
	t.Helper()
	u, err := f.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.pats.Create(context.Background(), access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID},
		pat.Input{Name: "limited", Environment: "live", Days: 30, Scopes: []string{"fleet/fleet:read"}, RatePerMinute: &perMinute})
	if err != nil {
		t.Fatal(err)
	}
	return c.Plaintext
}
