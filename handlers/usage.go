package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// usageTop bounds every ranked table of the dashboards (and its CSV).
const usageTop = usage.TopRows

// usageView is whose usage a dashboard shows, as the policy decided: the
// scope of the rollup it reads and which tables it has.
type usageView struct {
	scope store.UsageScope
	// everyone: every partner's usage (staff), with the top consumers.
	everyone bool
	// partner: one partner's usage, with its members' shares and quotas.
	partner        bool
	heading, intro string
	// path is the page's, csvPath its CSV download's.
	path, csvPath string
	// partnerName and partnerHref lead back to the staff's partner page.
	partnerName, partnerHref string
}

// usageViewOf decides the scope of /usage for the signed-in user: every
// partner for a platform admin, their own partners for an account
// manager, their partner for a partner admin, their own tokens for a
// developer (usage.ViewFor, which the management API asks too). Never
// from the request.
func (h *Handler) usageViewOf(c echo.Context) (usageView, error) {
	u := currentUser(c)
	if u == nil {
		return usageView{}, &Error{Status: http.StatusUnauthorized, Message: "Please sign in to continue."}
	}
	uv, ok := usage.ViewFor(actorOf(u))
	if !ok {
		return usageView{}, &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Your role does not allow this. Ask your organisation's portal admin."}
	}
	v := usageView{scope: uv.Scope, everyone: uv.Everyone, partner: uv.Partner, path: "/usage", csvPath: "/usage/export"}
	switch {
	case v.everyone && v.scope.Book != 0:
		v.heading, v.intro = "Usage", "Calls through the gateway by the partners you manage: the top consumers, the APIs and the operations."
	case v.everyone:
		v.heading, v.intro = "Usage", "Calls through the gateway by every partner: the top consumers, the APIs and the tokens."
	case v.partner:
		v.heading, v.intro = "Usage", "Calls through the gateway by your organisation's tokens, each member's share, and the monthly quotas."
	default:
		v.heading, v.intro = "Your usage", "Calls through the gateway made with your own tokens."
	}
	return v, nil
}

// staffUsageViewOf is /partners/:id/usage: one partner's dashboards, for
// staff; the partner comes from the path.
func (h *Handler) staffUsageViewOf(c echo.Context) (usageView, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return usageView{}, err
	}
	if err := h.authorize(c, access.StaffPartnerUsage, id); err != nil {
		return usageView{}, err
	}
	p, err := h.partnerOr404(c.Request().Context(), id)
	if err != nil {
		return usageView{}, err
	}
	path := fmt.Sprintf("/partners/%d/usage", id)
	return usageView{scope: store.UsageScope{PartnerID: id}, partner: true, heading: "Usage of " + p.Name,
		intro: "Calls through the gateway by " + p.Name + "'s tokens, each member's share, and the monthly quotas.",
		path:  path, csvPath: path + "/export", partnerName: p.Name, partnerHref: fmt.Sprintf("/partners/%d", id)}, nil
}

// usagePage shows /usage.
func (h *Handler) usagePage(c echo.Context) error {
	v, err := h.usageViewOf(c)
	if err != nil {
		return err
	}
	return h.renderUsage(c, v)
}

// staffUsagePage shows /partners/:id/usage.
func (h *Handler) staffUsagePage(c echo.Context) error {
	v, err := h.staffUsageViewOf(c)
	if err != nil {
		return err
	}
	return h.renderUsage(c, v)
}

func (h *Handler) renderUsage(c echo.Context, v usageView) error {
	now := time.Now()
	q, err := readUsageQuery(c, now)
	if err != nil {
		return err
	}
	rng, sc := q.rng, q.scope(v.scope)
	ctx := c.Request().Context()
	m := views.UsagePage{Page: h.page(c, v.heading), Heading: v.heading, Intro: v.intro, Action: v.path,
		RangeLabel: rng.Label, Bounded: usageTop, PartnerName: v.partnerName, PartnerHref: v.partnerHref}
	csv := func(chart string) string { return q.href(v.csvPath, "chart", chart) }
	points, err := h.store.UsageSeries(ctx, sc, rng.From, rng.To, rng.Step)
	if err != nil {
		return err
	}
	s := usage.Sum(points, rng)
	m.Total, m.Empty = formatCount(s.Total), s.Total == 0
	m.Charts = usageCharts(s, rng, csv)
	table := func(id string, rows []store.UsageRow, err error) (*views.UsageTable, error) {
		if err != nil {
			return nil, err
		}
		t := usageTableOf(id, rows, s.Total)
		t.CSVHref = csv(id)
		for i, r := range rows {
			switch id {
			case "apis":
				t.Rows[i].Href = q.href(v.path, "api", r.Name)
			case "tokens":
				t.Rows[i].Href = q.href(v.path, "token", strconv.FormatInt(r.ID, 10))
			}
		}
		return &t, nil
	}
	if v.everyone {
		rows, err := h.store.UsageByPartner(ctx, sc, rng.From, rng.To, usageTop)
		if m.Partners, err = table("partners", rows, err); err != nil {
			return err
		}
		for i, r := range rows {
			m.Partners.Rows[i].Href = q.href(fmt.Sprintf("/partners/%d/usage", r.ID), "token", "")
		}
		if err := h.staffUsage(c, &m, rng, q, csv); err != nil {
			return err
		}
	}
	rows, err := h.store.UsageByAPI(ctx, sc, rng.From, rng.To, usageTop)
	if m.APIs, err = table("apis", rows, err); err != nil {
		return err
	}
	rows, err = h.store.UsageByOperation(ctx, sc, rng.From, rng.To, usageTop)
	if m.Operations, err = table("operations", rows, err); err != nil {
		return err
	}
	// Staff see tokens partner by partner: every partner's tokens over
	// days is the biggest rollup read of all, for a table of 20 rows.
	var tokens, members []store.UsageRow
	if !v.everyone {
		tokens, members, err = h.store.UsageByTokenAndMember(ctx, sc, rng.From, rng.To, usageTop, v.partner)
		if m.Tokens, err = table("tokens", tokens, err); err != nil {
			return err
		}
	}
	tokenName := ""
	for _, t := range tokens {
		if t.ID == q.token {
			tokenName = "‘" + t.Name + "’"
		}
	}
	usageFilters(&m, q, v.path, tokenName, now)
	if v.partner {
		if m.Members, err = table("members", members, nil); err != nil {
			return err
		}
	}
	if v.partner {
		m.ShowQuotas, m.QuotaCSV = true, csv("quotas")
		qs, err := h.store.QuotaUses(ctx, v.scope.PartnerID, usage.MonthStart(now))
		if err != nil {
			return err
		}
		for _, q := range qs {
			m.Quotas = append(m.Quotas, quotaRow(q, now))
		}
	}
	return h.render(c, http.StatusOK, views.Usage(m))
}
