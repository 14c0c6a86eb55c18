package webhook_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// emit queues team.changed events named names for partnerID, each in its
// own transaction, as separate actions would.
func (w *world) emit(t testing.TB, partnerID int64, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := w.store.InTx(context.Background(), func(tx *store.Store) error { return teamEvent(context.Background(), tx, partnerID, n) }); err != nil {
			t.Fatal(err)
		}
	}
}

// attempts returns an endpoint's delivery log, oldest first.
func (w *world) attempts(t *testing.T, endpointID int64) []store.WebhookAttempt {
	t.Helper()
	rows, _, err := w.store.WebhookLogPage(context.Background(), endpointID, 0, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}

// teamNames are the team names of what rc accepted, in order.
func teamNames(rc *receiver) []string {
	var out []string
	for _, r := range rc.got() {
		name, _ := at(r.Payload, "data.team.name").(string)
		out = append(out, name)
	}
	return out
}

// TestFailingThriceThenOnce: a receiver that fails three times and then
// answers gets the event once more (four attempts, one accepted), each
// retry only after its back-off, and never again afterwards.
func TestFailingThriceThenOnce(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	w := newWorld(t, h.srv)
	harbor := w.partnerID(t, "harbor-logistics")
	ep, rc := w.endpoint(t, h, "admin@harbor.test", "/flaky", []string{webhook.TeamChanged}, 0)
	rc.answer = func(n int) int {
		if n <= 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	}
	w.emit(t, harbor, "Night shift")
	for i := 1; i <= 4; i++ {
		if n := w.drain(t); n != 1 {
			t.Fatalf("attempt %d: drained %d, want 1", i, n)
		}
		if calls, _ := rc.stats(); calls != i {
			t.Fatalf("after attempt %d the receiver was called %d times", i, calls)
		}
		// Not again before its back-off is over (the first is 2.5 to 5 s).
		w.clock.advance(time.Second)
		if n := w.drain(t); n != 0 && i < 4 {
			t.Fatalf("attempt %d retried %d times before its back-off", i, n)
		}
		w.clock.advance(time.Duration(1<<i) * 5 * time.Second)
	}
	if got := teamNames(rc); !cmp.Equal(got, []string{"Night shift"}) {
		t.Errorf("accepted %v, want the event once", got)
	}
	log := w.attempts(t, ep.Endpoint.ID)
	var statuses []int
	for _, a := range log {
		statuses = append(statuses, *a.Status)
		if a.State != "delivered" {
			t.Errorf("delivery state %q, want delivered", a.State)
		}
	}
	if d := cmp.Diff([]int{503, 503, 503, 204}, statuses); d != "" {
		t.Errorf("log statuses (-want +got):\n%s", d)
	}
	for i := 1; i < len(log); i++ {
		if gap := log[i].At.Sub(log[i-1].At); gap < 2*time.Second {
			t.Errorf("attempt %d came %v after the one before", i+1, gap)
		}
	}
	// Much later, nothing is pending and nothing is sent again.
	w.clock.advance(3 * webhook.Window)
	if n := w.drain(t); n != 0 {
		t.Errorf("drained %d more, a day later", n)
	}
	if q, err := w.store.WebhookQueue(context.Background(), ep.Endpoint.ID); err != nil || q != 0 {
		t.Errorf("queue %d (%v), want 0", q, err)
	}
	if calls, _ := rc.stats(); calls != 4 || len(rc.got()) != 1 {
		t.Errorf("receiver called %d times, accepted %d; want 4 and 1", calls, len(rc.got()))
	}
}

// TestInOrderPerEndpoint: while an endpoint's first event backs off, the
// second (due) waits; once the receiver answers again both arrive, in the
// order they happened. Another endpoint is not held up.
func TestInOrderPerEndpoint(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	w := newWorld(t, h.srv)
	harbor := w.partnerID(t, "harbor-logistics")
	_, rc := w.endpoint(t, h, "admin@harbor.test", "/down", []string{webhook.TeamChanged}, 0)
	_, other := w.endpoint(t, h, "admin@portico.test", "/up", []string{webhook.TeamChanged}, 0)
	rc.answer = func(n int) int {
		if n == 1 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	}
	w.emit(t, harbor, "First", "Second")
	if n := w.drain(t); n != 3 {
		t.Fatalf("drained %d, want 3 (the first to each endpoint, the second to the endpoint up)", n)
	}
	if calls, _ := rc.stats(); calls != 1 {
		t.Fatalf("the failing receiver was called %d times, want once (the second event waits)", calls)
	}
	if got := teamNames(other); !cmp.Equal(got, []string{"First", "Second"}) {
		t.Errorf("the other endpoint got %v", got)
	}
	// The second event is due, the first backs off: nothing goes.
	w.clock.advance(time.Second)
	if n := w.drain(t); n != 0 {
		t.Fatalf("drained %d while the first event backs off", n)
	}
	w.clock.advance(5 * time.Second)
	if n := w.drain(t); n != 2 {
		t.Fatalf("drained %d after the back-off, want 2", n)
	}
	if got := teamNames(rc); !cmp.Equal(got, []string{"First", "Second"}) {
		t.Errorf("received %v, want First then Second", got)
	}
}

// TestConcurrentSendersDeliverOnce: senders of their own on one database,
// draining side by side, deliver every delivery exactly once, each
// endpoint's in order.
func TestConcurrentSendersDeliverOnce(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	w := newWorld(t, h.srv)
	harbor := w.partnerID(t, "harbor-logistics")
	const endpointsN, events, senders = 4, 25, 6
	var rcs []*receiver
	for i := range endpointsN {
		_, rc := w.endpoint(t, h, "admin@harbor.test", "/r"+string(rune('a'+i)), []string{webhook.TeamChanged}, 0)
		rc.delay = time.Millisecond
		rcs = append(rcs, rc)
	}
	var names []string
	for i := range events {
		names = append(names, "Team "+string(rune('A'+i)))
	}
	w.emit(t, harbor, names...)

	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for range senders {
		s := webhook.NewSender(w.store, w.box, h.srv.Client(), mail.NewOutbox(w.store), "https://portal.test", slog.New(slog.DiscardHandler))
		wg.Go(func() {
			for idle := 0; idle < 50; {
				sent, err := s.DeliverNext(ctx)
				if err != nil {
					errs <- err
					return
				}
				if sent {
					idle = 0
					continue
				}
				// The rest may be held by the others, or wait behind what they
				// hold: look again shortly, until the queue stays empty.
				if w.count(t, `SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'`) == 0 {
					idle++
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, rc := range rcs {
		perID := map[string]int{}
		for _, r := range rc.got() {
			perID[r.ID]++
		}
		for id, n := range perID {
			if n != 1 {
				t.Errorf("endpoint %d got %s %d times", i, id, n)
			}
		}
		if len(perID) != events {
			t.Errorf("endpoint %d got %d events, want %d", i, len(perID), events)
		}
		if got := teamNames(rc); !cmp.Equal(got, names) {
			t.Errorf("endpoint %d got them out of order: %v", i, got)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM webhook_deliveries WHERE state <> 'delivered' OR attempts <> 1`); n != 0 {
		t.Errorf("%d deliveries not delivered in exactly one attempt", n)
	}
}

// TestFailingPastTheWindow: an endpoint whose receiver fails for 24 hours
// is disabled, its queued deliveries failed, its owner mailed (a partner
// endpoint's partner admins, a staff endpoint's owner) and the disabling
// audited; later events are not queued for it.
func TestFailingPastTheWindow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, owner string
		mailedTo    []string
	}{
		{"partner endpoint", "admin@harbor.test", []string{"admin@harbor.test"}},
		{"staff endpoint", "am@portico.test", []string{"am@portico.test"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newHub(t)
			w := newWorld(t, h.srv)
			harbor := w.partnerID(t, "harbor-logistics")
			ep, rc := w.endpoint(t, h, c.owner, "/gone", []string{webhook.TeamChanged}, 0)
			rc.answer = func(int) int { return http.StatusInternalServerError }
			w.emit(t, harbor, "First")
			w.drain(t)
			w.emit(t, harbor, "Second") // waits behind the first
			// Retried through the window, then given up.
			for range 60 {
				w.clock.advance(time.Hour)
				w.drain(t)
			}
			e, err := w.store.WebhookEndpointByID(ctx, ep.Endpoint.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			if e.Enabled || e.DisabledAt == nil || !strings.Contains(e.DisabledReason, "24 hours") {
				t.Errorf("endpoint enabled %v, disabled at %v, reason %q", e.Enabled, e.DisabledAt, e.DisabledReason)
			}
			if n := w.count(t, `SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND state <> 'failed'`, e.ID); n != 0 {
				t.Errorf("%d deliveries not failed", n)
			}
			if calls, _ := rc.stats(); calls < 10 || calls > 40 {
				t.Errorf("%d attempts in the window", calls)
			}
			mails, _, err := w.store.ListMails(ctx, 20, 0)
			if err != nil {
				t.Fatal(err)
			}
			var to []string
			for _, m := range mails {
				if m.Subject == "A Portico webhook endpoint was disabled" {
					to = append(to, m.ToEmail)
					if !strings.Contains(m.TextBody, e.URL) || !strings.Contains(m.TextBody, "HTTP 500") {
						t.Errorf("mail says %q", m.TextBody)
					}
				}
			}
			if d := cmp.Diff(c.mailedTo, to); d != "" {
				t.Errorf("mailed (-want +got):\n%s", d)
			}
			if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'webhook.endpoint_disabled' AND target_id = $1`, e.ID); n != 1 {
				t.Errorf("%d audit events of the disabling, want 1", n)
			}
			before := w.count(t, `SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1`, e.ID)
			w.emit(t, harbor, "Third")
			if after := w.count(t, `SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1`, e.ID); after != before {
				t.Errorf("queued %d deliveries for the disabled endpoint", after-before)
			}
			if len(rc.got()) != 0 {
				t.Errorf("accepted %d", len(rc.got()))
			}
		})
	}
}
