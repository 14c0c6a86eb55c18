package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestPartnersToRemind: the reminder batch holds the partners whose
// reminder is due and unsent only, so partners reminded already never
// crowd out the ones still waiting.
func TestPartnersToRemind(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx := context.Background()
	today := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO partners (name, slug, end_on) VALUES
			('Reminded at 30', 'a', '2026-12-25'), ('Due at 7', 'b', '2026-12-10'), ('Due at 30', 'c', '2026-12-30'),
			('Too far', 'd', '2027-01-20'), ('Today', 'e', '2026-12-05'), ('Reminded at 7', 'f', '2026-12-08'),
			('Moved since', 'g', '2026-12-20')`,
		`INSERT INTO partner_end_reminders (partner_id, end_on, days_before)
		 SELECT id, end_on, 30 FROM partners WHERE slug IN ('a', 'b')
		 UNION ALL SELECT id, end_on, 7 FROM partners WHERE slug = 'f'
		 UNION ALL SELECT id, '2026-12-31', 30 FROM partners WHERE slug = 'g'`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	es, err := store.New(db).PartnersToRemind(ctx, today, []int{30, 7}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Name)
	}
	if diff := cmp.Diff([]string{"Due at 7", "Moved since", "Due at 30"}, got); diff != "" {
		t.Errorf("partners to remind (-want +got):\n%s", diff)
	}
}
