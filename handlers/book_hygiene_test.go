package handlers_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestHygieneOverviewFollowsTheBook: the staff's credential hygiene
// overview lists the partners the viewer manages: Harbor alone for its
// own account manager, whose Crane pages answer 404; both for the demo's
// account manager and the platform admin. The management API's hygiene
// report is a partner admin's: staff are refused it, never answered
// with a partner's credentials.
func TestHygieneOverviewFollowsTheBook(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	bookManager(t, p, "sam@portico.test", "harbor-logistics")
	crane := idText(partnerIDOf(t, p, "crane-works"))
	for _, tc := range []struct {
		who  string
		want []string
		// crane is the status of Crane's own hygiene pages.
		crane int
	}{
		{"sam@portico.test", []string{"Harbor Logistics"}, http.StatusNotFound},
		{"am@portico.test", []string{"Crane Works", "Harbor Logistics"}, http.StatusOK},
		{"admin@portico.test", []string{"Crane Works", "Harbor Logistics"}, http.StatusOK},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			for _, path := range []string{"/tokens/hygiene", "/tokens/hygiene?q=works", "/tokens/hygiene?q=o"} {
				pg := b.get(path)
				if pg.status != http.StatusOK {
					t.Fatalf("GET %s = %d", path, pg.status)
				}
				var got []string
				pg.doc.Find("[data-testid=partner-hygiene-link]").Each(func(_ int, s *goquery.Selection) { got = append(got, s.Text()) })
				want := tc.want
				if path == "/tokens/hygiene?q=works" {
					want = slices.DeleteFunc(slices.Clone(want), func(n string) bool { return n != "Crane Works" })
				}
				if !slices.Equal(got, want) {
					t.Errorf("GET %s lists %q, want %q", path, got, want)
				}
			}
			for _, path := range []string{"/partners/" + crane + "/tokens/hygiene", "/partners/" + crane + "/tokens/hygiene/revoke-unused"} {
				if status, _, _ := b.download(path); status != tc.crane {
					t.Errorf("GET %s = %d, want %d", path, status, tc.crane)
				}
			}
			if status := b.apiGet("/api/v1/tokens/hygiene", nil); status != http.StatusForbidden {
				t.Errorf("GET /api/v1/tokens/hygiene = %d, want 403", status)
			}
		})
	}
}
