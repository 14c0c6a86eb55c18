package handlers_test

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// download fetches path as b and returns the status, the headers and the body.
func (b *browser) download(path string) (int, http.Header, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

// TestAuditExport: the export holds every row the filters match, across
// the pages it reads (2 102 events), once, and nothing outside the viewer's
// scope; a value a spreadsheet would run as a formula is defused; NDJSON
// has one object per line; the page links to both with its filters.
func TestAuditExport(t *testing.T) {
	t.Parallel()
	p := auditWorld(t)
	addCalls(t, p)
	if _, err := p.store.DB().Exec(`
		INSERT INTO audit_events (at, actor_id, actor, partner_id, action, target_type, target, request_id)
		SELECT now() - interval '1 day' - i * interval '1 second', a.id, a.email, a.partner_id, 'team.create', 'team',
		       CASE WHEN i = 1 THEN '=HYPERLINK("http://evil.test")' ELSE 'Export ' || i END, 'exp-' || i
		FROM users a, generate_series(1, 2100) i WHERE a.email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	status, h, body := admin.download("/audit/export?kind=teams&format=csv")
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV export = %d %q %q", status, h.Get("Content-Type"), h.Get("Content-Disposition"))
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if diff := cmp.Diff([]string{"time", "actor", "actor_email", "partner", "action", "sentence", "target_type", "target_id", "target", "ip", "request_id", "details"}, records[0]); diff != "" {
		t.Errorf("CSV header (-want +got):\n%s", diff)
	}
	seen := map[string]int{}
	for _, r := range records[1:] {
		seen[r[10]]++
		if r[2] == "admin@crane.test" {
			t.Errorf("Harbor's export holds Crane's row %q", r)
		}
		if r[10] == "exp-1" && r[8] != `'=HYPERLINK("http://evil.test")` {
			t.Errorf("formula target exported as %q", r[8])
		}
	}
	// 2 100, Night shift created and the developer added to it: two pages of the export.
	if len(records)-1 != 2102 || len(seen) != 2102 {
		t.Errorf("CSV has %d rows (%d request ids), want 2102", len(records)-1, len(seen))
	}

	// The developer's calls as NDJSON: their own only.
	dev := signedInAs(t, p, "dev@harbor.test")
	status, h, body = dev.download("/audit/export?source=calls&format=ndjson")
	if status != http.StatusOK || h.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("NDJSON export = %d %q", status, h.Get("Content-Type"))
	}
	var paths []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		paths = append(paths, row["path"].(string))
	}
	if diff := cmp.Diff([]string{"/sandbox/fleet/v1/spreaders"}, paths); diff != "" {
		t.Errorf("developer's exported calls (-want +got):\n%s", diff)
	}

	pg := admin.get("/audit?kind=teams&range=7d")
	if href, _ := pg.doc.Find("[data-testid=export-csv]").Attr("href"); !strings.HasPrefix(href, "/audit/export?") ||
		!strings.Contains(href, "kind=teams") || !strings.Contains(href, "range=7d") || !strings.HasSuffix(href, "format=csv") {
		t.Errorf("CSV link = %q, want the page's filters", href)
	}
	for _, q := range []string{"format=xlsx", "", "format=csv&range=forever"} {
		if status, _, _ := admin.download("/audit/export?" + q); status != http.StatusBadRequest {
			t.Errorf("/audit/export?%s = %d, want 400", q, status)
		}
	}
}
