package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestUsageFollowsTheBook: /usage, its CSV downloads, GET /api/v1/usage
// and the account manager's home count the calls of the partners the
// viewer manages only: an account manager of Harbor alone never sees
// Crane's 9 999 calls, its place among the top consumers or its quota
// running out, nor the grant made to it; the demo's account manager of
// both and the platform admin see both. One partner's dashboards of a
// partner outside the book answer 404.
func TestUsageFollowsTheBook(t *testing.T) {
	t.Parallel()
	p := usageWorld(t)
	// Crane is granted the quota group too: its 9 999 calls are far past
	// the 1 000 a month.
	if _, err := p.store.DB().Exec(`
		INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name = 'Tally quota' AND u.email = 'dev@crane.test'`); err != nil {
		t.Fatal(err)
	}
	bookManager(t, p, "sam@portico.test", "harbor-logistics")
	crane := idText(partnerIDOf(t, p, "crane-works"))
	// Harbor's calls: 164, of which 159 to tally; Crane's 9 999.
	for _, tc := range []struct {
		who   string
		both  bool
		total string
	}{
		{"sam@portico.test", false, "164"},
		{"am@portico.test", true, "10,163"},
		{"admin@portico.test", true, "10,163"},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			for _, rng := range []string{"24h", "30d"} {
				pg := b.get("/usage?range=" + rng)
				if pg.status != http.StatusOK {
					t.Fatalf("GET /usage?range=%s = %d", rng, pg.status)
				}
				if got := text(pg, "[data-testid=usage-total] strong"); got != tc.total {
					t.Errorf("%s: total %q, want %q", rng, got, tc.total)
				}
				top := rowsOf(pg, "partners")
				if slices.ContainsFunc(top, func(r string) bool { return strings.HasPrefix(r, "Crane Works") }) != tc.both ||
					!slices.ContainsFunc(top, func(r string) bool { return strings.HasPrefix(r, "Harbor Logistics") }) {
					t.Errorf("%s: top consumers %q", rng, top)
				}
				if got := rowsOf(pg, "apis"); len(got) == 0 || !strings.HasPrefix(got[0], "tally") || strings.Contains(got[0], "10,") != tc.both {
					t.Errorf("%s: calls per API %q", rng, got)
				}
				if got := rowsOf(pg, "operations"); len(got) == 0 || strings.Contains(got[0], "10,") != tc.both {
					t.Errorf("%s: calls per operation %q", rng, got)
				}
				near := pg.doc.Find("[data-testid=near-quota]").FilterFunction(func(_ int, s *goquery.Selection) bool {
					return strings.Contains(s.Text(), "Crane Works")
				}).Length()
				if (near == 1) != tc.both {
					t.Errorf("%s: Crane close to its quota shown %d times", rng, near)
				}
			}
			// The CSV downloads.
			status, rows := b.getCSV("/usage/export?range=30d&chart=partners")
			if status != http.StatusOK {
				t.Fatalf("partners CSV = %d", status)
			}
			var names []string
			for _, r := range rows[1:] {
				names = append(names, r[0])
			}
			if slices.Contains(names, "Crane Works") != tc.both || !slices.Contains(names, "Harbor Logistics") {
				t.Errorf("partners CSV names %q", names)
			}
			if _, rows = b.getCSV("/usage/export?range=24h&chart=apis"); len(rows) < 2 || (rows[1][2] == "159") == tc.both {
				t.Errorf("APIs CSV %q", rows)
			}
			// The management API.
			var answer struct {
				Scope  string `json:"scope"`
				Totals struct {
					Calls int64 `json:"calls"`
				} `json:"totals"`
				Partners []struct {
					Name string `json:"name"`
				} `json:"partners"`
				NearQuota []struct {
					Partner string `json:"partner"`
				} `json:"near_quota"`
			}
			if status := b.apiGet("/api/v1/usage?range=30d", &answer); status != http.StatusOK {
				t.Fatalf("GET /api/v1/usage = %d", status)
			}
			if want := map[bool]int64{false: 164, true: 10163}[tc.both]; answer.Totals.Calls != want || answer.Scope != "all" {
				t.Errorf("API: scope %q, %d calls, want all and %d", answer.Scope, answer.Totals.Calls, want)
			}
			if slices.ContainsFunc(answer.Partners, func(p struct {
				Name string `json:"name"`
			}) bool {
				return p.Name == "Crane Works"
			}) != tc.both {
				t.Errorf("API top consumers %v", answer.Partners)
			}
			if slices.ContainsFunc(answer.NearQuota, func(q struct {
				Partner string `json:"partner"`
			}) bool {
				return q.Partner == "Crane Works"
			}) != tc.both {
				t.Errorf("API near quota %v", answer.NearQuota)
			}
			// One partner's dashboards: 404 outside the book.
			want := http.StatusNotFound
			if tc.both {
				want = http.StatusOK
			}
			for _, path := range []string{"/partners/" + crane + "/usage", "/partners/" + crane + "/usage/export?chart=requests"} {
				if status, _, _ := b.download(path); status != want {
					t.Errorf("GET %s = %d, want %d", path, status, want)
				}
			}
			// The account managers' home.
			if tc.who == "admin@portico.test" {
				return
			}
			home := b.get("/")
			var busy, quota, grants []string
			home.doc.Find("[data-testid=home-partner]").Each(func(_ int, s *goquery.Selection) { busy = append(busy, s.AttrOr("data-name", "")) })
			home.doc.Find("[data-testid=home-alert]").Each(func(_ int, s *goquery.Selection) { quota = append(quota, s.AttrOr("data-partner", "")) })
			home.doc.Find("[data-testid=home-grant]").Each(func(_ int, s *goquery.Selection) { grants = append(grants, s.AttrOr("data-partner", "")) })
			if slices.Contains(busy, "Crane Works") != tc.both || !slices.Contains(busy, "Harbor Logistics") {
				t.Errorf("home: busy partners %q", busy)
			}
			if slices.Contains(quota, "Crane Works") != tc.both {
				t.Errorf("home: near quota %q", quota)
			}
			if slices.Contains(grants, "Crane Works") != tc.both || !slices.Contains(grants, "Harbor Logistics") {
				t.Errorf("home: recent grants %q", grants)
			}
		})
	}
}
