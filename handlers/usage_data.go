package handlers

import (
	"fmt"
	"strconv"
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// quantileText says the q-quantile of h ("–" without calls).
func quantileText(h usage.Histogram, q float64) string {
	d, over, ok := h.Quantile(q)
	switch {
	case !ok:
		return "–"
	case over:
		return "> " + latencyText(d.Microseconds())
	}
	return latencyText(d.Microseconds())
}

// quantileMS is the q-quantile of h in milliseconds, "" without calls.
func quantileMS(h usage.Histogram, q float64) string {
	ms, _, ok := h.Millis(q)
	if !ok {
		return ""
	}
	return strconv.FormatFloat(ms, 'f', 3, 64)
}

// count writes n plainly, as the CSV downloads do.
func count(n int64) string { return strconv.FormatInt(n, 10) }

func percent(part, whole int64) string {
	if whole == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(part)/float64(whole))
}

// series builds a chart series from counts.
func countSeries(name, colour string, vs []int64) views.UsageSeries {
	s := views.UsageSeries{Name: name, Colour: colour}
	for _, v := range vs {
		s.Values, s.Text = append(s.Values, float64(v)), append(s.Text, formatCount(v))
	}
	return s
}

func sum(vs []int64) int64 {
	var n int64
	for _, v := range vs {
		n += v
	}
	return n
}

// usageCharts are the dashboard's four charts: requests per environment,
// errors per class, refusals by status and latency quantiles, each bucket
// of rng.
func usageCharts(s usage.Sums, rng usage.Range, csv func(string) string) []views.UsageChart {
	var labels []string
	for i := range rng.Buckets {
		labels = append(labels, rng.BucketLabel(i))
	}
	unit := rng.Unit()
	busiest, most := 0, int64(-1)
	for i := range rng.Buckets {
		if n := s.Sandbox[i] + s.Live[i]; n > most {
			busiest, most = i, n
		}
	}
	reqSummary := fmt.Sprintf("%s calls: %s sandbox, %s live.", formatCount(s.Total), formatCount(sum(s.Sandbox)), formatCount(sum(s.Live)))
	if s.Total > 0 {
		reqSummary += fmt.Sprintf(" The busiest %s was %s (UTC) with %s calls.", unit, labels[busiest], formatCount(most))
	}
	e4, e5 := sum(s.ClientErrors), sum(s.ServerErrors)
	errSummary := fmt.Sprintf("%s client errors (4xx, %s of calls) and %s server errors (5xx, %s).", formatCount(e4), percent(e4, s.Total), formatCount(e5), percent(e5, s.Total))
	latSummary := "No calls, so no latency."
	if s.Total > 0 {
		latSummary = fmt.Sprintf("Over the whole range, half the calls took at most %s (p50) and 95 %% at most %s (p95), estimated from the latency histogram.",
			quantileText(s.All, 0.5), quantileText(s.All, 0.95))
	}
	r1, r3, r9 := sum(s.Unauthorized), sum(s.Forbidden), sum(s.RateLimited)
	refusalSummary := fmt.Sprintf("%s calls refused for a missing, bad or expired token (401), %s outside the grants (403) and %s over the rate limit (429).",
		formatCount(r1), formatCount(r3), formatCount(r9))
	p50 := views.UsageSeries{Name: "p50", Colour: views.ColourP50}
	p95 := views.UsageSeries{Name: "p95", Colour: views.ColourP95}
	for i := range rng.Buckets {
		for _, q := range []struct {
			s *views.UsageSeries
			q float64
		}{{&p50, 0.5}, {&p95, 0.95}} {
			d, _, ok := s.Hist[i].Quantile(q.q)
			text := ""
			if ok {
				text = quantileText(s.Hist[i], q.q)
			}
			q.s.Values, q.s.Text = append(q.s.Values, float64(d)/float64(time.Millisecond)), append(q.s.Text, text)
		}
	}
	return []views.UsageChart{
		{ID: "requests", Title: "Requests per " + unit, Summary: reqSummary, CSVHref: csv("requests"), Labels: labels, Unit: "calls",
			Series: []views.UsageSeries{countSeries("sandbox", views.ColourSandbox, s.Sandbox), countSeries("live", views.ColourLive, s.Live)}},
		{ID: "errors", Title: "Errors per " + unit, Summary: errSummary, CSVHref: csv("errors"), Labels: labels, Unit: "calls",
			Series: []views.UsageSeries{countSeries("4xx", views.Colour4xx, s.ClientErrors), countSeries("5xx", views.Colour5xx, s.ServerErrors)}},
		{ID: "refusals", Title: "Refusals per " + unit, Summary: refusalSummary, CSVHref: csv("refusals"), Labels: labels, Unit: "calls",
			Series: []views.UsageSeries{countSeries("401", views.Colour401, s.Unauthorized), countSeries("403", views.Colour403, s.Forbidden),
				countSeries("429", views.Colour429, s.RateLimited)}},
		{ID: "latency", Title: "Latency per " + unit, Summary: latSummary, CSVHref: csv("latency"), Labels: labels, Unit: "ms", Lines: true,
			Series: []views.UsageSeries{p50, p95}},
	}
}

// usageTables title the ranked tables.
var usageTables = map[string]struct{ title, summary, name, detail string }{
	"partners":   {"Top consumers", "The partners that made the most calls in this range.", "Partner", ""},
	"members":    {"Calls per member", "Each member's share: the calls of the tokens they own.", "Member", "Email"},
	"apis":       {"Calls per API", "The APIs called most in this range; choose one to see its calls alone.", "API", ""},
	"operations": {"Calls per operation", "The operations called most in this range.", "Operation", "API"},
	"tokens":     {"Calls per token", "The tokens that made the most calls in this range; choose one to see its calls alone.", "Token", "Hint · environment · owner"},
}

// usageTableOf says rows in words; total is the range's calls (for the
// shares).
func usageTableOf(id string, rows []store.UsageRow, total int64) views.UsageTable {
	d := usageTables[id]
	t := views.UsageTable{ID: id, Title: d.title, Summary: fmt.Sprintf("%s At most %d rows.", d.summary, usageTop), NameHeader: d.name, DetailHeader: d.detail}
	for _, r := range rows {
		t.Rows = append(t.Rows, views.UsageTableRow{Name: r.Name, Detail: r.Detail, Calls: formatCount(r.Calls), Share: percent(r.Calls, total),
			ClientErrors: formatCount(r.ClientErrors), ServerErrors: formatCount(r.ServerErrors), Refused: formatCount(r.Unauthorized + r.Forbidden + r.RateLimited),
			P95: quantileText(usage.HistogramOf(r.Latency), 0.95)})
	}
	return t
}

// quotaRow says a quota's use and projection.
func quotaRow(q store.QuotaUse, now time.Time) views.UsageQuota {
	proj := usage.Projection(q.Used, now)
	return views.UsageQuota{Group: q.Name, Quota: formatCount(q.Quota), Used: formatCount(q.Used), Percent: percent(q.Used, q.Quota),
		Projected: formatCount(proj), Over: proj > q.Quota}
}
