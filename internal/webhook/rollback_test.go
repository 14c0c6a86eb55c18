package webhook_test

import (
	"context"
	"errors"
	"testing"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/internal/webhook"
)

// TestRollbackSendsNothing: an action that fails after its audit record
// (and so its event) was written in the transaction leaves no event and
// sends nothing; the same action committed is sent.
func TestRollbackSendsNothing(t *testing.T) {
	t.Parallel()
	errLater := errors.New("a later step of the action failed")
	for _, c := range []struct {
		name string
		act  func(ctx context.Context, tx *store.Store, partnerID int64) error
	}{
		{"team created through the people service", func(ctx context.Context, tx *store.Store, partnerID int64) error {
			_, err := people.New(tx, token.NewHasher(testSecret), mail.NewOutbox(tx), "https://portal.test").CreateTeam(ctx, partnerID, "Ghost")
			return err
		}},
		{"audited action recorded directly", func(ctx context.Context, tx *store.Store, partnerID int64) error {
			return audit.Record(ctx, tx, audit.Event{Action: "partner.suspend", PartnerID: partnerID, TargetType: "partner", TargetID: partnerID,
				Target: "Harbor Logistics", Details: map[string]any{"from": "active", "to": "suspended"}})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newHub(t)
			w := newWorld(t, h.srv)
			harbor := w.partnerID(t, "harbor-logistics")
			ep, rc := w.endpoint(t, h, "admin@harbor.test", "/h", []string{webhook.TeamChanged, webhook.PartnerSuspended}, 0)
			err := w.store.InTx(ctx, func(tx *store.Store) error {
				if err := c.act(ctx, tx, harbor); err != nil {
					return err
				}
				// The event was queued in the transaction…
				if n, err := tx.WebhookQueue(ctx, ep.Endpoint.ID); err != nil || n != 1 {
					t.Errorf("queued in the transaction: %d (%v), want 1", n, err)
				}
				return errLater // …which then fails.
			})
			if !errors.Is(err, errLater) {
				t.Fatalf("InTx = %v", err)
			}
			if n := w.count(t, `SELECT count(*) FROM webhook_events`); n != 0 {
				t.Errorf("%d events stored after the rollback", n)
			}
			if n := w.drain(t); n != 0 {
				t.Errorf("drained %d after the rollback", n)
			}
			if calls, _ := rc.stats(); calls != 0 {
				t.Errorf("the receiver was called %d times", calls)
			}
			// Committed, the same action is sent.
			if err := w.store.InTx(ctx, func(tx *store.Store) error { return c.act(ctx, tx, harbor) }); err != nil {
				t.Fatal(err)
			}
			if n := w.drain(t); n != 1 || len(rc.got()) != 1 {
				t.Errorf("committed: drained %d, accepted %d; want 1 and 1", n, len(rc.got()))
			}
		})
	}
}
