package handlers

import (
	"fmt"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// maxTrends bounds the "error rate rising" and "close to quota" lists.
const maxTrends = 10

// staffUsage adds what only the provider's staff see on /usage: the
// partners whose calls fail more than they did, those close to a monthly
// quota (of an account manager's own partners), and, for the platform
// admin, the calls that carried no credential.
func (h *Handler) staffUsage(c echo.Context, m *views.UsagePage, rng usage.Range, q usageQuery, csv func(string) string) error {
	ctx := c.Request().Context()
	now := time.Now()
	book := actorOf(currentUser(c)).Book()
	trends, err := h.store.ErrorRatesRising(ctx, now, book, maxTrends)
	if err != nil {
		return err
	}
	m.ShowTrends = true
	for _, t := range trends {
		base := "no calls"
		if t.BaseCalls > 0 {
			base = percent(t.BaseErrors, t.BaseCalls) + " of " + formatCount(t.BaseCalls)
		}
		m.Trends = append(m.Trends, views.UsageTrend{Partner: t.Name, Href: fmt.Sprintf("/partners/%d/usage", t.PartnerID),
			Now: percent(t.Errors, t.Calls) + " of " + formatCount(t.Calls), Before: base})
	}
	alerts, err := h.store.QuotaAlerts(ctx, usage.MonthStart(now), usage.NearQuotaPercent, book, maxTrends)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		m.NearQuota = append(m.NearQuota, views.UsageQuotaAlert{Partner: a.PartnerName, Href: fmt.Sprintf("/partners/%d/usage", a.PartnerID),
			UsageQuota: quotaRow(store.QuotaUse{GroupID: a.GroupID, Name: a.GroupName, Quota: a.Quota, Used: a.Used}, now)})
	}
	if access.Can(actorOf(currentUser(c)), access.ViewAnonymousUsage, 0) != access.Allow {
		return nil
	}
	points, err := h.store.UsageWithoutCredential(ctx, rng.From, rng.To, rng.Step)
	if err != nil {
		return err
	}
	s := usage.Sum(points, rng)
	ch := anonymousChart(s, rng, csv)
	m.Anonymous = &ch
	return nil
}

// anonymousChart is the calls that carried no credential, per bucket.
func anonymousChart(s usage.Sums, rng usage.Range, csv func(string) string) views.UsageChart {
	ch := views.UsageChart{ID: "anonymous", Title: "Calls without a credential per " + rng.Unit(), CSVHref: csv("anonymous"), Unit: "calls",
		Summary: fmt.Sprintf("%s calls carried no token, or one the gateway did not know, and were refused before any partner was known: "+
			"a client that lost its token, or someone trying tokens. They count for no partner.", formatCount(s.Total)),
		Series: []views.UsageSeries{countSeries("sandbox", views.ColourSandbox, s.Sandbox), countSeries("live", views.ColourLive, s.Live)}}
	for i := range rng.Buckets {
		ch.Labels = append(ch.Labels, rng.BucketLabel(i))
	}
	return ch
}
