package handlers

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
)

// exportUsage is /usage/export: the series behind one chart or table of
// /usage (?chart=), as CSV, in the same scope and range.
func (h *Handler) exportUsage(c echo.Context) error {
	v, err := h.usageViewOf(c)
	if err != nil {
		return err
	}
	return h.writeUsageCSV(c, v)
}

// staffExportUsage is /partners/:id/usage/export.
func (h *Handler) staffExportUsage(c echo.Context) error {
	v, err := h.staffUsageViewOf(c)
	if err != nil {
		return err
	}
	return h.writeUsageCSV(c, v)
}

// writeUsageCSV checks the range and chart before any query, then writes
// the whole file (a few hundred rows at most) or an error page.
func (h *Handler) writeUsageCSV(c echo.Context, v usageView) error {
	now := time.Now()
	q, err := readUsageQuery(c, now)
	if err != nil {
		return err
	}
	rng, sc := q.rng, q.scope(v.scope)
	chart := c.QueryParam("chart")
	switch chart {
	case "requests", "errors", "refusals", "latency", "apis", "operations":
	case "tokens":
		if v.everyone {
			return BadRequest("Tokens are shown partner by partner: choose a partner in Top consumers, or download requests, errors, refusals, latency, apis, operations or partners.")
		}
	case "partners":
		if !v.everyone {
			return BadRequest("Top consumers are for provider staff: choose requests, errors, refusals, latency, apis, operations or tokens.")
		}
	case "anonymous":
		if !v.everyone || access.Can(actorOf(currentUser(c)), access.ViewAnonymousUsage, 0) != access.Allow {
			return BadRequest("Calls without a credential are for platform admins: choose requests, errors, refusals, latency, apis or operations.")
		}
	case "members", "quotas":
		if !v.partner {
			return BadRequest("Members and quotas are shown for one partner: choose requests, errors, refusals, latency, apis, operations or tokens.")
		}
	default:
		return BadRequest("Choose what to download: requests, errors, refusals, latency, apis, operations, tokens, members, quotas or partners.")
	}
	ctx := c.Request().Context()
	var rows [][]string
	stamp := func(i int) string { return rng.Start(i).Format(time.RFC3339) }
	switch chart {
	case "requests", "errors", "refusals", "latency", "anonymous":
		var points []store.UsagePoint
		if chart == "anonymous" {
			points, err = h.store.UsageWithoutCredential(ctx, rng.From, rng.To, rng.Step)
		} else {
			points, err = h.store.UsageSeries(ctx, sc, rng.From, rng.To, rng.Step)
		}
		if err != nil {
			return err
		}
		s := usage.Sum(points, rng)
		rows = append(rows, map[string][]string{"requests": {"bucket_start", "sandbox", "live"}, "anonymous": {"bucket_start", "sandbox", "live"},
			"errors":   {"bucket_start", "client_errors_4xx", "server_errors_5xx"},
			"refusals": {"bucket_start", "unauthorized_401", "forbidden_403", "rate_limited_429"}, "latency": {"bucket_start", "calls", "p50_ms", "p95_ms"}}[chart])
		for i := range rng.Buckets {
			switch chart {
			case "requests", "anonymous":
				rows = append(rows, []string{stamp(i), count(s.Sandbox[i]), count(s.Live[i])})
			case "errors":
				rows = append(rows, []string{stamp(i), count(s.ClientErrors[i]), count(s.ServerErrors[i])})
			case "refusals":
				rows = append(rows, []string{stamp(i), count(s.Unauthorized[i]), count(s.Forbidden[i]), count(s.RateLimited[i])})
			default:
				rows = append(rows, []string{stamp(i), count(s.Hist[i].Total()), quantileMS(s.Hist[i], 0.5), quantileMS(s.Hist[i], 0.95)})
			}
		}
	case "quotas":
		qs, err := h.store.QuotaUses(ctx, v.scope.PartnerID, usage.MonthStart(now))
		if err != nil {
			return err
		}
		rows = append(rows, []string{"access_group", "monthly_quota", "used_this_month", "projected_at_month_end"})
		for _, q := range qs {
			rows = append(rows, []string{spreadsheetSafe(q.Name), count(q.Quota), count(q.Used), count(usage.Projection(q.Used, now))})
		}
	default:
		var list []store.UsageRow
		switch chart {
		case "apis":
			list, err = h.store.UsageByAPI(ctx, sc, rng.From, rng.To, usageTop)
		case "operations":
			list, err = h.store.UsageByOperation(ctx, sc, rng.From, rng.To, usageTop)
		case "tokens":
			list, _, err = h.store.UsageByTokenAndMember(ctx, sc, rng.From, rng.To, usageTop, false)
		case "members":
			_, list, err = h.store.UsageByTokenAndMember(ctx, sc, rng.From, rng.To, usageTop, true)
		case "partners":
			list, err = h.store.UsageByPartner(ctx, sc, rng.From, rng.To, usageTop)
		}
		if err != nil {
			return err
		}
		rows = append(rows, []string{"name", "detail", "calls", "client_errors_4xx", "server_errors_5xx",
			"unauthorized_401", "forbidden_403", "rate_limited_429", "p95_ms"})
		for _, r := range list {
			rows = append(rows, []string{spreadsheetSafe(r.Name), spreadsheetSafe(r.Detail), count(r.Calls), count(r.ClientErrors),
				count(r.ServerErrors), count(r.Unauthorized), count(r.Forbidden), count(r.RateLimited), quantileMS(usage.HistogramOf(r.Latency), 0.95)})
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="portico-usage-`+chart+`-`+rng.Name+`-`+now.UTC().Format("20060102-1504")+`.csv"`)
	res.Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
