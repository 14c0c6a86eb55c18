package reliability

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
)

// hookWorld is a seeded database with a partner admin's endpoint (Harbor,
// team.changed) at a TLS receiver on loopback, and the settings a node
// needs to deliver to it: the receiver's certificate trusted through
// SSL_CERT_FILE (Go reads it on Linux: the node's webhook client uses the
// system roots), private addresses allowed, two workers.
type hookWorld struct {
	db         *sqlx.DB
	st         *store.Store
	rc         *hookReceiver
	admin      access.Actor
	endpointID int64
	settings   []string
}

func newHookWorld(t *testing.T) *hookWorld {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	rc := &hookReceiver{status: http.StatusNoContent, arrived: make(chan string, 8)}
	srv := httptest.NewTLSServer(rc)
	t.Cleanup(srv.Close)
	certFile := filepath.Join(t.TempDir(), "receiver.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &hookWorld{db: db, st: st, rc: rc, admin: actor(t, st, "admin@harbor.test")}
	// Registered here, sealed under the nodes' PORTICO_SECRET: the node
	// opens the signing secret to sign.
	svc := endpoints.New(st, webhook.MustBox([]byte(secret)), nil, true)
	created, err := svc.Create(ctx, w.admin, endpoints.Input{URL: srv.URL + "/hooks", EventTypes: []string{webhook.TeamChanged}})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret, w.endpointID = created.Secret, created.Endpoint.ID
	w.settings = []string{"DATABASE_URL=" + dbURL, "SSL_CERT_FILE=" + certFile,
		"PORTICO_WEBHOOK_ALLOW_PRIVATE=true", "PORTICO_WEBHOOK_WORKERS=2"}
	return w
}

// event is one queued event and its delivery to the endpoint.
type event struct {
	MsgID      string `db:"msg_id"`
	DeliveryID int64  `db:"id"`
	Team       string
}

// createTeam creates a team of Harbor's in the test process: the
// team.changed event is queued in PostgreSQL by the action's
// transaction, for the node's workers to deliver.
func (w *hookWorld) createTeam(t *testing.T, name string) event {
	t.Helper()
	ctx := context.Background()
	if _, err := people.New(w.st, nil, nil, "http://portal.test").CreateTeam(ctx, w.admin.PartnerID, name); err != nil {
		t.Fatal(err)
	}
	var e event
	if err := w.db.GetContext(ctx, &e, `SELECT ev.msg_id, d.id FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
		WHERE d.endpoint_id = $1 ORDER BY d.id DESC LIMIT 1`, w.endpointID); err != nil {
		t.Fatal(err)
	}
	e.Team = name
	return e
}

// delivery is a delivery's row.
type delivery struct {
	State    string    `db:"state"`
	Attempts int       `db:"attempts"`
	Next     time.Time `db:"next_attempt_at"`
}

func (w *hookWorld) delivery(t *testing.T, id int64) delivery {
	t.Helper()
	var d delivery
	if err := w.db.Get(&d, `SELECT state, attempts, next_attempt_at FROM webhook_deliveries WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return d
}

// log is the endpoint's delivery log for one event, oldest first, as its
// page shows it: the status of each attempt (0: no answer).
func (w *hookWorld) log(t *testing.T, e event) []int {
	t.Helper()
	rows, _, err := w.st.WebhookLogPage(context.Background(), w.endpointID, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].MsgID != e.MsgID {
			continue
		}
		s := 0
		if rows[i].Status != nil {
			s = *rows[i].Status
		}
		out = append(out, s)
	}
	return out
}

// pending counts the deliveries still queued.
func (w *hookWorld) pending(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.db.Get(&n, `SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'`); err != nil {
		t.Fatal(err)
	}
	return n
}

// drain creates one more event and waits until the receiver has accepted
// it and the node recorded so: deliveries go out in order per endpoint,
// so by then every earlier one has been sent for the last time (one left
// pending, or queued again, would have gone out before it). Not drained
// within 30 s is an error; the test goes on to say what the receiver saw.
func (w *hookWorld) drain(t *testing.T, name string) {
	t.Helper()
	marker := w.createTeam(t, name)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if w.rc.accepted(marker.MsgID) > 0 && w.delivery(t, marker.DeliveryID).State == "delivered" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the later event %s was not delivered within 30 s; the receiver saw %s", name, w.rc.summary())
			return
		}
	}
}

// hookReceiver verifies every delivery with the Standard Webhooks
// library and keeps what it saw. It answers status, or while hold is set
// waits for it to be closed first (the node then holds the delivery's
// row lock mid-send).
type hookReceiver struct {
	mu       sync.Mutex
	secret   string
	status   int
	hold     chan struct{}
	arrived  chan string
	receipts []receipt
	refused  int
}

// receipt is one verified delivery and the status answered (or about to
// be, for a held one).
type receipt struct {
	ID     string
	Team   string
	Status int
}

func (rc *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err != nil || wh.Verify(body, r.Header) != nil {
		rc.refused++
		rc.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p struct {
		Data struct {
			Team struct{ Name string } `json:"team"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &p)
	id, status, hold := r.Header.Get("webhook-id"), rc.status, rc.hold
	rc.receipts = append(rc.receipts, receipt{ID: id, Team: p.Data.Team.Name, Status: status})
	rc.mu.Unlock()
	if hold != nil {
		rc.arrived <- id
		select {
		case <-hold:
		case <-r.Context().Done(): // the sender is gone
		}
	}
	w.WriteHeader(status)
}

// answer sets the status of the next deliveries.
func (rc *hookReceiver) answer(status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = status
}

// holdNext makes the next deliveries wait until release.
func (rc *hookReceiver) holdNext() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.hold = make(chan struct{})
}

// release answers the held deliveries and holds no more.
func (rc *hookReceiver) release() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.hold != nil {
		close(rc.hold)
		rc.hold = nil
	}
}

// waitArrived waits for a held delivery to reach the receiver.
func (rc *hookReceiver) waitArrived(t *testing.T) string {
	t.Helper()
	select {
	case id := <-rc.arrived:
		return id
	case <-time.After(30 * time.Second):
		t.Fatalf("no delivery reached the receiver within 30 s; it saw %s", rc.summary())
		return ""
	}
}

func (rc *hookReceiver) all() []receipt {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receipt(nil), rc.receipts...)
}

// of returns the receipts of one team's event.
func (rc *hookReceiver) of(team string) []receipt {
	var out []receipt
	for _, r := range rc.all() {
		if r.Team == team {
			out = append(out, r)
		}
	}
	return out
}

// accepted counts the receipts of msgID answered 2xx.
func (rc *hookReceiver) accepted(msgID string) int {
	n := 0
	for _, r := range rc.all() {
		if r.ID == msgID && r.Status >= 200 && r.Status < 300 {
			n++
		}
	}
	return n
}

// refusals counts the deliveries whose signature did not verify.
func (rc *hookReceiver) refusals() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.refused
}

var errNotYet = errors.New("not yet")

// kill ends the process at once (SIGKILL): nothing of its shutdown runs;
// PostgreSQL rolls back its open transactions when its connections drop.
func (n *node) kill(t *testing.T) {
	t.Helper()
	n.signal(t, syscall.SIGKILL)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10 s after SIGKILL", n.name)
	}
}

// summary says what the receiver saw, briefly: each event's team and
// webhook-id with the statuses answered and how often.
func (rc *hookReceiver) summary() string {
	type key struct {
		team, id string
		status   int
	}
	var order []key
	n := map[key]int{}
	for _, r := range rc.all() {
		k := key{r.Team, r.ID, r.Status}
		if n[k] == 0 {
			order = append(order, k)
		}
		n[k]++
	}
	var b strings.Builder
	for _, k := range order {
		fmt.Fprintf(&b, "[%s %s: %d ×%d] ", k.team, k.id, k.status, n[k])
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return b.String()
}
