package handlers

import (
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// usageQuery is what a dashboard's URL asks for: a time range (24h, 7d,
// 30d or chosen days) and the filters, one API and one token.
type usageQuery struct {
	rng      usage.Range
	from, to string
	api      string
	token    int64
}

// readUsageQuery checks ?range=, ?from=, ?to=, ?api= and ?token= before
// any query (usage.ParseQuery, which the management API shares).
func readUsageQuery(c echo.Context, now time.Time) (usageQuery, error) {
	q, qe := usage.ParseQuery(c.QueryParams(), "token", now)
	if qe != nil {
		return usageQuery{}, BadRequest(qe.Message)
	}
	return usageQuery{rng: q.Range, from: q.From, to: q.To, api: q.API, token: q.Token}, nil
}

// scope narrows sc to the query's filters.
func (q usageQuery) scope(sc store.UsageScope) store.UsageScope {
	sc.API, sc.TokenID = q.api, q.token
	return sc
}

// values are the query as URL parameters, with the changes given as
// name, value pairs ("" removes one).
func (q usageQuery) values(changes ...string) url.Values {
	v := url.Values{}
	v.Set("range", q.rng.Name)
	if q.rng.Name == "custom" {
		v.Set("from", q.from)
		v.Set("to", q.to)
	}
	if q.api != "" {
		v.Set("api", q.api)
	}
	if q.token != 0 {
		v.Set("token", strconv.FormatInt(q.token, 10))
	}
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			v.Del(changes[i])
		} else {
			v.Set(changes[i], changes[i+1])
		}
	}
	return v
}

// href is base with the query, changed as values says.
func (q usageQuery) href(base string, changes ...string) string {
	return base + "?" + q.values(changes...).Encode()
}

// usageFilters fills the page's range form and says the filters in force,
// each with a link that drops it; tokenName names the token filtered on
// when the token table found it.
func usageFilters(m *views.UsagePage, q usageQuery, path, tokenName string, now time.Time) {
	for _, name := range usage.RangeNames {
		r, _ := usage.ParseRange(name, now)
		m.Ranges = append(m.Ranges, views.AuditOption{Value: name, Label: r.Label, Selected: name == q.rng.Name})
	}
	m.Ranges = append(m.Ranges, views.AuditOption{Value: "custom", Label: "Chosen days (below)", Selected: q.rng.Name == "custom"})
	m.From, m.To, m.API, m.Token = q.from, q.to, q.api, q.token
	if m.From == "" {
		m.From = q.rng.From.Format(time.DateOnly)
		m.To = q.rng.To.Add(-time.Nanosecond).Format(time.DateOnly)
	}
	m.Today = now.UTC().Format(time.DateOnly)
	if q.api != "" {
		m.Filters = append(m.Filters, views.UsageFilter{Text: "API " + q.api, ClearHref: q.href(path, "api", "")})
	}
	if q.token != 0 {
		text := "token " + tokenName
		if tokenName == "" {
			// Not in the token table: no calls in this range, or a
			// view without one (staff's).
			text = "token number " + strconv.FormatInt(q.token, 10)
		}
		m.Filters = append(m.Filters, views.UsageFilter{Text: text, ClearHref: q.href(path, "token", "")})
	}
}
