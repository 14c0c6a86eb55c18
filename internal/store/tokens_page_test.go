package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// addTokens inserts n tokens of the user with ownerEmail, named
// "<prefix> NNN" (NNN from 0), in a mix of every state: created a minute
// apart two by two (so equal times need the id to order them), every 5th
// expired, every 7th revoked, every 4th a pending live token, every 11th a
// console token (never listed).
func addTokens(t *testing.T, st *store.Store, ownerEmail, prefix string, n int) {
	t.Helper()
	if _, err := st.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, pending, revoked_at, console)
		SELECT u.id, u.partner_id, $2 || ' ' || lpad(i::text, 3, '0'), CASE WHEN i % 4 = 0 THEN 'live' ELSE 'sandbox' END,
		       decode(md5($2 || i || u.email), 'hex'), 'ptc_sbx_…abcd', '{fleet/fleet:read}',
		       date_trunc('second', now()) - (i / 2) * interval '1 minute',
		       CASE WHEN i % 5 = 0 THEN now() - interval '1 hour' ELSE now() + interval '30 days' END,
		       i % 4 = 0, CASE WHEN i % 7 = 0 THEN now() END, i % 11 = 0
		FROM users u, generate_series(0, $3 - 1) i WHERE u.email = $1`, ownerEmail, prefix, n); err != nil {
		t.Fatalf("add tokens of %s: %v", ownerEmail, err)
	}
}

func userOf(t *testing.T, st *store.Store, email string) int64 {
	t.Helper()
	var id int64
	if err := st.DB().Get(&id, `SELECT id FROM users WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
	return id
}

// inFilter is the meaning of each filter, for the tests: what a reader of
// the list expects to find under it.
func inFilter(status string, tk store.Token, now time.Time) bool {
	switch status {
	case store.TokensOpen:
		return tk.RevokedAt == nil && tk.ExpiresAt.After(now)
	case store.TokensPending:
		return tk.RevokedAt == nil && tk.ExpiresAt.After(now) && tk.Pending
	case store.TokensExpired:
		return tk.RevokedAt == nil && !tk.ExpiresAt.After(now)
	case store.TokensRevoked:
		return tk.RevokedAt != nil
	}
	return true
}

// filtered is every listed (non-console) token of the scope in the
// filter, newest first, straight from the table.
func filtered(t *testing.T, st *store.Store, column string, id int64, status string) []store.Token {
	t.Helper()
	var ts []store.Token
	if err := st.DB().Select(&ts, `SELECT t.id, t.user_id, t.partner_id, t.name, t.created_at, t.expires_at, t.pending, t.revoked_at
		FROM tokens t WHERE `+column+` = $1 AND NOT t.console ORDER BY t.created_at DESC, t.id DESC`, id); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	return slices.DeleteFunc(ts, func(tk store.Token) bool { return !inFilter(status, tk, now) })
}

func names(ts []store.Token) []string {
	out := []string{}
	for _, tk := range ts {
		out = append(out, tk.Name)
	}
	return out
}

// before reports whether a sorts before b in the token lists (newest
// first, then highest id).
func before(a, b store.Token) bool {
	return a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID
}

// stateOf is the SQL of a token in the state the filter lists.
var stateOf = map[string]string{
	store.TokensOpen:    `false, NULL, now() + interval '30 days'`,
	store.TokensPending: `true, NULL, now() + interval '30 days'`,
	store.TokensExpired: `false, NULL, now() - interval '1 minute'`,
	store.TokensRevoked: `false, now(), now() + interval '30 days'`,
	store.TokensAll:     `false, NULL, now() + interval '30 days'`,
}

// TestTokensPageEveryTokenOnce: walking each filter of a partner's and of a
// user's list page by page serves every token of that filter exactly once,
// newest first, even when tokens are created and revoked between two
// pages. The first pages are the filter as it was; the later ones continue
// after the last token read with the filter as it is now: a new token
// (newest, so on pages already read) is not served, a token revoked that
// was still ahead leaves the open filter and shows in the revoked one, a
// token revoked after it was served is not served again, and a token
// older than the cursor is served. Another partner's tokens, another
// user's on a user's list and console tokens never show.
func TestTokensPageEveryTokenOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	harbor := partnerOf(t, st, "admin@harbor.test")
	dev := userOf(t, st, "dev@harbor.test")
	addTokens(t, st, "dev@harbor.test", "dev", 100)
	addTokens(t, st, "admin@harbor.test", "admin", 30)
	addTokens(t, st, "dev@crane.test", "crane", 30)
	const limit = 4
	for _, sc := range []struct {
		name, column string
		id           int64
		page         func(store.TokenQuery) ([]store.Token, bool, error)
	}{
		{"partner", "t.partner_id", harbor, func(q store.TokenQuery) ([]store.Token, bool, error) {
			return st.PartnerTokensPage(ctx, harbor, q)
		}},
		{"user", "t.user_id", dev, func(q store.TokenQuery) ([]store.Token, bool, error) {
			return st.UserTokensPage(ctx, dev, q)
		}},
	} {
		for _, status := range store.TokenStatuses {
			// Sequential: each run changes tokens the next ones list.
			t.Run(sc.name+"/"+status, func(t *testing.T) {
				start := filtered(t, st, sc.column, sc.id, status)
				if len(start) < 3*limit {
					t.Fatalf("%d tokens under %s: the test needs more", len(start), status)
				}
				var got []store.Token
				var after *store.Key
				var changed struct{ aheadRevoked, servedRevoked store.Token }
				for page := 0; ; page++ {
					ts, more, err := sc.page(store.TokenQuery{ListQuery: store.ListQuery{After: after, Limit: limit}, Status: status})
					if err != nil {
						t.Fatal(err)
					}
					if more && len(ts) != limit || len(ts) > limit {
						t.Fatalf("page %d holds %d tokens and says more follow", page, len(ts))
					}
					got = append(got, ts...)
					if page == 1 {
						changed = changeBetweenPages(t, st, dev, sc.name+"/"+status, stateOf[status], got)
					}
					if !more {
						break
					}
					k := ts[len(ts)-1].Key()
					after = &k
					if page > 100 {
						t.Fatal("no last page")
					}
				}
				// Pages 1 and 2: the filter as it was; then the filter as
				// it is now, after the last token of page 2.
				cursor := got[2*limit-1]
				want := names(start[:2*limit])
				for _, tk := range filtered(t, st, sc.column, sc.id, status) {
					if before(cursor, tk) {
						want = append(want, tk.Name)
					}
				}
				if diff := cmp.Diff(want, names(got)); diff != "" {
					t.Errorf("tokens across pages (-want +got):\n%s", diff)
				}
				seen := map[int64]bool{}
				for i, tk := range got {
					if seen[tk.ID] {
						t.Errorf("%s served twice", tk.Name)
					}
					seen[tk.ID] = true
					if i > 0 && !before(got[i-1], tk) {
						t.Errorf("%s after %s: not newest first", tk.Name, got[i-1].Name)
					}
					if tk.PartnerID != harbor || sc.name == "user" && tk.UserID != dev {
						t.Errorf("%s of partner %d, user %d is listed", tk.Name, tk.PartnerID, tk.UserID)
					}
				}
				gotNames := names(got)
				if slices.Contains(gotNames, "new "+sc.name+"/"+status) {
					t.Error("a token created between two pages (newest, so on pages already read) was served")
				}
				if !slices.Contains(gotNames, "late "+sc.name+"/"+status) {
					t.Error("a token older than the cursor, created between two pages, was not served")
				}
				ahead := slices.Contains(gotNames, changed.aheadRevoked.Name)
				switch status {
				case store.TokensOpen, store.TokensPending:
					if ahead {
						t.Errorf("%s, revoked before its page, is listed under %s", changed.aheadRevoked.Name, status)
					}
				case store.TokensRevoked, store.TokensAll:
					if !ahead {
						t.Errorf("%s, revoked before its page, is not listed under %s", changed.aheadRevoked.Name, status)
					}
				}
			})
		}
	}
}

// changeBetweenPages, called with the tokens served so far: creates two
// tokens of user dev in the state of the filter (sql), the newest of all
// and one older than every other, named "new <run>" and "late <run>",
// and revokes dev's last open token not served yet and the first open one
// served.
func changeBetweenPages(t *testing.T, st *store.Store, dev int64, run, state string, served []store.Token) (out struct{ aheadRevoked, servedRevoked store.Token }) {
	t.Helper()
	for _, q := range []struct{ name, created string }{{"new " + run, "now()"}, {"late " + run, "now() - interval '10 years'"}} {
		if _, err := st.DB().Exec(`
			INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, pending, revoked_at, expires_at)
			SELECT id, partner_id, $1, 'live', decode(md5($1), 'hex'), 'ptc_live_…abcd', '{fleet/fleet:read}', `+q.created+`, `+state+`
			FROM users WHERE id = $2`, q.name, dev); err != nil {
			t.Fatal(err)
		}
	}
	var open []store.Token
	if err := st.DB().Select(&open, `SELECT id, name, created_at FROM tokens
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() AND NOT console
		ORDER BY created_at DESC, id DESC`, dev); err != nil {
		t.Fatal(err)
	}
	cursor := served[len(served)-1]
	for i := len(open) - 1; i >= 0 && out.aheadRevoked.ID == 0; i-- {
		if before(cursor, open[i]) && open[i].Name != "late "+run {
			out.aheadRevoked = open[i]
		}
	}
	for _, tk := range served {
		if slices.ContainsFunc(open, func(o store.Token) bool { return o.ID == tk.ID }) {
			out.servedRevoked = tk
			break
		}
	}
	if out.aheadRevoked.ID == 0 {
		t.Fatal("no open token ahead of the cursor to revoke")
	}
	for _, tk := range []store.Token{out.aheadRevoked, out.servedRevoked} {
		if tk.ID == 0 {
			continue
		}
		if err := st.RevokeToken(context.Background(), tk.ID, nil, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestTokensPageSearch: the search matches the token's name and, on a
// partner's list, its owner's name or email, ignoring case, taking % and _
// literally, within the filter, and never another partner's or (on a
// user's list) another user's tokens.
func TestTokensPageSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	harbor := partnerOf(t, st, "admin@harbor.test")
	dev := userOf(t, st, "dev@harbor.test")
	if _, err := st.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, revoked_at)
		SELECT u.id, u.partner_id, v.name, 'sandbox', decode(md5(v.name), 'hex'), 'ptc_sbx_…abcd', '{fleet/fleet:read}',
		       now() + interval '30 days', CASE WHEN v.revoked THEN now() END
		FROM (VALUES ('Deploy CI', 'dev@harbor.test', false), ('deploy staging', 'admin@harbor.test', false),
		             ('100% coverage', 'dev@harbor.test', false), ('snake_case', 'dev@harbor.test', false),
		             ('snakeXcase', 'dev@harbor.test', false), ('old deploy', 'dev@harbor.test', true),
		             ('Deploy crane', 'dev@crane.test', false), ('100% crane', 'dev@crane.test', false)) v(name, email, revoked)
		JOIN users u ON u.email = v.email`); err != nil {
		t.Fatal(err)
	}
	var devName, adminName string
	if err := st.DB().Get(&devName, `SELECT name FROM users WHERE id = $1`, dev); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().Get(&adminName, `SELECT name FROM users WHERE email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	sorted := func(ts []store.Token) []string {
		out := names(ts)
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		search, status string
		partner, user  []string
	}{
		{"DEPLOY", "", []string{"Deploy CI", "deploy staging"}, []string{"Deploy CI"}},
		{"deploy", store.TokensAll, []string{"Deploy CI", "deploy staging", "old deploy"}, []string{"Deploy CI", "old deploy"}},
		{"deploy", store.TokensRevoked, []string{"old deploy"}, []string{"old deploy"}},
		{"%", "", []string{"100% coverage"}, []string{"100% coverage"}},
		{"e_c", "", []string{"snake_case"}, []string{"snake_case"}},
		{"  snake_  ", "", []string{"snake_case"}, []string{"snake_case"}},
		// The owner: on the partner's list only.
		{"ADMIN@HARBOR", "", []string{"deploy staging"}, []string{}},
		{adminName, "", []string{"deploy staging"}, []string{}},
		{"crane", store.TokensAll, []string{}, []string{}},
		{"nothing like it", "", []string{}, []string{}},
	} {
		t.Run(tc.search+"/"+tc.status, func(t *testing.T) {
			q := store.TokenQuery{ListQuery: store.ListQuery{Search: tc.search, Limit: 50}, Status: tc.status}
			ts, more, err := st.PartnerTokensPage(ctx, harbor, q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.partner, sorted(ts)); diff != "" || more {
				t.Errorf("partner's list, search %q (-want +got):\n%s more=%v", tc.search, diff, more)
			}
			ts, more, err = st.UserTokensPage(ctx, dev, q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.user, sorted(ts)); diff != "" || more {
				t.Errorf("user's list, search %q (-want +got):\n%s more=%v", tc.search, diff, more)
			}
		})
	}
	// The developer's own name matches nothing on their own list: there the
	// search is the token's name only.
	if ts, _, err := st.UserTokensPage(ctx, dev, store.TokenQuery{ListQuery: store.ListQuery{Search: devName}}); err != nil || len(ts) != 0 {
		t.Errorf("own list searched by the owner's name = %v (%v), want none", names(ts), err)
	}
	if _, _, err := st.PartnerTokensPage(ctx, harbor, store.TokenQuery{Status: "unknown"}); err == nil {
		t.Error("an unknown filter was read")
	}
}

// TestPendingTokens: among many tokens of a partner, exactly the ones
// waiting for approval (not revoked, not expired, not console tokens, of
// this partner) are under the pending filter, newest first, page by page;
// the count says how many, up to its bound.
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
	harbor := partnerOf(t, st, "dev@harbor.test")
	var got []string
	var after *store.Key
	for {
		ts, more, err := st.PartnerTokensPage(ctx, harbor, store.TokenQuery{ListQuery: store.ListQuery{After: after, Limit: 2}, Status: store.TokensPending})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, names(ts)...)
		if !more {
			break
		}
		k := ts[len(ts)-1].Key()
		after = &k
	}
	if diff := cmp.Diff([]string{"wait-3", "wait-2", "wait-1"}, got); diff != "" {
		t.Errorf("pending tokens in pages of 2 (-want +got):\n%s", diff)
	}
	if n, err := st.CountPendingTokens(ctx, harbor); err != nil || n != 3 {
		t.Errorf("CountPendingTokens = %d (%v), want 3", n, err)
	}
	// Past the bound the count stops at the bound + 1.
	if _, err := st.DB().ExecContext(ctx, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at, pending)
		SELECT u.id, u.partner_id, 'many-' || i, 'live', decode(md5('many-' || i), 'hex'), 'ptc_live_…abcd', '{fleet/fleet:read}', now() + interval '30 days', true
		FROM users u, generate_series(1, $1) i WHERE u.email = 'dev@harbor.test'`, store.PendingCountLimit); err != nil {
		t.Fatal(err)
	}
	if n, err := st.CountPendingTokens(ctx, harbor); err != nil || n != store.PendingCountLimit+1 {
		t.Errorf("CountPendingTokens past the bound = %d (%v), want %d", n, err, store.PendingCountLimit+1)
	}
}

// TestTokenCursors: each token list reads its own cursors only.
func TestTokenCursors(t *testing.T) {
	t.Parallel()
	k := store.TimeKey(time.Now(), 9)
	if got, ok := store.OwnTokensList.Parse(store.OwnTokensList.Cursor(k)); !ok || *got != k {
		t.Errorf("own cursor came back as %v, %v", got, ok)
	}
	if got, ok := store.PartnerTokensList.Parse(store.PartnerTokensList.Cursor(k)); !ok || *got != k {
		t.Errorf("partner cursor came back as %v, %v", got, ok)
	}
	for name, ok := range map[string]bool{
		"own as partner's":    func() bool { _, ok := store.PartnerTokensList.Parse(store.OwnTokensList.Cursor(k)); return ok }(),
		"partner's as own":    func() bool { _, ok := store.OwnTokensList.Parse(store.PartnerTokensList.Cursor(k)); return ok }(),
		"members' as own":     func() bool { _, ok := store.OwnTokensList.Parse(store.MembersList.Cursor(k)); return ok }(),
		"not a time":          func() bool { _, ok := store.OwnTokensList.Parse(store.Key{Sort: "x", ID: 1}.Cursor("t")); return ok }(),
		"members' as partner": func() bool { _, ok := store.PartnerTokensList.Parse(store.MembersList.Cursor(k)); return ok }(),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}
