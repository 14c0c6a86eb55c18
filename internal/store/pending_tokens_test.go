package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
)

// TestPendingTokens: among many tokens of a partner, exactly the ones
// waiting for approval (not revoked, not expired, not console tokens, of
// this partner) are listed, newest first, page by page, with their count.
func TestPendingTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	// name, partner's user, pending, revoked, expired, console, age in minutes
	_, err := st.DB().ExecContext(ctx, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, pending, revoked_at, console)
		SELECT u.id, u.partner_id, v.name, 'live', decode(md5(v.name), 'hex'), 'ptc_live_…abcd', '{fleet/fleet:read}',
		       now() - v.age * interval '1 minute',
		       CASE WHEN v.expired THEN now() - interval '1 hour' ELSE now() + interval '30 days' END,
		       v.pending, CASE WHEN v.revoked THEN now() END, v.console
		FROM (VALUES
			('wait-1', 'dev@harbor.test', true, false, false, false, 30),
			('wait-2', 'admin@harbor.test', true, false, false, false, 20),
			('wait-3', 'dev@harbor.test', true, false, false, false, 10),
			('revoked', 'dev@harbor.test', true, true, false, false, 5),
			('expired', 'dev@harbor.test', true, false, true, false, 5),
			('console', 'dev@harbor.test', true, false, false, true, 5),
			('crane', 'dev@crane.test', true, false, false, false, 5)
		) AS v(name, email, pending, revoked, expired, console, age)
		JOIN users u ON u.email = v.email`)
	if err != nil {
		t.Fatal(err)
	}
	// And many that are not pending, so a wrong filter would show.
	if _, err := st.DB().ExecContext(ctx, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT u.id, u.partner_id, 'open-' || i, 'live', decode(md5('open-' || i), 'hex'), 'ptc_live_…abcd', '{fleet/fleet:read}', now() + interval '30 days'
		FROM users u, generate_series(1, 450) i WHERE u.email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	var harbor int64
	if err := st.DB().GetContext(ctx, &harbor, `SELECT partner_id FROM users WHERE email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit, offset int
		want          []string
	}{
		{50, 0, []string{"wait-3", "wait-2", "wait-1"}},
		{2, 0, []string{"wait-3", "wait-2"}},
		{2, 2, []string{"wait-1"}},
		{2, 4, nil},
	} {
		ts, n, err := st.PendingTokens(ctx, harbor, tc.limit, tc.offset)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tk := range ts {
			got = append(got, tk.Name)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || n != 3 {
			t.Errorf("PendingTokens(limit %d, offset %d) = %d in all (want 3); names (-want +got):\n%s", tc.limit, tc.offset, n, diff)
		}
	}
}
