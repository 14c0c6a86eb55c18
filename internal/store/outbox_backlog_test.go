package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
)

// TestOutboxBacklog counts the mails waiting (pending or being sent), not
// the sent or failed ones, and stops at its limit.
func TestOutboxBacklog(t *testing.T) {
	t.Parallel()
	st := pgtest.Store(t)
	ctx := context.Background()
	enqueueMails(t, st, 5)
	claimed, err := st.ClaimMails(ctx, 3, time.Minute) // three 'sending'
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claimed %d mails, %v", len(claimed), err)
	}
	if err := st.MarkMailSent(ctx, claimed[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkMailFailed(ctx, claimed[1].ID, "refused", time.Now(), true, nil); err != nil {
		t.Fatal(err)
	}
	// Waiting: one still being sent, two pending.
	for _, c := range []struct{ limit, want int }{{100, 3}, {3, 3}, {2, 2}} {
		got, err := st.OutboxBacklog(ctx, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("OutboxBacklog(limit %d) = %d, want %d", c.limit, got, c.want)
		}
	}
}
