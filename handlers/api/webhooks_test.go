package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers/gorillamux"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/apitest"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// hookReceiver is a TLS endpoint that verifies every delivery with the
// Standard Webhooks library against the secret it was given, and keeps the
// webhook-id and type of each one it accepted.
type hookReceiver struct {
	mu       sync.Mutex
	secret   string
	accepted []hookReceived
	refused  int
}

type hookReceived struct{ id, typ, signature string }

func (rc *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err != nil || wh.Verify(body, r.Header) != nil {
		rc.refused++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p struct{ Type string }
	_ = json.Unmarshal(body, &p)
	rc.accepted = append(rc.accepted, hookReceived{id: r.Header.Get("webhook-id"), typ: p.Type, signature: r.Header.Get("webhook-signature")})
	w.WriteHeader(http.StatusNoContent)
}

func (rc *hookReceiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s
}

func (rc *hookReceiver) got() ([]hookReceived, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookReceived(nil), rc.accepted...), rc.refused
}

// newWebhookEnv is newEnv whose portal may register endpoints on loopback
// and posts to them through a client trusting srv's certificate.
func newWebhookEnv(t *testing.T, srv *httptest.Server) *env {
	t.Helper()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.WebhookAllowPrivate = true
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	logs := &logtest.Buffer{}
	app := handlers.New(cfg, handlers.Deps{Log: slog.New(slog.NewTextHandler(logs, nil)), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}, WebhookClient: client})
	portal := httptest.NewServer(app)
	t.Cleanup(portal.Close)
	spec := apitest.Portal(t)
	router, err := gorillamux.NewRouter(spec.Doc())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, app: app, srv: portal, store: st, spec: spec, router: router, logs: logs}
}

type apiEndpoint struct {
	ID                  int64      `json:"id"`
	URL                 string     `json:"url"`
	Description         string     `json:"description"`
	EventTypes          []string   `json:"event_types"`
	PartnerID           *int64     `json:"partner_id"`
	SecretHint          string     `json:"secret_hint"`
	Secret              string     `json:"secret"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	Enabled             bool       `json:"enabled"`
}

type apiOutcome struct {
	Status     *int   `json:"status"`
	State      string `json:"state"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error"`
}

type apiAttempt struct {
	ID         int64  `json:"id"`
	DeliveryID int64  `json:"delivery_id"`
	WebhookID  string `json:"webhook_id"`
	Type       string `json:"type"`
	Status     *int   `json:"status"`
	State      string `json:"state"`
	Manual     bool   `json:"manual"`
	Body       string `json:"request_body"`
}

var secretPattern = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{43}=$`)

// createEndpoint registers an endpoint at url as the holder of cookie.
func (e *env) createEndpoint(cookie, url string, types ...string) apiEndpoint {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"url": url, "description": "CRM onboarding", "event_types": types})
	rec := e.call(cookie, http.MethodPost, "/api/v1/webhook-endpoints", string(body))
	want(e.t, "register an endpoint", rec, http.StatusCreated, "")
	got := decodeBody[apiEndpoint](e.t, rec)
	if rec.Header().Get("Location") != "/api/v1/webhook-endpoints/"+strconv.FormatInt(got.ID, 10) {
		e.t.Errorf("Location %q", rec.Header().Get("Location"))
	}
	return got
}

// TestWebhookEndpointLifecycle: a partner admin registers an endpoint and
// gets its secret once (reads show the hint only), sends it a test event
// the receiver verifies with the Standard Webhooks library, reads the
// delivery log page by page, sends a delivery again with the same
// webhook-id, rotates the secret (both sign during the grace period),
// disables it (test and resend: 409), and deletes it.
func TestWebhookEndpointLifecycle(t *testing.T) {
	t.Parallel()
	rc := &hookReceiver{}
	srv := httptest.NewTLSServer(rc)
	t.Cleanup(srv.Close)
	e := newWebhookEnv(t, srv)
	admin := e.signIn("admin@harbor.test")

	created := e.createEndpoint(admin, srv.URL+"/hooks", webhook.TeamChanged, webhook.MemberInvited)
	if !secretPattern.MatchString(created.Secret) || created.SecretHint != webhook.SecretHint(created.Secret) || !created.Enabled {
		t.Fatalf("created = %+v", created)
	}
	rc.setSecret(created.Secret)
	path := "/api/v1/webhook-endpoints/" + strconv.FormatInt(created.ID, 10)
	for _, read := range []string{path, "/api/v1/webhook-endpoints"} {
		rec := e.call(admin, http.MethodGet, read, "")
		want(t, "GET "+read, rec, http.StatusOK, "")
		if strings.Contains(rec.Body.String(), created.Secret) || strings.Contains(rec.Body.String(), `"secret"`) {
			t.Errorf("GET %s answers the secret: %s", read, rec.Body)
		}
		if !strings.Contains(rec.Body.String(), `"secret_hint":"`+created.SecretHint+`"`) {
			t.Errorf("GET %s does not name the secret by its hint: %s", read, rec.Body)
		}
	}

	rec := e.call(admin, http.MethodPost, path+"/test", "")
	want(t, "send a test event", rec, http.StatusOK, "")
	if o := decodeBody[apiOutcome](t, rec); o.State != "delivered" || o.Status == nil || *o.Status != http.StatusNoContent || o.Error != "" {
		t.Errorf("test outcome = %+v", o)
	}
	got, refused := rc.got()
	if len(got) != 1 || got[0].typ != webhook.TestEvent || refused != 0 {
		t.Fatalf("receiver accepted %+v, refused %d", got, refused)
	}

	// The log, one attempt a page: the test event, then its resend.
	rec = e.call(admin, http.MethodGet, path+"/deliveries?limit=1", "")
	want(t, "delivery log", rec, http.StatusOK, "")
	page := decodeBody[struct {
		Items      []apiAttempt `json:"items"`
		NextCursor *string      `json:"next_cursor"`
	}](t, rec)
	if len(page.Items) != 1 || page.NextCursor != nil || page.Items[0].WebhookID != got[0].id || page.Items[0].Type != webhook.TestEvent ||
		page.Items[0].State != "delivered" || !page.Items[0].Manual || !strings.Contains(page.Items[0].Body, `"type":"webhook.test"`) {
		t.Fatalf("log = %+v", page)
	}
	resend := path + "/deliveries/" + strconv.FormatInt(page.Items[0].DeliveryID, 10) + "/resend"
	rec = e.call(admin, http.MethodPost, resend, "")
	want(t, "send again", rec, http.StatusOK, "")
	if got, _ = rc.got(); len(got) != 2 || got[1].id != got[0].id {
		t.Errorf("resent %+v, want the same webhook-id again", got)
	}
	rec = e.call(admin, http.MethodGet, path+"/deliveries?limit=1", "")
	page = decodeBody[struct {
		Items      []apiAttempt `json:"items"`
		NextCursor *string      `json:"next_cursor"`
	}](t, rec)
	if len(page.Items) != 1 || page.NextCursor == nil {
		t.Fatalf("log after the resend = %+v, want a next page", page)
	}
	rec = e.call(admin, http.MethodGet, path+"/deliveries?limit=1&cursor="+*page.NextCursor, "")
	want(t, "delivery log, page 2", rec, http.StatusOK, "")
	if second := decodeBody[struct {
		Items []apiAttempt `json:"items"`
	}](t, rec); len(second.Items) != 1 || second.Items[0].ID == page.Items[0].ID {
		t.Errorf("page 2 = %+v after %+v", second, page)
	}

	// Rotation: a new secret once; both sign for the grace period.
	rec = e.call(admin, http.MethodPost, path+"/rotate-secret", `{"grace_seconds": 3600}`)
	want(t, "rotate", rec, http.StatusOK, "")
	rotated := decodeBody[apiEndpoint](t, rec)
	if !secretPattern.MatchString(rotated.Secret) || rotated.Secret == created.Secret || rotated.PreviousSecretUntil == nil ||
		rotated.PreviousSecretUntil.Before(time.Now().Add(59*time.Minute)) {
		t.Fatalf("rotated = %+v", rotated)
	}
	rc.setSecret(rotated.Secret)
	want(t, "test after rotating", e.call(admin, http.MethodPost, path+"/test", ""), http.StatusOK, "")
	if got, refused = rc.got(); len(got) != 3 || refused != 0 || len(strings.Fields(got[2].signature)) != 2 {
		t.Errorf("after rotating: accepted %+v, refused %d; want one delivery signed by both secrets", got, refused)
	}

	rec = e.call(admin, http.MethodPatch, path, `{"enabled": false, "description": "Paused", "event_types": ["member.removed"]}`)
	want(t, "disable", rec, http.StatusOK, "")
	if ep := decodeBody[apiEndpoint](t, rec); ep.Enabled || ep.Description != "Paused" || len(ep.EventTypes) != 1 || ep.EventTypes[0] != webhook.MemberRemoved {
		t.Errorf("after PATCH = %+v", ep)
	}
	want(t, "test a disabled endpoint", e.call(admin, http.MethodPost, path+"/test", ""), http.StatusConflict, "endpoint_disabled")
	want(t, "resend to a disabled endpoint", e.call(admin, http.MethodPost, resend, ""), http.StatusConflict, "endpoint_disabled")
	if got, _ = rc.got(); len(got) != 3 {
		t.Errorf("a disabled endpoint received %d deliveries, want still 3", len(got))
	}

	want(t, "delete", e.call(admin, http.MethodDelete, path, ""), http.StatusNoContent, "")
	want(t, "GET after delete", e.call(admin, http.MethodGet, path, ""), http.StatusNotFound, "not_found")
}
