package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
)

// usageRequest is what GET /api/v1/usage asks for: a range and the
// filters, one API and one token.
type usageRequest struct {
	rng     usage.Range
	api     string
	tokenID int64
}

// readUsageRequest checks ?range= (24h, 7d, 30d, or custom with ?from=
// and ?to=, whole UTC days), ?api= and ?token_id= before any query, with
// the page's reader (usage.ParseQuery). An API or a token outside the
// caller's scope is not refused: it counts no calls, as one that does not
// exist. Unlike the page's form, an API client that sends from or to
// without range=custom is told.
func readUsageRequest(c echo.Context, now time.Time) (usageRequest, error) {
	if c.QueryParam("range") != "custom" && (c.QueryParam("from") != "" || c.QueryParam("to") != "") {
		return usageRequest{}, badRequest("from and to go with range=custom.")
	}
	q, qe := usage.ParseQuery(c.QueryParams(), "token_id", now)
	if qe != nil {
		return usageRequest{}, badRequest(qe.Param + ": " + qe.Message)
	}
	return usageRequest{rng: q.Range, api: q.API, tokenID: q.Token}, nil
}

// getUsage answers the caller's usage: the numbers of the /usage
// dashboards for the same caller, range and filters, read through the
// same store functions and sums. Whose usage comes from the policy
// (usage.ViewFor), never from a parameter.
func (a *API) getUsage(c echo.Context) error {
	actor, _ := c.Get(actorKey).(access.Actor)
	v, ok := usage.ViewFor(actor)
	if !ok {
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Your role does not allow this."}
	}
	if err := requireScope(c, v.Action()); err != nil {
		return err
	}
	now := time.Now()
	req, err := readUsageRequest(c, now)
	if err != nil {
		return err
	}
	rng, sc := req.rng, v.Scope
	sc.API, sc.TokenID = req.api, req.tokenID
	ctx := c.Request().Context()
	points, err := a.Store.UsageSeries(ctx, sc, rng.From, rng.To, rng.Step)
	if err != nil {
		return err
	}
	out := newUsageAnswer(v, req, usage.Sum(points, rng))
	if v.Everyone {
		rows, err := a.Store.UsageByPartner(ctx, sc, rng.From, rng.To, usage.TopRows)
		if err != nil {
			return err
		}
		out.Partners = make([]usagePartner, 0, len(rows))
		for _, r := range rows {
			out.Partners = append(out.Partners, usagePartner{ID: r.ID, Name: r.Name, usageCounts: countsOf(r.UsageCounts), P95: p95Of(r)})
		}
		if err := a.staffUsage(ctx, actor, rng, now, &out); err != nil {
			return err
		}
	}
	rows, err := a.Store.UsageByAPI(ctx, sc, rng.From, rng.To, usage.TopRows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		out.APIs = append(out.APIs, usageAPI{API: r.Name, usageCounts: countsOf(r.UsageCounts), P95: p95Of(r)})
	}
	if rows, err = a.Store.UsageByOperation(ctx, sc, rng.From, rng.To, usage.TopRows); err != nil {
		return err
	}
	for _, r := range rows {
		out.Operations = append(out.Operations, usageOperation{Operation: r.Name, API: r.Detail, usageCounts: countsOf(r.UsageCounts), P95: p95Of(r)})
	}
	// Staff see tokens partner by partner, as on the page: every
	// partner's tokens over days is the biggest rollup read of all.
	if !v.Everyone {
		tokens, members, err := a.Store.UsageByTokenAndMember(ctx, sc, rng.From, rng.To, usage.TopRows, v.Partner)
		if err != nil {
			return err
		}
		out.Tokens = make([]usageToken, 0, len(tokens))
		for _, r := range tokens {
			hint, env, owner := tokenDetail(r.Detail)
			out.Tokens = append(out.Tokens, usageToken{ID: r.ID, Name: r.Name, Hint: hint, Environment: env, Owner: owner,
				usageCounts: countsOf(r.UsageCounts), P95: p95Of(r)})
		}
		if v.Partner {
			out.Members = make([]usageMember, 0, len(members))
			for _, r := range members {
				out.Members = append(out.Members, usageMember{ID: r.ID, Name: r.Name, Email: r.Detail, usageCounts: countsOf(r.UsageCounts)})
			}
		}
	}
	if v.Partner {
		qs, err := a.Store.QuotaUses(ctx, v.Scope.PartnerID, usage.MonthStart(now))
		if err != nil {
			return err
		}
		out.Quotas = make([]usageQuota, 0, len(qs))
		for _, q := range qs {
			out.Quotas = append(out.Quotas, usageQuota{GroupID: q.GroupID, Group: q.Name, Quota: q.Quota, Used: q.Used,
				Projected: usage.Projection(q.Used, now)})
		}
	}
	return c.JSON(http.StatusOK, out)
}

func p95Of(r store.UsageRow) *float64 { return millis(usage.HistogramOf(r.Latency), 0.95) }

// tokenDetail splits a token row's detail ("hint · environment · owner",
// as the page shows it): neither a hint nor an environment holds " · ",
// so the owner's name is the rest, whatever it holds.
func tokenDetail(d string) (hint, env, owner string) {
	parts := strings.SplitN(d, " · ", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
}
