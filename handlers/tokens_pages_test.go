package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addTokens inserts n sandbox tokens of the user with this email named
// "<prefix> NNN", a minute apart (NNN 1 the newest), in state: "open",
// "pending", "expired" or "revoked".
func (p *portal) addTokens(t *testing.T, email, prefix, state string, n int) {
	t.Helper()
	pending, expires, revoked := "false", "now() + interval '30 days'", "NULL"
	switch state {
	case "pending":
		pending = "true"
	case "expired":
		expires = "now() - interval '1 hour'"
	case "revoked":
		revoked = "now()"
	}
	if _, err := p.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, pending, revoked_at)
		SELECT u.id, u.partner_id, $2 || ' ' || lpad(i::text, 3, '0'), 'sandbox', decode(md5($2 || i || u.email), 'hex'), 'ptc_sbx_…abcd',
		       '{fleet/fleet:read}', now() - i * interval '1 minute', `+expires+`, `+pending+`, `+revoked+`
		FROM users u, generate_series(1, $3) i WHERE u.email = $1`, email, prefix, n); err != nil {
		t.Fatal(err)
	}
}

func tokenNames(pg page) []string {
	var out []string
	for _, s := range pg.doc.Find("[data-testid=token] [data-testid=token-name]").EachIter() {
		out = append(out, strings.TrimSpace(s.Text()))
	}
	return out
}

// walk follows the next-page links from path and returns the token names
// of every page, and each page's size.
func walk(t *testing.T, b *browser, path string) (names []string, sizes []int) {
	t.Helper()
	for range 20 {
		pg := b.get(path)
		if pg.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, pg.status)
		}
		ns := tokenNames(pg)
		names, sizes = append(names, ns...), append(sizes, len(ns))
		first := pg.doc.Find("[data-testid=first-page]").Length() == 1
		if first != strings.Contains(path, "after=") {
			t.Errorf("%s: first-page link shown = %v", path, first)
		}
		next, ok := pg.doc.Find("[data-testid=next-page]").Attr("href")
		if !ok {
			return names, sizes
		}
		path = next
	}
	t.Fatal("no last page")
	return nil, nil
}

// TestTokenListsPageByFilter: the partner's list, the staff's view of it
// and a developer's own list show open tokens by default, 25 at a time,
// newest first; each filter pages with links that keep it, and serves
// every token of the filter once; another partner's and (on one's own
// list) a colleague's tokens never show.
func TestTokenListsPageByFilter(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	p.addTokens(t, "dev@harbor.test", "dev open", "open", 40)
	p.addTokens(t, "admin@harbor.test", "admin open", "open", 20)
	p.addTokens(t, "dev@harbor.test", "dev revoked", "revoked", 30)
	p.addTokens(t, "dev@harbor.test", "dev expired", "expired", 3)
	p.addTokens(t, "dev@harbor.test", "dev pending", "pending", 2)
	p.addTokens(t, "dev@crane.test", "crane open", "open", 30)
	harbor := p.partnerID(t, "harbor-logistics")
	admin := signedInAs(t, p, "admin@harbor.test")
	dev := signedInAs(t, p, "dev@harbor.test")
	am := signedInAs(t, p, "am@portico.test")
	staffPath := "/partners/" + itoa(harbor) + "/tokens"

	for _, tc := range []struct {
		name  string
		b     *browser
		path  string
		want  map[string]int // prefix: how many
		sizes []int
	}{
		{"partner open", admin, "/tokens/partner", map[string]int{"dev open": 40, "admin open": 20, "dev pending": 2}, []int{25, 25, 12}},
		{"partner revoked", admin, "/tokens/partner?status=revoked", map[string]int{"dev revoked": 30}, []int{25, 5}},
		{"partner expired", admin, "/tokens/partner?status=expired", map[string]int{"dev expired": 3}, []int{3}},
		{"partner pending", admin, "/tokens/partner?status=pending", map[string]int{"dev pending": 2}, []int{2}},
		{"partner all", admin, "/tokens/partner?status=all", map[string]int{"dev open": 40, "admin open": 20, "dev revoked": 30, "dev expired": 3, "dev pending": 2}, []int{25, 25, 25, 20}},
		{"staff open", am, staffPath, map[string]int{"dev open": 40, "admin open": 20, "dev pending": 2}, []int{25, 25, 12}},
		{"own open", dev, "/tokens", map[string]int{"dev open": 40, "dev pending": 2}, []int{25, 17}},
		{"own all", dev, "/tokens?status=all", map[string]int{"dev open": 40, "dev revoked": 30, "dev expired": 3, "dev pending": 2}, []int{25, 25, 25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, sizes := walk(t, tc.b, tc.path)
			if diff := cmp.Diff(tc.sizes, sizes); diff != "" {
				t.Errorf("rows per page (-want +got):\n%s", diff)
			}
			seen := map[string]int{}
			counts := map[string]int{}
			for _, n := range names {
				seen[n]++
				counts[n[:strings.LastIndex(n, " ")]]++
			}
			for n, k := range seen {
				if k != 1 {
					t.Errorf("%s shown %d times", n, k)
				}
			}
			if diff := cmp.Diff(tc.want, counts); diff != "" {
				t.Errorf("tokens shown (-want +got):\n%s", diff)
			}
		})
	}

	// The next link keeps the filter; the filter links and the search form
	// keep the search; the current filter is marked.
	pg := admin.get("/tokens/partner?status=all&q=dev")
	next := pg.doc.Find("[data-testid=next-page]").AttrOr("href", "")
	if u, _ := url.Parse(next); u == nil || u.Path != "/tokens/partner" || u.Query().Get("status") != "all" || u.Query().Get("q") != "dev" || u.Query().Get("after") == "" {
		t.Errorf("next link = %q, want the filter, the search and a cursor", next)
	}
	if got := pg.doc.Find("[data-testid=filter-revoked]").AttrOr("href", ""); got != "/tokens/partner?q=dev&status=revoked" {
		t.Errorf("revoked filter link = %q", got)
	}
	if got := text(pg, "[data-testid=token-filter] [aria-current=page]"); got != "All" {
		t.Errorf("current filter = %q, want All", got)
	}
	if got := text(pg, "[data-testid=filter-pending]"); got != "Waiting for approval (2)" {
		t.Errorf("pending filter = %q", got)
	}
	form := pg.doc.Find("form[data-testid=token-search]")
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/tokens/partner" ||
		form.Find("input[name=status]").AttrOr("value", "") != "all" || form.Find("input[name=q]").AttrOr("value", "") != "dev" {
		t.Errorf("search form: %s", strings.Join(strings.Fields(form.Text()), " "))
	}
	if got := am.get(staffPath).doc.Find("[data-testid=next-page]").AttrOr("href", ""); !strings.HasPrefix(got, staffPath+"?after=") {
		t.Errorf("staff next link = %q", got)
	}
}

// TestTokenListsSearch: the search finds tokens by name (and on the
// partner's list by owner name or email), ignoring case, within the
// filter; it keeps to the partner and, on one's own list, to one's own
// tokens; no match says how to widen the search.
func TestTokenListsSearch(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	p.addTokens(t, "dev@harbor.test", "Deploy", "open", 30)
	p.addTokens(t, "dev@harbor.test", "Deploy old", "revoked", 2)
	p.addTokens(t, "admin@harbor.test", "Admin deploy", "open", 1)
	p.addTokens(t, "dev@crane.test", "Deploy crane", "open", 3)
	admin := signedInAs(t, p, "admin@harbor.test")
	dev := signedInAs(t, p, "dev@harbor.test")
	for _, tc := range []struct {
		name  string
		b     *browser
		path  string
		count int
	}{
		{"partner by name", admin, "/tokens/partner?q=DEPLOY", 31},
		{"partner by name, all", admin, "/tokens/partner?status=all&q=deploy", 33},
		{"partner by name, revoked", admin, "/tokens/partner?status=revoked&q=deploy", 2},
		{"partner by owner email", admin, "/tokens/partner?q=admin%40harbor", 1},
		{"partner: another partner's", admin, "/tokens/partner?status=all&q=crane", 0},
		{"own by name", dev, "/tokens?q=deploy", 30},
		{"own: a colleague's", dev, "/tokens?status=all&q=admin", 0},
		{"own: literal %", dev, "/tokens?q=%25", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, _ := walk(t, tc.b, tc.path)
			if len(names) != tc.count {
				t.Errorf("%s: %d tokens, want %d: %v", tc.path, len(names), tc.count, names)
			}
			for _, n := range names {
				if strings.Contains(n, "crane") || tc.b == dev && strings.HasPrefix(n, "Admin") {
					t.Errorf("%s lists %s", tc.path, n)
				}
			}
		})
	}
	pg := admin.get("/tokens/partner?q=nothing+like+it")
	if got := text(pg, "[data-testid=no-tokens]"); pg.status != http.StatusOK || !strings.Contains(got, "No open tokens match “nothing like it”") {
		t.Errorf("no match = %d %q", pg.status, got)
	}
	if got := pg.doc.Find("[data-testid=search-all]").AttrOr("href", ""); got != "/tokens/partner?q=nothing+like+it&status=all" {
		t.Errorf("search-all link = %q", got)
	}
	if got := pg.doc.Find("[data-testid=clear-search]").AttrOr("href", ""); got != "/tokens/partner" {
		t.Errorf("clear link = %q", got)
	}
}

// TestTokenListsRefuseBadLinks: a broken or foreign cursor, an unknown
// filter or a search too long is a 400 page that says what to do, not a
// 500 or an empty list.
func TestTokenListsRefuseBadLinks(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	p.addTokens(t, "dev@harbor.test", "dev", "open", 30)
	admin := signedInAs(t, p, "admin@harbor.test")
	own := admin.get("/tokens/partner").doc.Find("[data-testid=next-page]").AttrOr("href", "")
	partnerCursor := own[strings.Index(own, "after=")+len("after="):]
	for _, tc := range []struct{ path, message string }{
		{"/tokens/partner?after=%25%25", "link to a page of tokens is broken"},
		{"/tokens/partner?after=bTE6MTp4", "link to a page of tokens is broken"}, // a members cursor
		{"/tokens/partner?after=" + strings.Repeat("A", 3000), "link to a page of tokens is broken"},
		{"/tokens?after=" + partnerCursor, "link to a page of tokens is broken"}, // the partner list's
		{"/tokens/partner?status=active", "no token filter “active”"},
		{"/tokens?status=ALL", "no token filter “ALL”"},
		{"/tokens/partner?q=" + strings.Repeat("x", 101), "search is too long"},
	} {
		t.Run(fmt.Sprintf("%.40s", tc.path), func(t *testing.T) {
			pg := admin.get(tc.path)
			if pg.status != http.StatusBadRequest || !strings.Contains(pg.doc.Text(), tc.message) {
				t.Errorf("GET %s = %d %q", tc.path, pg.status, strings.Join(strings.Fields(text(pg, "main")), " "))
			}
		})
	}
}
