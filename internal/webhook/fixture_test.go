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

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
)

var testSecret = []byte("webhook test server secret, 32 bytes at least")

// world is a seeded portal with a webhook sender and the endpoint
// service, posting to receivers on loopback over TLS.
type world struct {
	store     *store.Store
	sender    *webhook.Sender
	endpoints *endpoints.Service
	actors    map[string]access.Actor
}

func newWorld(t *testing.T, srv *httptest.Server) *world {
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
	w := &world{store: st, sender: sender, endpoints: endpoints.New(st, box, sender, true), actors: map[string]access.Actor{}}
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

func mustUserID(t *testing.T, st *store.Store, email string) int64 {
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
}

type received struct {
	ID      string
	Type    string
	Payload map[string]any
	Body    []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
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
	rc.accepted = append(rc.accepted, received{ID: r.Header.Get("webhook-id"), Type: typ, Payload: p, Body: body})
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.accepted...)
}

// drain delivers everything due now.
func (w *world) drain(t *testing.T) int {
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
