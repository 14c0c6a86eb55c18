package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/seal"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
)

var testSecret = []byte("webhook test server secret, 32 bytes at least")

// world is a seeded portal with a webhook sender and the endpoint
// service, posting to receivers on loopback over TLS.
type world struct {
	store     *store.Store
	box       *seal.Box
	sender    *webhook.Sender
	endpoints *endpoints.Service
	actors    map[string]access.Actor
	clock     *clock
}

func newWorld(t testing.TB, srv *httptest.Server) *world {
	t.Helper()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	box := webhook.MustBox(testSecret)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	sender := webhook.NewSender(st, box, client, mail.NewOutbox(st), "https://portal.test", slog.New(slog.DiscardHandler))
	w := &world{store: st, box: box, sender: sender, endpoints: endpoints.New(st, box, sender, true), actors: map[string]access.Actor{}, clock: &clock{}}
	sender.SetClock(w.clock.now)
	for _, email := range []string{"admin@portico.test", "am@portico.test", "admin@harbor.test", "dev@harbor.test", "admin@crane.test"} {
		u, err := st.SessionUser(ctx, mustUserID(t, st, email))
		if err != nil {
			t.Fatal(err)
		}
		a := access.Actor{UserID: u.ID, Role: u.Role, Managed: u.Managed}
		if u.PartnerID != nil {
			a.PartnerID = *u.PartnerID
		}
		w.actors[email] = a
	}
	return w
}

func mustUserID(t testing.TB, st *store.Store, email string) int64 {
	t.Helper()
	u, err := st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// receiver is an endpoint that verifies every delivery with the Standard
// Webhooks library and keeps what it accepted.
type receiver struct {
	mu       sync.Mutex
	secret   string
	accepted []received
	refused  int
	// answer decides the status of each delivery (nil: 204).
	answer func(n int) int
	calls  int
	// delay is how long each answer takes.
	delay time.Duration
}

type received struct {
	ID      string
	Type    string
	Payload map[string]any
	Body    []byte
	Header  http.Header
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	delay := rc.delay
	rc.mu.Unlock()
	time.Sleep(delay) // a receiver that takes a moment: senders overlap
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if rc.answer != nil {
		if code := rc.answer(rc.calls); code >= 300 {
			w.WriteHeader(code)
			return
		}
	}
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err != nil || wh.Verify(body, r.Header) != nil {
		rc.refused++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p map[string]any
	_ = json.Unmarshal(body, &p)
	typ, _ := p["type"].(string)
	rc.accepted = append(rc.accepted, received{ID: r.Header.Get("webhook-id"), Type: typ, Payload: p, Body: body, Header: r.Header.Clone()})
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.accepted...)
}

// drain delivers everything due now.
func (w *world) drain(t testing.TB) int {
	t.Helper()
	n := 0
	for {
		sent, err := w.sender.DeliverNext(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !sent {
			return n
		}
		n++
	}
}

// clock is the sender's clock in tests: the wall clock moved on by hand,
// so a retry window passes in no time and nothing sleeps.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// advance moves the clock on by d.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// setSecret sets the secret the receiver verifies with.
func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s
}

// stats returns how many deliveries reached the receiver and how many it
// refused for their signature.
func (rc *receiver) stats() (calls, refused int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.calls, rc.refused
}

// hub is one TLS server on loopback holding a receiver per path, so a
// test's endpoints each verify with their own secret.
type hub struct {
	mu       sync.Mutex
	handlers map[string]http.Handler
	srv      *httptest.Server
}

func newHub(t testing.TB) *hub {
	t.Helper()
	h := &hub{handlers: map[string]http.Handler{}}
	h.srv = httptest.NewTLSServer(h)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	hd := h.handlers[r.URL.Path]
	h.mu.Unlock()
	if hd == nil {
		http.NotFound(w, r)
		return
	}
	hd.ServeHTTP(w, r)
}

// receiver returns the receiver at path, and its URL.
func (h *hub) receiver(path string) (*receiver, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rc, _ := h.handlers[path].(*receiver)
	if rc == nil {
		rc = &receiver{}
		h.handlers[path] = rc
	}
	return rc, h.srv.URL + path
}

// handle answers at path with hd instead.
func (h *hub) handle(path string, hd http.Handler) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handlers[path] = hd
}

// endpoint registers an endpoint as the actor with email, for types
// (nil: every type), to a new receiver at path verifying with its secret.
func (w *world) endpoint(t testing.TB, h *hub, email, path string, types []string, scopePartnerID int64) (*endpoints.Created, *receiver) {
	t.Helper()
	if types == nil {
		for _, ty := range webhook.Types {
			types = append(types, ty.Name)
		}
	}
	rc, url := h.receiver(path)
	created, err := w.endpoints.Create(context.Background(), w.actors[email], endpoints.Input{URL: url, EventTypes: types, ScopePartnerID: scopePartnerID})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(created.Secret)
	return created, rc
}

// partnerID returns the id of the demo partner with slug.
func (w *world) partnerID(t testing.TB, slug string) int64 {
	t.Helper()
	p, err := w.store.PartnerBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// count runs a count query.
func (w *world) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.store.DB().Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// teamEvent queues team.changed for partnerID in tx, directly (no team
// row): the quickest way to fill the queue.
func teamEvent(ctx context.Context, tx *store.Store, partnerID int64, name string) error {
	return webhook.Emit(ctx, tx, webhook.Event{Type: webhook.TeamChanged, PartnerID: partnerID,
		Data: func(_ context.Context, _ *store.Store, c webhook.Common) (any, error) {
			return webhook.TeamData{Common: c, Team: webhook.Team{ID: 1, Name: name}, Change: "created"}, nil
		}})
}
