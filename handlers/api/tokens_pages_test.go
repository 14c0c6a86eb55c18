package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// listedToken is a token as the lists answer it.
type listedToken struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Owner  struct {
		Email string `json:"email"`
	} `json:"owner"`
}

// addTokens inserts n sandbox tokens of the user with this email named
// "<prefix> NN", a minute apart (1 the newest), revoked when revoked.
func (e *env) addTokens(email, prefix string, n int, revoked bool) {
	e.t.Helper()
	if _, err := e.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, revoked_at)
		SELECT u.id, u.partner_id, $2 || ' ' || lpad(i::text, 2, '0'), 'sandbox', decode(md5($2 || i || u.email), 'hex'), 'ptc_sbx_…abcd',
		       '{fleet/fleet:read}', now() - i * interval '1 minute', now() + interval '30 days', CASE WHEN $4 THEN now() END
		FROM users u, generate_series(1, $3) i WHERE u.email = $1`, email, prefix, n, revoked); err != nil {
		e.t.Fatal(err)
	}
}

// walkTokens follows next_cursor from path (which has a query) and
// returns every token served.
func (e *env) walkTokens(cookie, path string) []listedToken {
	e.t.Helper()
	var out []listedToken
	next := path
	for range 50 {
		rec := e.call(cookie, http.MethodGet, next, "")
		want(e.t, "GET "+next, rec, http.StatusOK, "")
		page := decodeBody[list[listedToken]](e.t, rec)
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out
		}
		next = path + "&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	e.t.Fatal("no last page")
	return nil
}

func tokenNames(ts []listedToken) []string {
	out := []string{}
	for _, tk := range ts {
		out = append(out, tk.Name)
	}
	return out
}

// TestTokenListsKeysetPages: both token lists page newest first in the
// database, open tokens unless status says otherwise: every token of the
// filter once across pages, including a token revoked between two
// requests (gone from open, not repeated) and none of another partner's,
// nor (on the caller's own list) a colleague's.
func TestTokenListsKeysetPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addTokens("dev@harbor.test", "dev", 9, false)
	e.addTokens("admin@harbor.test", "admin", 4, false)
	e.addTokens("dev@harbor.test", "gone", 3, true)
	e.addTokens("dev@crane.test", "crane", 5, false)
	admin, dev := e.signIn("admin@harbor.test"), e.signIn("dev@harbor.test")

	all := tokenNames(e.walkTokens(admin, "/api/v1/partner/tokens?limit=200"))
	if len(all) != 13 || slices.ContainsFunc(all, func(n string) bool { return strings.HasPrefix(n, "crane") || strings.HasPrefix(n, "gone") }) {
		t.Fatalf("partner's open tokens = %v", all)
	}
	// Newest first: "admin 01" and "dev 01" a minute old, then "02"s ...
	if all[0][len(all[0])-2:] != "01" || all[12] != "dev 09" {
		t.Errorf("not newest first: %v", all)
	}

	var got []string
	path := "/api/v1/partner/tokens?limit=3"
	var revoked string
	for i := range 10 {
		rec := e.call(admin, http.MethodGet, path, "")
		want(t, "page", rec, http.StatusOK, "")
		page := decodeBody[list[listedToken]](t, rec)
		got = append(got, tokenNames(page.Items)...)
		if i == 0 {
			// Revoke the last open token, which no page has served yet.
			revoked = all[len(all)-1]
			if _, err := e.store.DB().Exec(`UPDATE tokens SET revoked_at = now() WHERE name = $1`, revoked); err != nil {
				t.Fatal(err)
			}
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/partner/tokens?limit=3&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if diff := cmp.Diff(all[:len(all)-1], got); diff != "" {
		t.Errorf("open tokens across pages, one revoked meanwhile (-want +got):\n%s", diff)
	}

	revokedList := e.walkTokens(admin, "/api/v1/partner/tokens?status=revoked&limit=2")
	if diff := cmp.Diff([]string{"gone 01", "gone 02", "gone 03", revoked}, tokenNames(revokedList)); diff != "" {
		t.Errorf("revoked tokens (-want +got):\n%s", diff)
	}
	for _, tk := range revokedList {
		if tk.Status != "revoked" {
			t.Errorf("%s under revoked has status %s", tk.Name, tk.Status)
		}
	}
	if n := len(e.walkTokens(admin, "/api/v1/partner/tokens?status=all&limit=5")); n != 16 {
		t.Errorf("status=all: %d tokens, want 16", n)
	}
	own := tokenNames(e.walkTokens(dev, "/api/v1/tokens?status=all&limit=4"))
	if len(own) != 12 || slices.ContainsFunc(own, func(n string) bool { return strings.HasPrefix(n, "admin") || strings.HasPrefix(n, "crane") }) {
		t.Errorf("developer's own tokens = %v", own)
	}
}

// TestTokenListsSearchFilterAndRefusals: q finds by the token's name (and
// on the partner's list by owner name or email) within the filter and the
// caller's partner, and pages like the list; a bad cursor (another list's
// included), limit, status or q is a 400 bad_request.
func TestTokenListsSearchFilterAndRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addTokens("dev@harbor.test", "Deploy", 5, false)
	e.addTokens("dev@harbor.test", "Deploy old", 2, true)
	e.addTokens("admin@harbor.test", "nightly", 2, false)
	e.addTokens("dev@crane.test", "Deploy crane", 3, false)
	e.addTokens("dev@crane.test", "nightly crane", 3, false)
	admin, dev := e.signIn("admin@harbor.test"), e.signIn("dev@harbor.test")
	for _, tc := range []struct {
		cookie, path string
		want         int
	}{
		{admin, "/api/v1/partner/tokens?q=DEPLOY", 5},
		{admin, "/api/v1/partner/tokens?q=deploy&status=all", 7},
		{admin, "/api/v1/partner/tokens?q=deploy+old&status=revoked", 2},
		{admin, "/api/v1/partner/tokens?q=admin%40harbor", 2},
		{admin, "/api/v1/partner/tokens?q=crane&status=all", 0},
		{admin, "/api/v1/partner/tokens?q=%25", 0},
		{dev, "/api/v1/tokens?q=nightly&status=all", 0},
		{dev, "/api/v1/tokens?q=deploy&status=all", 7},
		{dev, "/api/v1/tokens?q=deploy&status=expired", 0},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got := e.walkTokens(tc.cookie, tc.path+"&limit=2")
			if len(got) != tc.want {
				t.Errorf("%d tokens, want %d: %v", len(got), tc.want, tokenNames(got))
			}
			for _, tk := range got {
				if strings.Contains(tk.Name, "crane") || !strings.HasSuffix(tk.Owner.Email, "@harbor.test") {
					t.Errorf("another partner's token %s of %s", tk.Name, tk.Owner.Email)
				}
			}
		})
	}

	first := decodeBody[list[listedToken]](t, e.call(admin, http.MethodGet, "/api/v1/partner/tokens?limit=1", ""))
	partnerCursor := url.QueryEscape(*first.NextCursor)
	own := decodeBody[list[listedToken]](t, e.call(dev, http.MethodGet, "/api/v1/tokens?limit=1", ""))
	ownCursor := url.QueryEscape(*own.NextCursor)
	for _, tc := range []struct{ cookie, path string }{
		{dev, "/api/v1/tokens?cursor=nope"},
		{dev, "/api/v1/tokens?cursor=djE6MToy"}, // an offset cursor: v1:1:2
		{dev, "/api/v1/tokens?cursor=" + partnerCursor},
		{admin, "/api/v1/partner/tokens?cursor=" + ownCursor},
		{admin, "/api/v1/partner/tokens?cursor=bTE6MTp4"}, // the members list's
		{admin, "/api/v1/partner/tokens?cursor=" + strings.Repeat("A", 3000)},
		{dev, "/api/v1/tokens?limit=0"},
		{dev, "/api/v1/tokens?limit=201"},
		{dev, "/api/v1/tokens?limit=ten"},
		{dev, "/api/v1/tokens?status=active"},
		{admin, "/api/v1/partner/tokens?status=OPEN"},
		{admin, "/api/v1/partner/tokens?q=" + strings.Repeat("x", 101)},
	} {
		want(t, tc.path[:min(len(tc.path), 60)], e.callOff(tc.cookie, http.MethodGet, tc.path, "", ""), http.StatusBadRequest, "bad_request")
	}
	// A developer is refused the partner's list.
	want(t, "developer's partner list", e.call(dev, http.MethodGet, "/api/v1/partner/tokens", ""), http.StatusForbidden, "forbidden")
}
