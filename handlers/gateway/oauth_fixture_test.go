package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/leak"
	"github.com/portico/portico/internal/logtest"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// oauthSecret keys the portal under test; the fixture's pat service
// hashes with the same key, as one deployment does.
var oauthSecret = []byte("oauth-test-secret-oauth-test-secret-0123")

// oauthFixture is a running portal (handlers.New, the whole stack) over
// a seeded database in which Harbor's developers may register clients.
// Loopback is a trusted proxy, so a test picks its caller's address with
// X-Forwarded-For.
type oauthFixture struct {
	url    string
	db     *sqlx.DB
	st     *store.Store
	hasher *token.Hasher
	pats   *pat.Service
	srv    *httptest.Server
	logs   *logtest.Buffer
	dev    access.Actor
	// leakKeys are the nodes' accepted leaked-token report keys (nil:
	// reports are not enabled).
	leakKeys *leak.Keys

	mu      sync.Mutex
	secrets []string // every secret the test saw: none may be logged
}

func newOAuthFixture(t testing.TB) *oauthFixture {
	t.Helper()
	url := pgtest.URL(t)
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &oauthFixture{url: url, db: db, st: store.New(db), hasher: token.NewHasher(oauthSecret), logs: &logtest.Buffer{}}
	ctx := context.Background()
	if _, err := demo.Seed(ctx, f.st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, f.st); err != nil {
		t.Fatal(err)
	}
	f.pats = pat.New(f.st, f.hasher, pmail.NewOutbox(f.st), "http://portal.test")
	f.dev = f.actor(t, "dev@harbor.test")
	if err := f.st.SetDeveloperClients(ctx, f.dev.PartnerID, true); err != nil {
		t.Fatal(err)
	}
	f.srv = f.node(t, nil)
	t.Cleanup(func() {
		logged := f.logs.String()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, s := range f.secrets {
			if strings.Contains(logged, s) {
				t.Errorf("a secret (%s) is in the portal's log", token.Hint(s))
			}
		}
	})
	return f
}

// node starts another portal over the fixture's database, with its own
// verifier (nil: one that caches nothing), as another node of a cluster.
func (f *oauthFixture) node(t testing.TB, v *credential.Verifier) *httptest.Server {
	t.Helper()
	return f.nodeWith(t, handlers.Deps{Verifier: v})
}

// nodeWith starts another portal like node, with d's Verifier and
// GatewayMetrics.
func (f *oauthFixture) nodeWith(t testing.TB, d handlers.Deps) *httptest.Server {
	t.Helper()
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	cfg := handlers.Config{Version: "test", Secret: oauthSecret, BaseURL: "https://portal.test", MailTransport: "test",
		TrustedProxies: []*net.IPNet{loopback}, LeakKeys: f.leakKeys}
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(f.logs, nil)), DB: f.db,
		Outbox: pmail.NewOutbox(f.st), Mailer: kickNone{}, Verifier: d.Verifier, GatewayMetrics: d.GatewayMetrics})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return srv
}

// listening returns a caching verifier that follows the database's
// notifications until the test ends, as in production.
func (f *oauthFixture) listening(t testing.TB) *credential.Verifier {
	t.Helper()
	v := credential.NewVerifier(f.st, f.hasher)
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		if err := v.Listen(ctx, f.url, slog.New(slog.NewTextHandler(io.Discard, nil)), ready); err != nil && ctx.Err() == nil {
			t.Errorf("listen: %v", err)
			close(ready)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	return v
}

type kickNone struct{}

func (kickNone) Kick() {}

func (f *oauthFixture) actor(t testing.TB, email string) access.Actor {
	t.Helper()
	u, err := f.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID}
}

// staffID is the demo's platform admin's user id.
func (f *oauthFixture) staffID(t testing.TB) int64 {
	t.Helper()
	u, err := f.st.UserByEmail(context.Background(), "admin@portico.test")
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (f *oauthFixture) saw(secrets ...string) {
	f.mu.Lock()
	f.secrets = append(f.secrets, secrets...)
	f.mu.Unlock()
}

// client registers a sandbox client of Harbor's developer with the
// fleet and maintenance read scopes (or scopes), from networks.
func (f *oauthFixture) client(t testing.TB, networks []string, scopes ...string) *pat.ClientCreated {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"fleet/fleet:read", "maintenance/maintenance:read"}
	}
	c, err := f.pats.CreateClient(context.Background(), f.dev, pat.ClientInput{
		Input:    pat.Input{Name: "Billing server", Environment: "sandbox", Days: 30, Scopes: scopes},
		Networks: networks})
	if err != nil {
		t.Fatal(err)
	}
	f.saw(c.Secret)
	return c
}

// resourceServer issues a resource server credential, as a platform
// admin does, and returns its id and secret.
func (f *oauthFixture) resourceServer(t testing.TB, name string) (id int64, clientID, secret string) {
	t.Helper()
	clientID, _ = token.NewPublicID(token.ResourceServerIDPrefix)
	secret, _ = token.New(token.KindResourceServer)
	err := f.st.InTx(context.Background(), func(tx *store.Store) error {
		var err error
		id, err = tx.InsertResourceServer(context.Background(), name, clientID, f.hasher.Hash(secret), token.Hint(secret), f.staffID(t))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.saw(secret)
	return id, clientID, secret
}

func (f *oauthFixture) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := f.db.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

// oauthReply is an OAuth endpoint's answer.
type oauthReply struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (r oauthReply) str(k string) string { s, _ := r.body[k].(string); return s }

// oauthReq is one request to an OAuth endpoint: its form, Basic credentials
// (user/pass as sent, already encoded), extra headers and the caller's
// address ("" is loopback).
type oauthReq struct {
	method, path string
	form         url.Values
	basic        [2]string
	header       map[string]string
	ip           string
	rawBody      *string
	// auths are Authorization headers, sent as they are.
	auths []string
}

func (f *oauthFixture) do(t testing.TB, srv *httptest.Server, rq oauthReq) oauthReply {
	t.Helper()
	if rq.method == "" {
		rq.method = http.MethodPost
	}
	body := rq.form.Encode()
	if rq.rawBody != nil {
		body = *rq.rawBody
	}
	hr, err := http.NewRequest(rq.method, srv.URL+rq.path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if rq.basic != [2]string{} {
		hr.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(rq.basic[0]+":"+rq.basic[1])))
	}
	if rq.ip != "" {
		hr.Header.Set("X-Forwarded-For", rq.ip)
	}
	for k, v := range rq.header {
		hr.Header.Set(k, v)
	}
	if rq.auths != nil {
		hr.Header["Authorization"] = rq.auths
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := oauthReply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// tokenFor asks the token endpoint for an access token with Basic
// credentials, failing the test unless one is issued.
func (f *oauthFixture) tokenFor(t testing.TB, c *pat.ClientCreated, scope string) oauthReply {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := f.do(t, f.srv, oauthReq{path: "/oauth/token", form: form, basic: [2]string{c.ClientID, c.Secret}})
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("token request = %d %s", r.status, r.raw)
	}
	f.saw(r.str("access_token"))
	return r
}

// callAPI calls the gateway on srv with a bearer token and returns the status.
func callAPI(t testing.TB, srv *httptest.Server, path, tok string) int {
	t.Helper()
	hr, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	hr.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// within polls cond every 10 ms until it holds or d passes.
func within(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}
