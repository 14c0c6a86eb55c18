package handlers

import (
	"fmt"
	"strconv"
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// usageSums are a range's calls per bucket, summed from the rollup's
// points.
type usageSums struct {
	sandbox, live, c4xx, c5xx []int64
	// c401, c403 and c429 are refusals the partner can act on: a bad or
	// expired token, a call outside the grants, the rate limit.
	c401, c403, c429 []int64
	hist             []usage.Histogram
	all              usage.Histogram
	total            int64
}

// sumSeries adds the points up per bucket of rng.
func sumSeries(points []store.UsagePoint, rng usage.Range) usageSums {
	n := rng.Buckets
	s := usageSums{sandbox: make([]int64, n), live: make([]int64, n), c4xx: make([]int64, n), c5xx: make([]int64, n),
		c401: make([]int64, n), c403: make([]int64, n), c429: make([]int64, n), hist: make([]usage.Histogram, n)}
	for _, p := range points {
		i := p.Bucket
		if i < 0 || i >= n {
			continue
		}
		if p.Environment == "live" {
			s.live[i] += p.Calls
		} else {
			s.sandbox[i] += p.Calls
		}
		s.c4xx[i] += p.ClientErrors
		s.c5xx[i] += p.ServerErrors
		s.c401[i] += p.Unauthorized
		s.c403[i] += p.Forbidden
		s.c429[i] += p.RateLimited
		h := histogram(p.Latency)
		s.hist[i].Add(h)
		s.all.Add(h)
		s.total += p.Calls
	}
	return s
}

// histogram copies a rollup histogram read from the database.
func histogram(a []int64) usage.Histogram {
	var h usage.Histogram
	copy(h[:], a)
	return h
}

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
	d, _, ok := h.Quantile(q)
	if !ok {
		return ""
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
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

// charts are the dashboard's four charts: requests per environment,
// errors per class, refusals by status and latency quantiles, each bucket
// of rng.
func (s usageSums) charts(rng usage.Range, csv func(string) string) []views.UsageChart {
	var labels []string
	for i := range rng.Buckets {
		labels = append(labels, rng.BucketLabel(i))
	}
	unit := rng.Unit()
	busiest, most := 0, int64(-1)
	for i := range rng.Buckets {
		if n := s.sandbox[i] + s.live[i]; n > most {
			busiest, most = i, n
		}
	}
	reqSummary := fmt.Sprintf("%s calls: %s sandbox, %s live.", formatCount(s.total), formatCount(sum(s.sandbox)), formatCount(sum(s.live)))
	if s.total > 0 {
		reqSummary += fmt.Sprintf(" The busiest %s was %s (UTC) with %s calls.", unit, labels[busiest], formatCount(most))
	}
	e4, e5 := sum(s.c4xx), sum(s.c5xx)
	errSummary := fmt.Sprintf("%s client errors (4xx, %s of calls) and %s server errors (5xx, %s).", formatCount(e4), percent(e4, s.total), formatCount(e5), percent(e5, s.total))
	latSummary := "No calls, so no latency."
	if s.total > 0 {
		latSummary = fmt.Sprintf("Over the whole range, half the calls took at most %s (p50) and 95 %% at most %s (p95), estimated from the latency histogram.",
			quantileText(s.all, 0.5), quantileText(s.all, 0.95))
	}
	r1, r3, r9 := sum(s.c401), sum(s.c403), sum(s.c429)
	refusalSummary := fmt.Sprintf("%s calls refused for a missing, bad or expired token (401), %s outside the grants (403) and %s over the rate limit (429).",
		formatCount(r1), formatCount(r3), formatCount(r9))
	p50 := views.UsageSeries{Name: "p50", Colour: views.ColourP50}
	p95 := views.UsageSeries{Name: "p95", Colour: views.ColourP95}
	for i := range rng.Buckets {
		for _, q := range []struct {
			s *views.UsageSeries
			q float64
		}{{&p50, 0.5}, {&p95, 0.95}} {
			d, _, ok := s.hist[i].Quantile(q.q)
			text := ""
			if ok {
				text = quantileText(s.hist[i], q.q)
			}
			q.s.Values, q.s.Text = append(q.s.Values, float64(d)/float64(time.Millisecond)), append(q.s.Text, text)
		}
	}
	return []views.UsageChart{
		{ID: "requests", Title: "Requests per " + unit, Summary: reqSummary, CSVHref: csv("requests"), Labels: labels, Unit: "calls",
			Series: []views.UsageSeries{countSeries("sandbox", views.ColourSandbox, s.sandbox), countSeries("live", views.ColourLive, s.live)}},
		{ID: "errors", Title: "Errors per " + unit, Summary: errSummary, CSVHref: csv("errors"), Labels: labels, Unit: "calls",
			Series: []views.UsageSeries{countSeries("4xx", views.Colour4xx, s.c4xx), countSeries("5xx", views.Colour5xx, s.c5xx)}},
		{ID: "refusals", Title: "Refusals per " + unit, Summary: refusalSummary, CSVHref: csv("refusals"), Labels: labels, Unit: "calls",
			Series: []views.UsageSeries{countSeries("401", views.Colour401, s.c401), countSeries("403", views.Colour403, s.c403),
				countSeries("429", views.Colour429, s.c429)}},
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
			P95: quantileText(histogram(r.Latency), 0.95)})
	}
	return t
}

// quotaRow says a quota's use and projection.
func quotaRow(q store.QuotaUse, now time.Time) views.UsageQuota {
	proj := usage.Projection(q.Used, now)
	return views.UsageQuota{Group: q.Name, Quota: formatCount(q.Quota), Used: formatCount(q.Used), Percent: percent(q.Used, q.Quota),
		Projected: formatCount(proj), Over: proj > q.Quota}
}
