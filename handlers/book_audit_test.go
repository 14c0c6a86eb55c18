package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAuditTrailFollowsTheBook: an account manager of Harbor only reads
// Harbor's portal actions and calls, on the page, in both exports and
// from the management API, never Crane's; the demo's account manager of
// both and the platform admin read both. The partner filter narrows the
// trail to one partner the viewer manages, answers 404 for one they do
// not (as for no partner at all) and is refused to partner users.
func TestAuditTrailFollowsTheBook(t *testing.T) {
	t.Parallel()
	p := auditWorld(t)
	addCalls(t, p)
	bookManager(t, p, "sam@portico.test", "harbor-logistics")
	harbor, crane := idText(partnerIDOf(t, p, "harbor-logistics")), idText(partnerIDOf(t, p, "crane-works"))
	craneTeam := "created team “Crane yard”"
	harborTeam := "created team “Night shift”"
	devCall, craneCall := "GET /sandbox/fleet/v1/spreaders 200", "GET /sandbox/fleet/v1/yards 500"

	for _, tc := range []struct {
		who          string
		harbor, both bool
	}{
		{"sam@portico.test", true, false},
		{"am@portico.test", true, true},
		{"admin@portico.test", true, true},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			events := strings.Join(normalizeNames(auditSentences(b.get("/audit"))), "\n")
			if strings.Contains(events, harborTeam) != tc.harbor || strings.Contains(events, craneTeam) != tc.both {
				t.Errorf("/audit: Harbor's event %v (want %v), Crane's %v (want %v)\n%s",
					strings.Contains(events, harborTeam), tc.harbor, strings.Contains(events, craneTeam), tc.both, events)
			}
			calls := callPaths(b.get("/audit?source=calls"))
			if slices.Contains(calls, devCall) != tc.harbor || slices.Contains(calls, craneCall) != tc.both {
				t.Errorf("/audit?source=calls = %q", calls)
			}
			// The exports hold what the page shows, no more.
			_, _, csv := b.download("/audit/export?format=csv&range=all")
			if strings.Contains(csv, "Crane yard") != tc.both || !strings.Contains(csv, "Night shift") {
				t.Errorf("events export: Crane's event %v, want %v", strings.Contains(csv, "Crane yard"), tc.both)
			}
			_, _, csv = b.download("/audit/export?format=ndjson&source=calls")
			if strings.Contains(csv, "rid-crane-dev") != tc.both || !strings.Contains(csv, "rid-harbor-dev") {
				t.Errorf("calls export: Crane's call %v, want %v", strings.Contains(csv, "rid-crane-dev"), tc.both)
			}
			// And the management API.
			var list struct {
				Items []auditItem `json:"items"`
			}
			if status := b.apiGet("/api/v1/audit?range=all&limit=100", &list); status != http.StatusOK {
				t.Fatalf("GET /api/v1/audit = %d", status)
			}
			if got := partnersOf(list.Items); !cmp.Equal(got, wantPartners(tc.both)) {
				t.Errorf("/api/v1/audit partners = %q, want %q", got, wantPartners(tc.both))
			}
			list.Items = nil
			if status := b.apiGet("/api/v1/audit/calls", &list); status != http.StatusOK {
				t.Fatalf("GET /api/v1/audit/calls = %d", status)
			}
			if got := partnersOf(list.Items); !cmp.Equal(got, wantPartners(tc.both)) {
				t.Errorf("/api/v1/audit/calls partners = %q, want %q", got, wantPartners(tc.both))
			}

			// The partner filter: Harbor's trail alone, for everyone here.
			pg := b.get("/audit?partner=" + harbor + "&range=all")
			if pg.status != http.StatusOK {
				t.Fatalf("/audit?partner=Harbor = %d", pg.status)
			}
			events = strings.Join(auditSentences(pg), "\n")
			if strings.Contains(events, "Crane yard") || !strings.Contains(events, "Night shift") || strings.Contains(events, "sam@portico.test") {
				t.Errorf("Harbor's trail holds:\n%s", events)
			}
			if got := text(pg, "[data-testid=audit-partner-filter]"); !strings.Contains(got, "Harbor Logistics") {
				t.Errorf("partner filter says %q", got)
			}
			if href := pg.doc.Find("[data-testid=audit-partner-clear]").AttrOr("href", ""); strings.Contains(href, "partner=") || !strings.Contains(href, "range=all") {
				t.Errorf("clear link %q keeps the partner or loses the range", href)
			}
			if v := pg.doc.Find("#audit-partner").AttrOr("value", ""); v != harbor {
				t.Errorf("partner field = %q, want %s", v, harbor)
			}
			// The links that page on or export keep the filter.
			if href := pg.doc.Find("[data-testid=export-csv]").AttrOr("href", ""); !strings.Contains(href, "partner="+harbor) {
				t.Errorf("export link %q drops the partner", href)
			}
			if calls := callPaths(b.get("/audit?source=calls&partner=" + harbor)); slices.Contains(calls, craneCall) || !slices.Contains(calls, devCall) {
				t.Errorf("Harbor's calls = %q", calls)
			}
			_, _, csv = b.download("/audit/export?format=csv&range=all&partner=" + harbor)
			if strings.Contains(csv, "Crane yard") || !strings.Contains(csv, "Night shift") {
				t.Errorf("Harbor's export:\n%s", csv)
			}
			list.Items = nil
			if status := b.apiGet("/api/v1/audit/calls?partner_id="+harbor, &list); status != http.StatusOK || !cmp.Equal(partnersOf(list.Items), []string{"Harbor Logistics"}) {
				t.Errorf("/api/v1/audit/calls?partner_id=Harbor = %d %q", status, partnersOf(list.Items))
			}

			// Crane's trail: read by those who manage it, 404 to the
			// others, on every route.
			want := http.StatusNotFound
			if tc.both {
				want = http.StatusOK
			}
			for _, path := range []string{"/audit?partner=" + crane, "/audit?source=calls&partner=" + crane,
				"/audit/export?format=csv&partner=" + crane, "/api/v1/audit?partner_id=" + crane, "/api/v1/audit/calls?partner_id=" + crane} {
				if status, _, body := b.download(path); status != want || (!tc.both && (strings.Contains(body, "Crane yard") || strings.Contains(body, "rid-crane"))) {
					t.Errorf("GET %s = %d, want %d", path, status, want)
				}
			}
			// A partner that does not exist answers the same 404.
			if status, _, _ := b.download("/audit?partner=999999"); status != http.StatusNotFound {
				t.Errorf("GET /audit?partner=999999 = %d, want 404", status)
			}
			// A person of a partner outside the book is nobody the viewer
			// can see.
			pg = b.get("/audit?actor=admin@crane.test")
			if got := pg.doc.Find("[data-testid=audit-actor-unknown]").Length() == 1; got == tc.both {
				t.Errorf("person filter on Crane's admin: unknown %v, want %v", got, !tc.both)
			}
		})
	}

	// Bad values are a clear 400; partner users cannot filter by partner.
	sam := signedInAs(t, p, "sam@portico.test")
	for _, path := range []string{"/audit?partner=abc", "/audit?partner=-1", "/api/v1/audit?partner_id=0"} {
		if status, _, _ := sam.download(path); status != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", path, status)
		}
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	for _, path := range []string{"/audit?partner=" + harbor, "/api/v1/audit?partner_id=" + harbor, "/audit?partner=" + crane} {
		if status, _, body := admin.download(path); status != http.StatusBadRequest || !strings.Contains(body, "partner filter is for the") {
			t.Errorf("partner admin GET %s = %d, want 400 saying why", path, status)
		}
	}
	if pg := admin.get("/audit"); pg.doc.Find("#audit-partner").Length() != 0 {
		t.Error("a partner admin's filters offer the partner field")
	}

	// The staff's partner page leads to the partner's whole trail.
	pg := signedInAs(t, p, "am@portico.test").get("/partners/" + harbor)
	if href := pg.doc.Find("[data-testid=partner-audit]").AttrOr("href", ""); href != "/audit?partner="+harbor+"&range=all" {
		t.Errorf("partner page's audit link = %q", href)
	}
}

// auditItem is what the tests read of a management API audit item.
type auditItem struct {
	Partner   string `json:"partner"`
	RequestID string `json:"request_id"`
}

// partnersOf lists the distinct partners of API items, sorted, leaving
// out the provider's own (no partner).
func partnersOf(items []auditItem) []string {
	var out []string
	for _, it := range items {
		if it.Partner != "" && !slices.Contains(out, it.Partner) {
			out = append(out, it.Partner)
		}
	}
	slices.Sort(out)
	return out
}

func wantPartners(both bool) []string {
	if both {
		return []string{"Crane Works", "Harbor Logistics"}
	}
	return []string{"Harbor Logistics"}
}

// TestEndedPartnerTrailForStaff: an ended partnership's audit trail and
// calls stay readable and exportable by its account managers and the
// platform admin through the partner filter; another account manager
// gets 404.
func TestEndedPartnerTrailForStaff(t *testing.T) {
	t.Parallel()
	p := auditWorld(t)
	addCalls(t, p)
	bookManager(t, p, "sam@portico.test", "harbor-logistics")
	crane := partnerIDOf(t, p, "crane-works")
	if _, err := p.store.MarkPartnerEnded(context.Background(), crane, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who    string
		status int
	}{{"am@portico.test", http.StatusOK}, {"admin@portico.test", http.StatusOK}, {"sam@portico.test", http.StatusNotFound}} {
		b := signedInAs(t, p, tc.who)
		for path, row := range map[string]string{"/audit/export?format=csv&range=all&partner=" + idText(crane): "Crane yard",
			"/audit/export?format=csv&source=calls&range=all&partner=" + idText(crane): "rid-crane-dev"} {
			status, _, body := b.download(path)
			if status != tc.status {
				t.Errorf("%s GET %s = %d, want %d", tc.who, path, status, tc.status)
			}
			if tc.status == http.StatusOK && !strings.Contains(body, row) {
				t.Errorf("%s: the ended partner's export lacks its rows:\n%s", tc.who, body)
			}
			if strings.Contains(body, "Night shift") || strings.Contains(body, "rid-harbor") {
				t.Errorf("%s: the ended partner's export holds Harbor's rows", tc.who)
			}
		}
	}
}
