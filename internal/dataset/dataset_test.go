package dataset_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/dataset"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestGenerateSmall generates a small data set and checks that every count
// comes out as asked, the big partner has its shape, the accounts sign in
// with the demo password, and a second run refuses.
func TestGenerateSmall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	spec := dataset.Scaled(0.01)
	spec.Calls, spec.Days = 2345, 3
	var progress bytes.Buffer
	res, err := dataset.Generate(ctx, db, spec, &progress)
	if err != nil {
		t.Fatalf("generate: %v\n%s", err, progress.String())
	}
	for _, step := range []string{"partners", "users", "tokens", "grants", "audit 1/1", "calls 3/3", "total"} {
		if !strings.Contains(progress.String(), step) {
			t.Errorf("progress does not mention %q:\n%s", step, progress.String())
		}
	}

	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.GetContext(ctx, &n, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	big := res.BigPartnerID
	generated := `(SELECT id FROM partners WHERE slug = 'big-partner' OR slug LIKE 'gen-partner-%')`
	got := map[string]int{
		"partners":      count(`SELECT count(*) FROM partners WHERE id IN ` + generated),
		"big members":   count(`SELECT count(*) FROM users WHERE partner_id = $1`, big),
		"other members": count(`SELECT count(*) FROM users WHERE partner_id IN `+generated+` AND partner_id <> $1`, big),
		"big teams":     count(`SELECT count(*) FROM teams WHERE partner_id = $1`, big),
		"largest team":  count(`SELECT count(*) FROM team_memberships WHERE team_id = $1`, res.BigTeamID),
		"largest team (by count)": count(`SELECT max(n) FROM (SELECT count(*) AS n FROM team_memberships m JOIN teams t ON t.id = m.team_id
			WHERE t.partner_id = $1 GROUP BY t.id) x`, big),
		"members in no team": count(`SELECT count(*) FROM users u WHERE partner_id = $1
			AND NOT EXISTS (SELECT 1 FROM team_memberships m WHERE m.user_id = u.id)`, big),
		"invitations":            count(`SELECT count(*) FROM invitations WHERE partner_id = $1 AND accepted_at IS NULL AND cancelled_at IS NULL`, big),
		"account managers":       count(`SELECT count(*) FROM users WHERE role = 'account_manager'`),
		"access groups":          count(`SELECT count(*) FROM access_groups WHERE name LIKE 'Generated group %'`),
		"fleet revisions":        count(`SELECT count(*) FROM api_revisions r JOIN apis a ON a.id = r.api_id WHERE a.slug = $1`, res.APISlug),
		"grants":                 count(`SELECT count(*) FROM grants WHERE revoked_at IS NULL AND partner_id IN ` + generated),
		"big grants":             count(`SELECT count(*) FROM grants WHERE revoked_at IS NULL AND partner_id = $1`, big),
		"tokens":                 count(`SELECT count(*) FROM tokens WHERE partner_id IN ` + generated),
		"big tokens":             count(`SELECT count(*) FROM tokens WHERE partner_id = $1`, big),
		"developer's tokens":     count(`SELECT count(*) FROM tokens WHERE user_id = $1`, res.DeveloperID),
		"mails":                  count(`SELECT count(*) FROM outbox`),
		"events":                 count(`SELECT count(*) FROM audit_events WHERE request_id LIKE 'gen-ev-%'`),
		"calls":                  count(`SELECT count(*) FROM api_calls`),
		"calls in rollups":       count(`SELECT sum(count) FROM api_usage_minutes`),
		"calls in histograms":    count(`SELECT sum(b) FROM api_usage_minutes, unnest(latency_buckets) b`),
		"calls by the hour":      count(`SELECT sum(calls) FROM api_usage_hours`),
		"calls by the day":       count(`SELECT sum(calls) FROM api_usage_days`),
		"calls by token-day":     count(`SELECT sum(calls) FROM api_usage_token_days`),
		"calls by partner-day":   count(`SELECT sum(calls) FROM api_usage_partner_days`),
		"calls by operation-day": count(`SELECT sum(calls) FROM api_usage_operation_days`),
	}
	want := map[string]int{
		"partners": spec.Partners, "big members": spec.BigMembers, "other members": (spec.Partners - 1) * spec.MembersPerPartner,
		"big teams": spec.BigTeams, "largest team": spec.BigTeam, "largest team (by count)": spec.BigTeam, "members in no team": 0,
		"invitations": spec.Invitations, "account managers": spec.Staff + 1, "access groups": spec.AccessGroups,
		"fleet revisions": spec.Revisions, "grants": spec.Grants, "big grants": spec.BigGrants,
		"tokens": spec.Tokens, "big tokens": spec.BigTokens, "developer's tokens": spec.OwnTokens,
		"mails": spec.Mails, "events": spec.Events, "calls": spec.Calls, "calls in rollups": spec.Calls, "calls in histograms": spec.Calls,
		"calls by the hour": spec.Calls, "calls by the day": spec.Calls, "calls by token-day": spec.Calls,
		"calls by partner-day": spec.Calls, "calls by operation-day": spec.Calls,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}

	// Tokens of every state, calls spread over the days asked, rollups smaller than calls.
	var states []string
	if err := db.SelectContext(ctx, &states, `
		SELECT DISTINCT CASE WHEN pending THEN 'pending' WHEN revoked_at IS NOT NULL THEN 'revoked'
			WHEN expires_at < now() THEN 'expired' ELSE 'open' END AS s FROM tokens WHERE partner_id = $1 ORDER BY s`, big); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"expired", "open", "pending", "revoked"}, states); diff != "" {
		t.Errorf("token states (-want +got):\n%s", diff)
	}
	if n := count(`SELECT count(DISTINCT date_trunc('day', at - (SELECT min(at) FROM api_calls))) FROM api_calls`); n != spec.Days {
		t.Errorf("calls span %d days, want %d", n, spec.Days)
	}
	// The span was taken when the calls were made, seconds ago: the oldest
	// minute may have slipped past it since, not more.
	if n := count(`SELECT count(*) FROM api_calls WHERE at > now() OR at < now() - make_interval(days => $1) - interval '10 minutes'`, spec.Days); n != 0 {
		t.Errorf("%d calls outside the last %d days", n, spec.Days)
	}
	if rollups := count(`SELECT count(*) FROM api_usage_minutes`); rollups > spec.Calls/3 {
		t.Errorf("%d rollup rows for %d calls: the calls do not come in bursts", rollups, spec.Calls)
	}
	if n := count(`SELECT count(*) FROM audit_events e JOIN users u ON u.id = e.actor_id WHERE u.partner_id IS DISTINCT FROM e.partner_id`); n != 0 {
		t.Errorf("%d audit events whose actor is not of the event's partner", n)
	}

	// One account of each role signs in with the demo password.
	for _, email := range []string{dataset.AdminEmail, dataset.AccountManagerEmail, dataset.PartnerAdminEmail, dataset.DeveloperEmail} {
		var hash string
		if err := db.GetContext(ctx, &hash, `SELECT coalesce(password_hash, '') FROM users WHERE email = $1 AND status = 'active'`, email); err != nil {
			t.Fatalf("%s: %v", email, err)
		}
		if err := password.Verify(hash, demo.Password); err != nil {
			t.Errorf("%s does not sign in with the demo password (%v)", email, err)
		}
	}

	again, err := dataset.Generate(ctx, db, spec, nil)
	if !errors.Is(err, dataset.ErrExists) || again != nil {
		t.Errorf("second Generate = %v, %v; want ErrExists", again, err)
	}
	if n := count(`SELECT count(*) FROM partners WHERE id IN ` + generated); n != spec.Partners {
		t.Errorf("after the refused second run: %d partners, want %d", n, spec.Partners)
	}
	looked, err := dataset.Lookup(ctx, db)
	if err != nil || *looked != *res {
		t.Errorf("Lookup = %+v, %v; want %+v", looked, err, res)
	}
}

func TestSpecCheck(t *testing.T) {
	t.Parallel()
	for _, s := range []dataset.Spec{dataset.Full(), dataset.Scaled(0.02), dataset.Scaled(0.001), dataset.Uniform(3), dataset.Uniform(60)} {
		if err := s.Check(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	bad := dataset.Uniform(3)
	bad.BigTeam = bad.BigMembers + 1
	if err := bad.Check(); err == nil {
		t.Error("a team larger than the partner passes the check")
	}
}
