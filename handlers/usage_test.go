package handlers_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/store"
)

// usageWorld adds tokens and a hand-made usage rollup: Harbor's developer
// has a sandbox and a live token, Harbor's admin a sandbox token, Crane's
// developer a live token whose 9999 calls must never show to Harbor. All
// calls are in the current minute (so this month and the last 24 hours)
// but 5 calls to "berths" three hours ago. Harbor has the access group
// "Tally quota" (1000 calls a month, the API "tally").
func usageWorld(t *testing.T) *portal {
	t.Helper()
	p := newPortal(t, false)
	if _, err := p.store.DB().Exec(`
		INSERT INTO apis (slug, name) VALUES ('tally', 'Tally'), ('berths', 'Berths');
		INSERT INTO access_groups (name, rate_limit_per_minute, monthly_quota) VALUES ('Tally quota', 600, 1000), ('No quota', 600, NULL);
		INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT g.id, a.id, '{read}' FROM access_groups g, apis a WHERE g.name IN ('Tally quota', 'No quota') AND a.slug = 'tally';
		INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name IN ('Tally quota', 'No quota') AND u.email = 'dev@harbor.test';
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT u.id, u.partner_id, v.name, v.env, decode(md5(v.name), 'hex'), 'ptc_…' || v.name, '{tally/read}', now() + interval '30 days'
		FROM (VALUES ('dev@harbor.test', 'harbor-dev-sandbox', 'sandbox'), ('dev@harbor.test', 'harbor-dev-live', 'live'),
		             ('admin@harbor.test', 'harbor-admin-sandbox', 'sandbox'), ('dev@crane.test', 'crane-secret-live', 'live')) v(email, name, env)
		JOIN users u ON u.email = v.email`); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	var toks []struct {
		ID        int64  `db:"id"`
		PartnerID int64  `db:"partner_id"`
		Name      string `db:"name"`
		Env       string `db:"environment"`
	}
	if err := p.store.DB().Select(&toks, `SELECT id, partner_id, name, environment FROM tokens`); err != nil {
		t.Fatal(err)
	}
	var batch []calls.Call
	now := time.Now()
	// Each line: token, hours ago, API, status, calls, latency bucket
	// (1-based, as the rollup's histogram counts them).
	for _, v := range []struct {
		token           string
		ago             int
		api             string
		status, n, slot int
	}{
		{"harbor-dev-sandbox", 0, "tally", 200, 100, 7}, {"harbor-dev-sandbox", 0, "tally", 404, 10, 4},
		{"harbor-dev-live", 0, "tally", 200, 40, 10}, {"harbor-dev-live", 0, "tally", 500, 2, 16},
		{"harbor-admin-sandbox", 0, "tally", 200, 7, 1}, {"crane-secret-live", 0, "tally", 200, 9999, 7},
		{"harbor-dev-sandbox", 3, "berths", 200, 5, 7},
	} {
		c := calls.Call{At: now.Add(-time.Duration(v.ago) * time.Hour), API: v.api, Operation: "op", Status: v.status,
			Latency: 11 * time.Second, Method: "GET", Path: "/" + v.api}
		if v.slot <= len(calls.LatencyBuckets) {
			c.Latency = calls.LatencyBuckets[v.slot-1]
		}
		for _, tk := range toks {
			if tk.Name == v.token {
				c.TokenID, c.PartnerID, c.Environment = tk.ID, tk.PartnerID, tk.Env
				ids[tk.Name] = tk.ID
			}
		}
		for range v.n {
			batch = append(batch, c)
		}
	}
	// Calls without a credential are nobody's usage.
	for range 777 {
		batch = append(batch, calls.Call{At: now, API: "tally", Environment: "sandbox", Status: 401, Method: "GET", Path: "/tally"})
	}
	writeCalls(t, p.store, batch)
	return p
}

// writeCalls writes batch through the gateway's calls writer, so that the
// per-minute rollup and the dashboards' rollups hold it, as in production.
func writeCalls(t *testing.T, st *store.Store, batch []calls.Call) {
	t.Helper()
	w := calls.NewWriter(st, nil, calls.WriterConfig{QueueSize: len(batch) + 1, FlushInterval: time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for _, c := range batch {
		if err := w.Record(c); err != nil {
			t.Fatalf("record a call: %v", err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("write the calls: %v", err)
	}
	if st := w.Stats(); st.Written != int64(len(batch)) {
		t.Fatalf("the writer wrote %d calls of %d", st.Written, len(batch))
	}
}

// rowsOf lists a usage table's "name calls" rows.
func rowsOf(pg page, table string) []string {
	var out []string
	pg.doc.Find("[data-testid=table-" + table + "] [data-testid=usage-row]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Find("[data-testid=usage-name]").Text())+" "+strings.TrimSpace(s.Find("[data-testid=usage-calls]").Text()))
	})
	return out
}

// getCSV fetches a CSV download and parses it.
func (b *browser) getCSV(path string) (int, [][]string) {
	b.t.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		b.t.Errorf("GET %s: Content-Type %q, want text/csv", path, ct)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		b.t.Fatalf("GET %s: not CSV: %v\n%s", path, err, body)
	}
	return resp.StatusCode, rows
}

// TestUsageScopes: each role sees the usage the policy gives it, with the
// right numbers, and never another partner's: a developer their own
// tokens, a partner admin their partner with each member's share and the
// quotas, staff every partner with the top consumers.
func TestUsageScopes(t *testing.T) {
	t.Parallel()
	p := usageWorld(t)
	for _, tc := range []struct {
		who                     string
		total                   string
		partners, members, apis []string
		tokens                  []string
		quotas                  bool
		mustNotShow             []string
	}{
		{who: "dev@harbor.test", total: "157", apis: []string{"tally 152", "berths 5"},
			tokens:      []string{"harbor-dev-sandbox 115", "harbor-dev-live 42"},
			mustNotShow: []string{"9,999", "9999", "crane-secret-live", "harbor-admin-sandbox", "164", "777"}},
		{who: "admin@harbor.test", total: "164", members: []string{"Dev Harbor 157", "Ada Harbor 7"}, apis: []string{"tally 159", "berths 5"},
			tokens: []string{"harbor-dev-sandbox 115", "harbor-dev-live 42", "harbor-admin-sandbox 7"}, quotas: true,
			mustNotShow: []string{"9,999", "9999", "crane-secret-live", "Cleo Crane", "777"}},
		{who: "dev@crane.test", total: "9,999", apis: []string{"tally 9,999"}, tokens: []string{"crane-secret-live 9,999"},
			mustNotShow: []string{"harbor-dev-sandbox", "164", "157", "Dev Harbor", "777"}},
		// Staff see tokens partner by partner (/partners/:id/usage).
		{who: "am@portico.test", total: "10,163", partners: []string{"Crane Works 9,999", "Harbor Logistics 164"}, apis: []string{"tally 10,158", "berths 5"},
			mustNotShow: []string{"777", "crane-secret-live"}},
		{who: "admin@portico.test", total: "10,163", partners: []string{"Crane Works 9,999", "Harbor Logistics 164"}, apis: []string{"tally 10,158", "berths 5"}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			t.Parallel()
			b := signedInAs(t, p, tc.who)
			pg := b.get("/usage")
			if pg.status != http.StatusOK {
				t.Fatalf("GET /usage = %d", pg.status)
			}
			if got := pg.doc.Find("[data-testid=usage-total] strong").Text(); got != tc.total {
				t.Errorf("total = %q, want %q", got, tc.total)
			}
			for _, x := range []struct {
				table string
				want  []string
			}{{"partners", tc.partners}, {"members", tc.members}, {"apis", tc.apis}, {"tokens", tc.tokens}} {
				if diff := cmp.Diff(x.want, rowsOf(pg, x.table)); diff != "" {
					t.Errorf("table %s (-want +got):\n%s", x.table, diff)
				}
			}
			if got := pg.doc.Find("[data-testid=usage-quotas]").Length() == 1; got != tc.quotas {
				t.Errorf("quotas shown = %v, want %v", got, tc.quotas)
			}
			text := pg.doc.Find("main").Text()
			for _, s := range tc.mustNotShow {
				if strings.Contains(text, s) {
					t.Errorf("the page shows %q, another partner's (or nobody's)", s)
				}
			}
			for _, id := range []string{"requests", "errors", "refusals", "latency"} {
				c := pg.doc.Find("[data-testid=chart-" + id + "]")
				if c.Find("h2").Text() == "" || c.Find("[data-testid=chart-summary]").Text() == "" || c.Find("svg[role=img]").Length() != 1 ||
					c.Find("details [data-testid=chart-table] tbody tr").Length() != 24 {
					t.Errorf("chart %s lacks its title, summary, drawing or 24-row table", id)
				}
			}
			if !strings.Contains(pg.doc.Find(".site-header").Text(), "Usage") {
				t.Error("the navigation has no Usage")
			}
		})
	}
}

// TestUsageNumbers: the charts' CSVs of a partner admin, bucket by bucket,
// and the quota with its projection.
func TestUsageNumbers(t *testing.T) {
	t.Parallel()
	p := usageWorld(t)
	b := signedInAs(t, p, "admin@harbor.test")
	pg := b.get("/usage")
	if got := strings.Join(strings.Fields(pg.doc.Find("[data-testid=chart-requests] [data-testid=chart-summary]").Text()), " "); !strings.HasPrefix(got, "164 calls: 122 sandbox, 42 live.") {
		t.Errorf("requests summary = %q", got)
	}
	if got := strings.Join(strings.Fields(pg.doc.Find("[data-testid=chart-errors] [data-testid=chart-summary]").Text()), " "); !strings.HasPrefix(got, "10 client errors (4xx, 6.1 % of calls) and 2 server errors (5xx, 1.2 %)") {
		t.Errorf("errors summary = %q", got)
	}
	// 164 calls: 7 ≤ 250 µs, 10 in (1, 2.5] ms, 105 in (10, 25] ms, 40 in
	// (100, 250] ms, 2 over 10 s. The median is call 82, the 65th of 105 in
	// (10, 25] ms: 10 + 15×65/105 = 19.29 ms; p95 is call 155.8, 33.8 of
	// 40 in (100, 250] ms: 226.75 → "226 ms".
	if got := strings.Join(strings.Fields(pg.doc.Find("[data-testid=chart-latency] [data-testid=chart-summary]").Text()), " "); !strings.Contains(got, "at most 19 ms (p50) and 95 % at most 226 ms (p95)") {
		t.Errorf("latency summary = %q", got)
	}
	q := pg.doc.Find("[data-testid=quota]")
	if q.Length() != 1 || q.Find("th").Text() != "Tally quota" || q.Find("[data-testid=quota-used]").Text() != "159" {
		t.Errorf("quotas = %q, want Tally quota with 159 used (the group without a quota left out)", q.Text())
	}
	for _, tc := range []struct {
		chart string
		// rows are the CSV's rows of buckets 20 and 23 (the current hour).
		header, b20, b23 []string
	}{
		{"requests", []string{"bucket_start", "sandbox", "live"}, []string{"5", "0"}, []string{"117", "42"}},
		{"errors", []string{"bucket_start", "client_errors_4xx", "server_errors_5xx"}, []string{"0", "0"}, []string{"10", "2"}},
		// Bucket 20: 5 calls in (10, 25] ms: p50 17.5 ms, p95 24.25 ms.
		{"latency", []string{"bucket_start", "calls", "p50_ms", "p95_ms"}, []string{"5", "17.500", "24.250"}, []string{"159", "19.375", "227.687"}},
	} {
		status, rows := b.getCSV("/usage/export?range=24h&chart=" + tc.chart)
		if status != http.StatusOK || len(rows) != 25 {
			t.Fatalf("%s CSV: %d, %d rows, want 200 and a header with 24 buckets", tc.chart, status, len(rows))
		}
		if diff := cmp.Diff(tc.header, rows[0]); diff != "" {
			t.Errorf("%s header (-want +got):\n%s", tc.chart, diff)
		}
		if diff := cmp.Diff(tc.b20, rows[21][1:]); diff != "" {
			t.Errorf("%s three hours ago (-want +got):\n%s", tc.chart, diff)
		}
		if diff := cmp.Diff(tc.b23, rows[24][1:]); diff != "" {
			t.Errorf("%s this hour (-want +got):\n%s", tc.chart, diff)
		}
	}
	_, rows := b.getCSV("/usage/export?range=7d&chart=members")
	if diff := cmp.Diff([][]string{{"name", "detail", "calls", "client_errors_4xx", "server_errors_5xx", "unauthorized_401", "forbidden_403", "rate_limited_429", "p95_ms"},
		{"Dev Harbor", "dev@harbor.test", "157", "10", "2", "0", "0", "0", ""}, {"Ada Harbor", "admin@harbor.test", "7", "0", "0", "0", "0", "0", ""}}, rows); diff != "" {
		t.Errorf("members CSV (-want +got):\n%s", diff)
	}
	_, rows = b.getCSV("/usage/export?range=30d&chart=quotas")
	if len(rows) != 2 || rows[1][0] != "Tally quota" || rows[1][1] != "1000" || rows[1][2] != "159" {
		t.Errorf("quotas CSV = %q", rows)
	}
	// A faster group including the same API takes the charge, as at the
	// gateway (the most generous group of those granted).
	if _, err := p.store.DB().Exec(`
		INSERT INTO access_groups (name, rate_limit_per_minute, monthly_quota) VALUES ('Fast tally', 1200, 100000);
		INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT g.id, a.id, '{read}' FROM access_groups g, apis a WHERE g.name = 'Fast tally' AND a.slug = 'tally';
		INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name = 'Fast tally' AND u.email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	_, rows = b.getCSV("/usage/export?range=24h&chart=quotas")
	if len(rows) != 3 || rows[1][0] != "Fast tally" || rows[1][2] != "159" || rows[2][0] != "Tally quota" || rows[2][2] != "0" {
		t.Errorf("quotas CSV with a faster group = %q, want Fast tally charged 159 and Tally quota 0", rows)
	}
	// Daily buckets: the calls three hours ago may be yesterday's.
	_, rows = b.getCSV("/usage/export?range=7d&chart=requests")
	if len(rows) != 8 || rows[7][2] != "42" || (rows[7][1] != "122" && (rows[7][1] != "117" || rows[6][1] != "5")) {
		t.Errorf("7-day requests CSV = %q, want 7 days, 122 sandbox and 42 live in the last two", rows)
	}
}

// TestUsageRefusals: a bad range or chart is a 400 page, a chart of
// another role's view too, and a partner user never reaches the staff
// pages of a partner.
func TestUsageRefusals(t *testing.T) {
	t.Parallel()
	p := usageWorld(t)
	dev := signedInAs(t, p, "dev@harbor.test")
	for _, path := range []string{"/usage?range=1y", "/usage?range=24H", "/usage/export?range=forever&chart=requests",
		"/usage/export?chart=pie", "/usage/export?chart=members", "/usage/export?chart=partners", "/usage/export?chart=quotas"} {
		if pg := dev.get(path); pg.status != http.StatusBadRequest || !strings.Contains(strings.ToLower(pg.doc.Text()), "choose") {
			t.Errorf("GET %s = %d, want 400 saying what to choose", path, pg.status)
		}
	}
	var crane string
	if err := p.store.DB().Get(&crane, `SELECT id::text FROM partners WHERE name = 'Crane Works'`); err != nil {
		t.Fatal(err)
	}
	padmin := signedInAs(t, p, "admin@harbor.test")
	for _, b := range []*browser{dev, padmin} {
		for _, path := range []string{"/partners/" + crane + "/usage", "/partners/" + crane + "/usage/export?chart=requests"} {
			if pg := b.get(path); pg.status != http.StatusNotFound && pg.status != http.StatusForbidden {
				t.Errorf("GET %s by a partner user = %d, want 404 or 403", path, pg.status)
			}
		}
	}
	// A partner admin's own partner's staff page is not theirs either.
	var harbor string
	if err := p.store.DB().Get(&harbor, `SELECT id::text FROM partners WHERE name = 'Harbor Logistics'`); err != nil {
		t.Fatal(err)
	}
	if pg := padmin.get("/partners/" + harbor + "/usage"); pg.status != http.StatusForbidden {
		t.Errorf("GET /partners/%s/usage by its partner admin = %d, want 403", harbor, pg.status)
	}
	am := signedInAs(t, p, "am@portico.test")
	if href := am.get("/partners").doc.Find("[data-testid=partner-usage]").First().AttrOr("href", ""); !strings.HasSuffix(href, "/usage") {
		t.Errorf("the partner directory links to %q, want a partner's usage", href)
	}
	pg := am.get("/partners/" + crane + "/usage?range=30d")
	if href := pg.doc.Find("[data-testid=usage-breadcrumb] a[href^='/partners/']").AttrOr("href", ""); href != "/partners/"+crane {
		t.Errorf("staff usage of Crane leads back to %q, want its partner page", href)
	}
	if pg.status != http.StatusOK || pg.doc.Find("[data-testid=usage-total] strong").Text() != "9,999" {
		t.Errorf("staff view of Crane = %d, total %q, want 9,999", pg.status, pg.doc.Find("[data-testid=usage-total] strong").Text())
	}
	if strings.Contains(pg.doc.Find("main").Text(), "harbor-dev") {
		t.Error("Crane's usage shows Harbor's tokens")
	}
	if pg := am.get("/partners/999999/usage"); pg.status != http.StatusNotFound {
		t.Errorf("usage of no partner = %d, want 404", pg.status)
	}
}

// TestUsageFilters: one API, one token, chosen days and the refusals by
// status narrow every chart and table, and a token or API of another
// partner shows nothing of it.
func TestUsageFilters(t *testing.T) {
	t.Parallel()
	p := usageWorld(t)
	tokenID := func(name string) string {
		t.Helper()
		var id string
		if err := p.store.DB().Get(&id, `SELECT id::text FROM tokens WHERE name = $1`, name); err != nil {
			t.Fatal(err)
		}
		return id
	}
	var partner int64
	if err := p.store.DB().Get(&partner, `SELECT partner_id FROM tokens WHERE name = 'harbor-admin-sandbox'`); err != nil {
		t.Fatal(err)
	}
	admin := tokenID("harbor-admin-sandbox")
	id, _ := strconv.ParseInt(admin, 10, 64)
	var refused []calls.Call
	for _, st := range []int{401, 403, 403, 429, 429, 429} {
		refused = append(refused, calls.Call{At: time.Now(), PartnerID: partner, TokenID: id, API: "tally", Operation: "op",
			Environment: "sandbox", Status: st, Method: "GET", Path: "/tally"})
	}
	writeCalls(t, p.store, refused)
	today := time.Now().UTC().Format(time.DateOnly)
	b := signedInAs(t, p, "admin@harbor.test")
	for _, tc := range []struct {
		name, query, total string
		apis, tokens       []string
		filters            int
	}{
		{"one API", "?api=berths", "5", []string{"berths 5"}, []string{"harbor-dev-sandbox 5"}, 1},
		{"one token", "?token=" + tokenID("harbor-dev-live"), "42", []string{"tally 42"}, []string{"harbor-dev-live 42"}, 1},
		{"one token and one API", "?token=" + tokenID("harbor-dev-live") + "&api=berths", "0", nil, nil, 2},
		{"another partner's token", "?token=" + tokenID("crane-secret-live"), "0", nil, nil, 1},
		{"an API nobody has", "?api=nothing-here", "0", nil, nil, 1},
		{"chosen days", "?range=custom&from=" + today + "&to=" + today, "", nil, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := b.get("/usage" + tc.query)
			if pg.status != http.StatusOK {
				t.Fatalf("GET /usage%s = %d", tc.query, pg.status)
			}
			if got := pg.doc.Find("[data-testid=usage-total] strong").Text(); tc.total != "" && got != tc.total {
				t.Errorf("total = %q, want %q", got, tc.total)
			}
			if tc.total != "" {
				if diff := cmp.Diff(tc.apis, rowsOf(pg, "apis")); diff != "" {
					t.Errorf("apis (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.tokens, rowsOf(pg, "tokens")); diff != "" {
					t.Errorf("tokens (-want +got):\n%s", diff)
				}
			}
			if got := pg.doc.Find("[data-testid=usage-filters] li").Length(); got != tc.filters {
				t.Errorf("%d filters said, want %d", got, tc.filters)
			}
			if strings.Contains(pg.doc.Find("main").Text(), "9,999") {
				t.Error("the page shows Crane's 9999 calls")
			}
			pg.doc.Find("[data-testid=usage-filter-clear]").Each(func(_ int, s *goquery.Selection) {
				if href := s.AttrOr("href", ""); strings.Contains(href, "token=") && strings.Contains(href, "api=") {
					t.Errorf("a filter's clear link %q keeps both filters", href)
				}
			})
		})
	}
	// Chosen days: today alone, hourly, with the 164 calls of today (the
	// five three hours ago may be yesterday's) and the six refusals.
	pg := b.get("/usage?range=custom&from=" + today + "&to=" + today)
	if n := pg.doc.Find("[data-testid=chart-requests] [data-testid=chart-table] tbody tr").Length(); n != 24 {
		t.Errorf("a chosen day has %d rows, want 24 hours", n)
	}
	if got := strings.Join(strings.Fields(pg.doc.Find("[data-testid=chart-refusals] [data-testid=chart-summary]").Text()), " "); !strings.HasPrefix(got, "1 calls refused for a missing, bad or expired token (401), 2 outside the grants (403) and 3 over the rate limit (429)") {
		t.Errorf("refusals summary = %q", got)
	}
	_, rows := b.getCSV("/usage/export?range=24h&chart=refusals&token=" + admin)
	if len(rows) != 25 || strings.Join(rows[24][1:], " ") != "1 2 3" {
		t.Errorf("refusals CSV of the admin's token, this hour = %q, want 1 2 3", rows[len(rows)-1])
	}
	// The token table's names link to the token alone, keeping the range.
	href := b.get("/usage?range=7d").doc.Find("[data-testid=table-tokens] [data-testid=usage-name] a").First().AttrOr("href", "")
	if !strings.Contains(href, "range=7d") || !strings.Contains(href, "token=") {
		t.Errorf("a token's link is %q, want the 7-day range and the token", href)
	}
	for _, bad := range []string{"?range=custom", "?range=custom&from=2026-02-30&to=2026-03-01", "?range=custom&from=" + today + "&to=2020-01-01",
		"?range=custom&from=2000-01-01&to=" + today, "?token=abc", "?token=-3", "?api=" + strings.Repeat("x", 101)} {
		if pg := b.get("/usage" + bad); pg.status != http.StatusBadRequest {
			t.Errorf("GET /usage%s = %d, want 400", bad, pg.status)
		}
	}
	dev := signedInAs(t, p, "dev@harbor.test")
	if got := dev.get("/usage?token=" + admin).doc.Find("[data-testid=usage-total] strong").Text(); got != "0" {
		t.Errorf("a developer filtering on their admin's token sees %q calls, want 0", got)
	}
}

// TestUsageRollupsAgree: the same calls read over 24 hours (the hourly
// rollup), 7 and 30 days (the daily ones: per partner, per token, and the
// staff's narrow ones) give the same totals and tables, for every role.
func TestUsageRollupsAgree(t *testing.T) {
	t.Parallel()
	p := usageWorld(t)
	for _, who := range []string{"dev@harbor.test", "admin@harbor.test", "am@portico.test"} {
		b := signedInAs(t, p, who)
		var first []string
		for _, q := range []string{"?range=24h", "?range=7d", "?range=30d"} {
			pg := b.get("/usage" + q)
			got := []string{pg.doc.Find("[data-testid=usage-total] strong").Text()}
			for _, table := range []string{"partners", "members", "apis", "operations", "tokens"} {
				got = append(got, table+": "+strings.Join(rowsOf(pg, table), ", "))
			}
			if first == nil {
				first = got
				continue
			}
			if diff := cmp.Diff(first, got); diff != "" {
				t.Errorf("%s: /usage%s differs from the last 24 hours (-24h +this):\n%s", who, q, diff)
			}
		}
		day, hour := b.get("/usage?range=30d&api=tally"), b.get("/usage?range=24h&api=tally")
		if d, h := day.doc.Find("[data-testid=usage-total] strong").Text(), hour.doc.Find("[data-testid=usage-total] strong").Text(); d != h || d == "0" {
			t.Errorf("%s: tally's calls over 30 days %q, over 24 hours %q; want the same, not 0", who, d, h)
		}
	}
}

// TestUsageStaffLists: staff see the partners whose error rate rose; the
// platform admin alone sees the calls that carried no credential.
func TestUsageStaffLists(t *testing.T) {
	t.Parallel()
	p := usageWorld(t)
	// Crane's 9999 calls this month use 99.99 % of a quota of 10 000.
	if _, err := p.store.DB().Exec(`
		INSERT INTO access_groups (name, rate_limit_per_minute, monthly_quota) VALUES ('Small tally', 600, 10000);
		INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT g.id, a.id, '{read}' FROM access_groups g, apis a WHERE g.name = 'Small tally' AND a.slug = 'tally';
		INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name = 'Small tally' AND u.email = 'dev@crane.test'`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who             string
		trends          []string
		anonymous       bool
		anonymousCSV    int
		noTrendsSection bool
	}{
		// Harbor: 12 of 164 calls failed today, none the week before;
		// Crane's 9999 all succeeded.
		{who: "admin@portico.test", trends: []string{"Harbor Logistics"}, anonymous: true, anonymousCSV: http.StatusOK},
		{who: "am@portico.test", trends: []string{"Harbor Logistics"}, anonymousCSV: http.StatusBadRequest},
		{who: "admin@harbor.test", noTrendsSection: true, anonymousCSV: http.StatusBadRequest},
		{who: "dev@harbor.test", noTrendsSection: true, anonymousCSV: http.StatusBadRequest},
	} {
		t.Run(tc.who, func(t *testing.T) {
			t.Parallel()
			b := signedInAs(t, p, tc.who)
			pg := b.get("/usage")
			var trends []string
			pg.doc.Find("[data-testid=usage-trends] [data-testid=trend] th").Each(func(_ int, s *goquery.Selection) {
				trends = append(trends, strings.TrimSpace(s.Text()))
			})
			if diff := cmp.Diff(tc.trends, trends); diff != "" {
				t.Errorf("error rate rising (-want +got):\n%s", diff)
			}
			if got := pg.doc.Find("[data-testid=usage-trends]").Length() == 0; got != tc.noTrendsSection {
				t.Errorf("no trends section = %v, want %v", got, tc.noTrendsSection)
			}
			var near []string
			pg.doc.Find("[data-testid=usage-near-quota] [data-testid=near-quota]").Each(func(_ int, s *goquery.Selection) {
				var cells []string
				s.Find("th, td").Each(func(_ int, c *goquery.Selection) { cells = append(cells, strings.Join(strings.Fields(c.Text()), " ")) })
				near = append(near, strings.Join(cells, " | "))
			})
			var wantNear []string
			if !tc.noTrendsSection {
				wantNear = []string{"Crane Works | Small tally | 9,999 of 10,000 (100.0 %) | "}
			}
			if len(near) != len(wantNear) || (len(near) == 1 && !strings.HasPrefix(near[0], wantNear[0])) {
				t.Errorf("close to quota = %q, want %q and its projection", near, wantNear)
			}
			chart := pg.doc.Find("[data-testid=chart-anonymous]")
			if got := chart.Length() == 1; got != tc.anonymous {
				t.Fatalf("chart of calls without a credential shown = %v, want %v", got, tc.anonymous)
			}
			if tc.anonymous && !strings.HasPrefix(strings.TrimSpace(chart.Find("[data-testid=chart-summary]").Text()), "777 calls carried no token") {
				t.Errorf("summary = %q, want the 777 calls", chart.Find("[data-testid=chart-summary]").Text())
			}
			status, rows := b.getCSV("/usage/export?range=24h&chart=anonymous")
			if status != tc.anonymousCSV {
				t.Fatalf("CSV of calls without a credential = %d, want %d", status, tc.anonymousCSV)
			}
			if status == http.StatusOK {
				var sum int
				for _, r := range rows[1:] {
					n, _ := strconv.Atoi(r[1])
					sum += n
				}
				if sum != 777 || rows[0][1] != "sandbox" {
					t.Errorf("CSV sums %d sandbox calls (header %q), want 777", sum, rows[0])
				}
			}
		})
	}
}

// TestUsageTwoChosenDays: a chosen range of two days is drawn by the hour,
// each call in its hour, for a partner (read from the hourly rollup, not
// the daily one) as for staff.
func TestUsageTwoChosenDays(t *testing.T) {
	t.Parallel()
	p := usageWorld(t)
	now := time.Now().UTC()
	today := now.Format(time.DateOnly)
	yesterday := now.AddDate(0, 0, -1).Format(time.DateOnly)
	hour := now.Truncate(time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		who      string
		thisHour []string
		total    int
	}{
		{"admin@harbor.test", []string{"117", "42"}, 164},
		{"am@portico.test", []string{"117", "10041"}, 10163},
	} {
		b := signedInAs(t, p, tc.who)
		status, rows := b.getCSV("/usage/export?range=custom&from=" + yesterday + "&to=" + today + "&chart=requests")
		if status != http.StatusOK || len(rows) != 49 {
			t.Fatalf("%s: two chosen days = %d with %d rows, want 48 hours", tc.who, status, len(rows)-1)
		}
		sum := 0
		var got []string
		for _, r := range rows[1:] {
			for _, v := range r[1:] {
				n, _ := strconv.Atoi(v)
				sum += n
			}
			if r[0] == hour {
				got = r[1:]
			}
		}
		if sum != tc.total || !cmp.Equal(got, tc.thisHour) {
			t.Errorf("%s: %d calls over the two days, %q this hour; want %d and %q", tc.who, sum, got, tc.total, tc.thisHour)
		}
	}
}
