package api_test

import (
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// pageCSV downloads one chart's CSV of the /usage page as the holder of
// cookie, without its header row.
func (e *env) pageCSV(cookie, query, chart string) [][]string {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.app.ServeHTTP(rec, newRequest(cookie, http.MethodGet, "/usage/export?"+query+"&chart="+chart, "", ""))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("GET /usage/export?%s&chart=%s = %d", query, chart, rec.Code)
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(rows) == 0 {
		e.t.Fatalf("CSV %s: %v", chart, err)
	}
	return rows[1:]
}

// TestUsageAPIMatchesPage: for each role, range and filter the answer
// holds the numbers the /usage page shows and downloads for the same
// data: the total, every bucket, every ranked table and the quotas.
func TestUsageAPIMatchesPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := e.withUsage()
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	ms := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 3, 64)
	}
	rowsOf := func(rs []usageRowBody, name func(usageRowBody) (string, string)) [][]string {
		out := [][]string{}
		for _, r := range rs {
			a, b := name(r)
			out = append(out, []string{a, b, n(r.Calls), n(r.ClientErrors), n(r.ServerErrors), n(r.Unauthorized), n(r.Forbidden),
				n(r.RateLimited), ms(r.P95)})
		}
		return out
	}
	today := time.Now().UTC()
	custom := "range=custom&from=" + today.AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly)
	live := strconv.FormatInt(ids["harbor-dev-live"], 10)
	for _, who := range []string{"dev@harbor.test", "admin@harbor.test", "admin@crane.test", "am@portico.test", "admin@portico.test"} {
		cookie := e.signIn(who)
		// The page's query and the API's: the same but the token filter's name.
		for _, q := range [][2]string{
			{"range=24h", ""}, {"range=7d", ""}, {"range=30d", ""}, {custom, ""},
			{"range=7d&api=tally", ""}, {"range=24h&token=" + live, "range=24h&token_id=" + live},
		} {
			page, api := q[0], q[1]
			if api == "" {
				api = page
			}
			t.Run(who+" "+api, func(t *testing.T) {
				got := decodeBody[usageBody](t, e.call(cookie, http.MethodGet, "/api/v1/usage?"+api, ""))
				rec := httptest.NewRecorder()
				e.app.ServeHTTP(rec, newRequest(cookie, http.MethodGet, "/usage?"+page, "", ""))
				doc, err := goquery.NewDocumentFromReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				// The page writes thousands with commas: 10,168.
				if total := strings.ReplaceAll(doc.Find("[data-testid=usage-total] strong").Text(), ",", ""); total != n(got.Totals.Calls) {
					t.Errorf("page total %q, API %d", total, got.Totals.Calls)
				}
				charts := map[string][][]string{"requests": {}, "errors": {}, "refusals": {}, "latency": {}}
				for _, b := range got.Series {
					at := b.Start.Format(time.RFC3339)
					charts["requests"] = append(charts["requests"], []string{at, n(b.Sandbox), n(b.Live)})
					charts["errors"] = append(charts["errors"], []string{at, n(b.ClientErrors), n(b.ServerErrors)})
					charts["refusals"] = append(charts["refusals"], []string{at, n(b.Unauthorized), n(b.Forbidden), n(b.RateLimited)})
					charts["latency"] = append(charts["latency"], []string{at, n(b.Calls), ms(b.P50), ms(b.P95)})
				}
				charts["apis"] = rowsOf(got.APIs, func(r usageRowBody) (string, string) { return r.API, "" })
				charts["operations"] = rowsOf(got.Operations, func(r usageRowBody) (string, string) { return r.Operation, r.API })
				if got.Tokens != nil {
					charts["tokens"] = rowsOf(got.Tokens, func(r usageRowBody) (string, string) {
						return r.Name, r.Hint + " · " + r.Environment + " · " + r.Owner
					})
				}
				if got.Members != nil {
					charts["members"] = rowsOf(got.Members, func(r usageRowBody) (string, string) { return r.Name, r.Email })
				}
				if got.Partners != nil {
					charts["partners"] = rowsOf(got.Partners, func(r usageRowBody) (string, string) { return r.Name, "" })
				}
				if got.Anonymous != nil {
					charts["anonymous"] = [][]string{}
					for _, b := range got.Anonymous.Series {
						charts["anonymous"] = append(charts["anonymous"], []string{b.Start.Format(time.RFC3339), n(b.Sandbox), n(b.Live)})
					}
				}
				var trends []string
				doc.Find("[data-testid=trend] th").Each(func(_ int, s *goquery.Selection) { trends = append(trends, s.Text()) })
				var rising []string
				for _, r := range got.Rising {
					rising = append(rising, r.Partner)
				}
				if diff := cmp.Diff(trends, rising); diff != "" {
					t.Errorf("error rate rising: page (-) and API (+) differ:\n%s", diff)
				}
				for chart, want := range charts {
					if diff := cmp.Diff(e.pageCSV(cookie, page, chart), want); diff != "" {
						t.Errorf("%s: page's CSV (-) and API (+) differ:\n%s", chart, diff)
					}
				}
				if got.Quotas == nil {
					return
				}
				quotas := e.pageCSV(cookie, page, "quotas")
				if len(quotas) != len(got.Quotas) {
					t.Fatalf("page has %d quotas, API %d", len(quotas), len(got.Quotas))
				}
				for i, q := range got.Quotas {
					if diff := cmp.Diff(quotas[i][:3], []string{q.Group, n(q.Quota), n(q.Used)}); diff != "" {
						t.Errorf("quota %d (-page +API):\n%s", i, diff)
					}
					// Both project from their own now, a few ms apart.
					if p, _ := strconv.ParseInt(quotas[i][3], 10, 64); p-q.Projected > 1 || q.Projected-p > 1 {
						t.Errorf("quota %s projected %d on the page, %d by the API", q.Group, p, q.Projected)
					}
				}
			})
		}
	}
}
