package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestOwnTokenSummary: a user's open personal tokens expiring before the
// time given, soonest first and bounded (never a revoked, expired,
// console or another user's token), whether they hold an open token and
// whether any of theirs was ever used.
func TestOwnTokenSummary(t *testing.T) {
	t.Parallel()
	st := seededStore(t)
	ctx := context.Background()
	execAll(t, st, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending, console, revoked_at, last_used_at)
		SELECT u.id, u.partner_id, v.name, 'sandbox', decode(md5(v.name), 'hex'), 'ptc_…abcd', '{fleet/fleet:read}',
			now() + v.days * interval '1 day', v.pending, v.console, CASE WHEN v.revoked THEN now() END, CASE WHEN v.used THEN now() END
		FROM (VALUES ('dev@harbor.test', 'in-5-days', 5, false, false, false, false),
		             ('dev@harbor.test', 'in-2-days', 2, false, false, false, false),
		             ('dev@harbor.test', 'pending-in-3', 3, true, false, false, false),
		             ('dev@harbor.test', 'in-40-days', 40, false, false, false, false),
		             ('dev@harbor.test', 'revoked-in-1', 1, false, false, true, false),
		             ('dev@harbor.test', 'expired', -1, false, false, false, true),
		             ('dev@harbor.test', 'console', 0.01, false, true, false, false),
		             ('admin@harbor.test', 'console-used', 0.01, false, true, false, true),
		             ('dev@crane.test', 'crane-in-1', 1, false, false, false, false)) v(email, name, days, pending, console, revoked, used)
		JOIN users u ON u.email = v.email`)
	ids := map[string]int64{}
	for _, email := range []string{"dev@harbor.test", "admin@harbor.test", "admin@crane.test"} {
		u, err := st.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		ids[email] = u.ID
	}
	soon := time.Now().Add(14 * 24 * time.Hour)
	for _, tc := range []struct {
		who              string
		limit            int
		want             []string
		hasOpen, evrUsed bool
	}{
		{"dev@harbor.test", 10, []string{"in-2-days", "pending-in-3", "in-5-days"}, true, true},
		{"dev@harbor.test", 2, []string{"in-2-days", "pending-in-3"}, true, true},
		// Only a console token, used: never an open personal token.
		{"admin@harbor.test", 10, nil, false, true},
		{"admin@crane.test", 10, nil, false, false},
	} {
		got, err := st.OwnTokenSummary(ctx, ids[tc.who], soon, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range got.Expiring {
			names = append(names, e.Name)
		}
		if diff := cmp.Diff(tc.want, names); diff != "" {
			t.Errorf("%s, limit %d: expiring (-want +got):\n%s", tc.who, tc.limit, diff)
		}
		if got.HasOpen != tc.hasOpen || got.EverUsed != tc.evrUsed {
			t.Errorf("%s: open %v, used %v; want %v, %v", tc.who, got.HasOpen, got.EverUsed, tc.hasOpen, tc.evrUsed)
		}
	}
}

// TestMembersWithoutTeam: a partner's active members in no team, by name,
// bounded; never a removed member or another partner's.
func TestMembersWithoutTeam(t *testing.T) {
	t.Parallel()
	st := seededStore(t)
	ctx := context.Background()
	execAll(t, st, `
		INSERT INTO users (email, name, role, partner_id, status)
		SELECT v.email, v.name, 'developer', p.id, v.status
		FROM (VALUES ('harbor-logistics', 'bo@harbor.test', 'Bo Harbor', 'active'), ('harbor-logistics', 'gone@harbor.test', 'Gone Harbor', 'removed'),
		             ('harbor-logistics', 'cy@harbor.test', 'cy harbor', 'active'), ('crane-works', 'al@crane.test', 'Al Crane', 'active')) v(slug, email, name, status)
		JOIN partners p ON p.slug = v.slug;
		INSERT INTO team_memberships (team_id, user_id)
		SELECT t.id, u.id FROM teams t, users u WHERE t.name = 'Integrations' AND u.email = 'cy@harbor.test'`)
	harbor := partnerOf(t, st, "admin@harbor.test")
	for _, tc := range []struct {
		limit int
		want  []string
	}{
		// Ada is in no team, Dev and Cy are in Integrations.
		{10, []string{"admin@harbor.test", "bo@harbor.test"}},
		{1, []string{"admin@harbor.test"}},
	} {
		ms, err := st.MembersWithoutTeam(ctx, harbor, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Email)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", tc.limit, diff)
		}
	}
}

// TestRecentGrants: the newest open grants of every partner, newest first,
// bounded; a revoked grant is left out.
func TestRecentGrants(t *testing.T) {
	t.Parallel()
	st := seededStore(t)
	ctx := context.Background()
	// The demo grants Port operations to Harbor's team, then Fleet basics
	// to Dan Crane; then Fleet basics to Dev Harbor (revoked) and Port
	// operations to Cleo Crane.
	execAll(t, st, `
		INSERT INTO grants (access_group_id, partner_id, user_id, revoked_at)
		SELECT g.id, u.partner_id, u.id, CASE WHEN u.email = 'dev@harbor.test' THEN now() END
		FROM (VALUES ('Fleet basics', 'dev@harbor.test', 1), ('Port operations', 'admin@crane.test', 2)) v(grp, email, n)
		JOIN access_groups g ON g.name = v.grp JOIN users u ON u.email = v.email ORDER BY v.n`)
	for _, tc := range []struct {
		limit int
		want  []string
	}{
		{10, []string{"Port operations to Crane Works", "Fleet basics to Crane Works", "Port operations to Harbor Logistics"}},
		{2, []string{"Port operations to Crane Works", "Fleet basics to Crane Works"}},
	} {
		rs, err := st.RecentGrants(ctx, 0, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.GroupName+" to "+r.PartnerName)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", tc.limit, diff)
		}
	}
}
