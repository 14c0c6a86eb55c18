package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/demo"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/sandbox"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var secret = []byte("gateway-test-secret-0123456789abcdef0")

// upstream is a real HTTP server standing in for the provider's API: it
// answers what it received, so tests see exactly what the gateway sent.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	last *http.Request
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.last = r.Clone(context.Background())
		u.mu.Unlock()
		if r.URL.Query().Get("slow") != "" {
			time.Sleep(300 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Proxy-Authenticate", `Basic realm="upstream"`)
		w.Header().Set("Keep-Alive", "timeout=5")
		_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "query": r.URL.RawQuery})
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) seen() *http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// realSandbox adapts the built-in sandbox, as the portal does.
type realSandbox struct{ s *sandbox.Sandbox }

func (b realSandbox) Serve(w http.ResponseWriter, r *http.Request, req gateway.SandboxRequest) {
	b.s.Serve(w, r, sandbox.Request{PartnerID: req.PartnerID, API: req.API, Spec: req.Spec, Route: req.Route, PathParams: req.PathParams})
}

type fixture struct {
	st   *store.Store
	cat  *catalog.Service
	pats *pat.Service
	gw   *gateway.Gateway
	srv  *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := pgtest.Store(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	h := token.NewHasher(secret)
	v := credential.NewVerifier(st, h)
	v.TTL = 0 // no notifications in these tests: always read the database
	cat := catalog.NewService(st)
	gw := gateway.New(gateway.Deps{Store: st, Catalog: cat, Verifier: v, Sandbox: realSandbox{sandbox.New(st)}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := serveGateway(t, gw)
	t.Cleanup(srv.Close)
	return &fixture{st: st, cat: cat, pats: pat.New(st, h, pmail.NewOutbox(st), "http://portal.test"), gw: gw, srv: srv}
}

func (f *fixture) token(t testing.TB, email, env string, scopes ...string) *pat.Created {
	t.Helper()
	u, err := f.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.pats.Create(context.Background(), access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID},
		pat.Input{Name: "t", Environment: env, Days: 30, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// setUpstream points an API's live traffic at u and drops the gateway's
// cached routes, as the NOTIFY trigger does in a running portal.
func (f *fixture) setUpstream(t testing.TB, slug, u string) {
	t.Helper()
	api, err := f.st.APIBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.SetUpstream(context.Background(), api.ID, u); err != nil {
		t.Fatal(err)
	}
	f.gw.Forget()
}

type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func (f *fixture) call(t *testing.T, method, path, tok string, hdr map[string]string) (*http.Response, errorBody) {
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
	body, _ := io.ReadAll(resp.Body)
	var e errorBody
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode >= 400 && (e.Error.Code == "" || e.Error.RequestID == "" || e.Error.RequestID != resp.Header.Get("X-Request-Id")) {
		t.Errorf("%s %s: error body %q lacks the documented shape or request id", method, path, body)
	}
	if tok != "" && strings.Contains(string(body), tok) {
		t.Errorf("%s %s: the response repeats the token", method, path)
	}
	return resp, e
}

func TestLiveProxy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := newUpstream(t)
	f.setUpstream(t, "fleet", up.URL+"/v2")
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read")
	resp, _ := f.call(t, "GET", "/live/fleet/spreaders/SPR-0042?x=1", live.Plaintext, map[string]string{
		"X-Portico-Partner": "999", "X-Portico-Scopes": "everything", "Cookie": "portico=stolen",
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	got := up.seen()
	want := map[string]string{
		"X-Portico-Partner":  strconv.FormatInt(live.Token.PartnerID, 10),
		"X-Portico-Token-Id": strconv.FormatInt(live.Token.ID, 10),
		"X-Portico-Scopes":   "fleet:read",
		"Authorization":      "",
		"Cookie":             "",
	}
	for k, v := range want {
		if g := got.Header.Get(k); g != v {
			t.Errorf("upstream saw %s = %q, want %q", k, g, v)
		}
	}
	if got.URL.Path != "/v2/spreaders/SPR-0042" || got.URL.RawQuery != "x=1" {
		t.Errorf("upstream saw %s?%s", got.URL.Path, got.URL.RawQuery)
	}
	if resp.Header.Get("Proxy-Authenticate") != "" || resp.Header.Get("Keep-Alive") != "" {
		t.Error("a hop-by-hop header of the upstream leaked to the caller")
	}
}

// A caller's Connection header names hop-by-hop headers, which httputil
// removes: it must not remove the identity the gateway sets.
func TestLiveProxyConnectionHeaderKeepsIdentity(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := newUpstream(t)
	f.setUpstream(t, "fleet", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read")
	resp, _ := f.call(t, "GET", "/live/fleet/spreaders/SPR-0042", live.Plaintext, map[string]string{
		"Connection": "X-Portico-Partner, X-Portico-Scopes, X-Portico-Token-Id, X-Request-Id",
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	got := up.seen()
	want := map[string]string{
		"X-Portico-Partner":  strconv.FormatInt(live.Token.PartnerID, 10),
		"X-Portico-Token-Id": strconv.FormatInt(live.Token.ID, 10),
		"X-Portico-Scopes":   "fleet:read",
		"X-Request-Id":       resp.Header.Get("X-Request-Id"),
	}
	for k, v := range want {
		if g := got.Header.Get(k); g != v || v == "" {
			t.Errorf("upstream saw %s = %q, want %q", k, g, v)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := newUpstream(t)
	f.setUpstream(t, "fleet", up.URL)
	f.setUpstream(t, "maintenance", up.URL)
	ctx := context.Background()
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read", "maintenance/maintenance:read").Plaintext
	sbx := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	crane := f.token(t, "dev@crane.test", "live", "fleet/fleet:read").Plaintext
	revoked := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read")
	u, _ := f.st.UserByEmail(ctx, "dev@harbor.test")
	if _, err := f.pats.Revoke(ctx, access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID}, revoked.Token.ID); err != nil {
		t.Fatal(err)
	}
	unknown, _ := token.New(token.KindLive)
	tests := []struct {
		name, method, path, tok string
		status                  int
		code                    string
		challenge               string
	}{
		{"no token", "GET", "/live/fleet/spreaders", "", 401, "invalid_token", `Bearer realm="portico"`},
		{"garbage", "GET", "/live/fleet/spreaders", "hello", 401, "invalid_token", `error="invalid_token"`},
		{"unknown", "GET", "/live/fleet/spreaders", unknown, 401, "invalid_token", `error="invalid_token"`},
		{"revoked answers like unknown", "GET", "/live/fleet/spreaders", revoked.Plaintext, 401, "invalid_token", `error="invalid_token"`},
		{"sandbox token on live", "GET", "/live/fleet/spreaders", sbx, 401, "wrong_environment", `error="invalid_token"`},
		{"token in the query", "GET", "/live/fleet/spreaders?access_token=" + live, "", 400, "invalid_request", `error="invalid_request"`},
		{"encoded token in the query", "GET", "/live/fleet/spreaders?x=ptc%5Flive%5Fabc", live, 400, "invalid_request", `error="invalid_request"`},
		{"token in the path", "GET", "/live/fleet/spreaders/" + live, "", 400, "invalid_request", `error="invalid_request"`},
		{"unknown API", "GET", "/live/nope/x", live, 404, "not_found", ""},
		{"API not granted", "GET", "/live/maintenance/work-orders", crane, 404, "not_found", ""},
		{"no such operation", "GET", "/live/fleet/cranes", live, 404, "not_found", ""},
		{"wrong method", "DELETE", "/live/fleet/spreaders", live, 405, "method_not_allowed", ""},
		{"scope not on the token", "POST", "/live/maintenance/work-orders", live, 403, "insufficient_scope", `scope="maintenance:write"`},
		{"invalid parameter", "GET", "/live/fleet/spreaders?limit=abc", live, 400, "invalid_request", ""},
		{"not an environment", "GET", "/prod/fleet/spreaders", live, 404, "not_found", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, e := f.call(t, tc.method, tc.path, tc.tok, nil)
			if resp.StatusCode != tc.status || e.Error.Code != tc.code {
				t.Fatalf("= %d %s (%s), want %d %s", resp.StatusCode, e.Error.Code, e.Error.Message, tc.status, tc.code)
			}
			if !strings.Contains(resp.Header.Get("WWW-Authenticate"), tc.challenge) {
				t.Errorf("WWW-Authenticate = %q, want it to contain %q", resp.Header.Get("WWW-Authenticate"), tc.challenge)
			}
		})
	}
	t.Run("the Bearer scheme is case-insensitive", func(t *testing.T) {
		resp, _ := f.call(t, "GET", "/live/fleet/spreaders", "", map[string]string{"Authorization": "bearer " + live})
		if resp.StatusCode != 200 {
			t.Errorf("lower-case scheme = %d, want 200", resp.StatusCode)
		}
	})
	t.Run("invalid parameter names it", func(t *testing.T) {
		_, e := f.call(t, "GET", "/live/fleet/spreaders?limit=abc", live, nil)
		if !strings.Contains(e.Error.Message, `"limit"`) {
			t.Errorf("message %q does not name the parameter", e.Error.Message)
		}
	})
}

func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	if resp, e := f.call(t, "GET", "/live/fleet/spreaders", live, nil); resp.StatusCode != 503 || e.Error.Code != "no_upstream" {
		t.Errorf("no upstream: %d %s", resp.StatusCode, e.Error.Code)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	f.setUpstream(t, "fleet", down.URL)
	if resp, e := f.call(t, "GET", "/live/fleet/spreaders", live, nil); resp.StatusCode != 502 || e.Error.Code != "bad_gateway" {
		t.Errorf("upstream down: %d %s", resp.StatusCode, e.Error.Code)
	}
	up := newUpstream(t)
	f.setUpstream(t, "fleet", up.URL)
	f.gw.UpstreamTimeout = 100 * time.Millisecond
	f.gw.Forget()
	if resp, e := f.call(t, "GET", "/live/fleet/spreaders?slow=1", live, nil); resp.StatusCode != 504 || e.Error.Code != "gateway_timeout" {
		t.Errorf("slow upstream: %d %s", resp.StatusCode, e.Error.Code)
	}
}

func TestLifecycleHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := newUpstream(t)
	f.setUpstream(t, "fleet", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	ctx := context.Background()
	api, _ := f.st.APIBySlug(ctx, "fleet")
	sunset := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	if _, err := f.cat.SetStatus(ctx, api.ID, store.APIDeprecated, &sunset); err != nil {
		t.Fatal(err)
	}
	f.gw.Forget()
	resp, _ := f.call(t, "GET", "/live/fleet/spreaders", live, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Deprecation"), "@") || resp.Header.Get("Sunset") != "Wed, 31 Mar 2027 00:00:00 GMT" {
		t.Errorf("deprecated: %d Deprecation=%q Sunset=%q", resp.StatusCode, resp.Header.Get("Deprecation"), resp.Header.Get("Sunset"))
	}
	if _, err := f.cat.SetStatus(ctx, api.ID, store.APIRetired, nil); err != nil {
		t.Fatal(err)
	}
	f.gw.Forget()
	if resp, e := f.call(t, "GET", "/live/fleet/spreaders", live, nil); resp.StatusCode != 410 || e.Error.Code != "api_retired" {
		t.Errorf("retired: %d %s", resp.StatusCode, e.Error.Code)
	}
}

// On /live the upstream owns the data; what the gateway guarantees is the
// partner it names. An upstream that scopes its work orders by
// X-Portico-Partner answers partner B's token on partner A's work order
// with 404, whatever partner header B's request carried.
func TestLiveIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := map[string]string{} // work order id -> partner id
	var mu sync.Mutex
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		partner := r.Header.Get("X-Portico-Partner")
		id := strings.TrimPrefix(r.URL.Path, "/work-orders/")
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPost {
			owner["WO-000001"] = partner
			w.WriteHeader(http.StatusCreated)
			return
		}
		if owner[id] != partner {
			// The gateway passes the request id on: upstream errors can
			// carry it in the same shape.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"No such work order.","request_id":"` + r.Header.Get("X-Request-Id") + `"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"id":"` + id + `"}`))
	}))
	defer up.Close()
	f.setUpstream(t, "maintenance", up.URL)
	a := f.token(t, "dev@harbor.test", "live", "maintenance/maintenance:read", "maintenance/maintenance:write").Plaintext
	// Crane is not granted Maintenance: grant its developer the group to
	// reach the operation at all, so the upstream decides.
	if _, err := f.st.DB().Exec(`INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name = 'Port operations' AND u.email = 'dev@crane.test'`); err != nil {
		t.Fatal(err)
	}
	b := f.token(t, "dev@crane.test", "live", "maintenance/maintenance:read").Plaintext
	body := `{"spreader_id":"SPR-0042","title":"Twistlock sensor check","type":"corrective"}`
	req, _ := http.NewRequest("POST", f.srv.URL+"/live/maintenance/work-orders", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create = %d", resp.StatusCode)
	}
	if resp, _ := f.call(t, "GET", "/live/maintenance/work-orders/WO-000001", a, nil); resp.StatusCode != 200 {
		t.Errorf("owner reads its work order: %d", resp.StatusCode)
	}
	mu.Lock()
	claimed := owner["WO-000001"]
	mu.Unlock()
	if resp, _ := f.call(t, "GET", "/live/maintenance/work-orders/WO-000001", b, map[string]string{"X-Portico-Partner": claimed}); resp.StatusCode != 404 {
		t.Errorf("another partner (claiming the owner's partner header) reads it: %d, want 404", resp.StatusCode)
	}
}
