package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/hygiene"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// tokenHygiene is the partner admin's credential hygiene page; staff get
// their partners' counts instead.
func (h *Handler) tokenHygiene(c echo.Context) error {
	if actorOf(currentUser(c)).Staff() {
		return h.hygieneOverview(c)
	}
	return h.renderHygiene(c, ownPartnerID(c), "/tokens/hygiene")
}

// hygieneOverview lists every partner with its hygiene counts, a page at
// a time by name (staff: an account manager's own partners).
func (h *Handler) hygieneOverview(c echo.Context) error {
	if err := h.authorize(c, access.ListPartners, 0); err != nil {
		return err
	}
	q, err := pageQuery(c, store.PartnersList, listPageSize, brokenLink("partners", "Credential hygiene from the Partners page"))
	if err != nil {
		return err
	}
	ps, more, err := h.store.PartnersHygienePage(c.Request().Context(), q, actorOf(currentUser(c)).Book())
	if err != nil {
		return err
	}
	m := views.HygieneOverviewPage{Page: h.page(c, "Credential hygiene across partners"), Query: q.Search,
		Search: views.ListSearch{Action: "/tokens/hygiene", ID: "hygiene-q", Label: "Search partners by name or slug", Query: q.Search}}
	for _, p := range ps {
		m.Rows = append(m.Rows, views.PartnerHygieneRow{Name: p.Name, Status: p.Status,
			Total: boundedCount(p.Total, store.HygieneCountLimit), Attention: boundedCount(p.Attention, store.HygieneCountLimit),
			NeedsAttention: p.Attention > 0, Href: hygienePath(true, p.ID) + "?show=all"})
	}
	m.Pager = views.ListPager{Label: "Pages of partners"}
	if q.After != nil {
		m.Pager.FirstHref = listHref("/tokens/hygiene", "q", q.Search)
	}
	if more {
		m.Pager.NextHref = listHref("/tokens/hygiene", "q", q.Search, "after", store.PartnersList.Cursor(ps[len(ps)-1].Key()))
	}
	return h.render(c, http.StatusOK, views.HygieneOverview(m))
}

// staffTokenHygiene is a partner's credential hygiene page for staff.
func (h *Handler) staffTokenHygiene(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.StaffPartnerTokens, id); err != nil {
		return err
	}
	return h.renderHygiene(c, id, partnerTokensPath(id)+"/hygiene")
}

// renderHygiene shows a page of the partner's open credentials with their
// flags: by default those that need attention, with ?show=all every one.
func (h *Handler) renderHygiene(c echo.Context, partnerID int64, path string) error {
	if err := h.authorize(c, access.ViewPartnerTokens, partnerID); err != nil {
		return err
	}
	showAll := c.QueryParam("show") == "all"
	q, err := pageQuery(c, store.HygieneList, listPageSize, brokenLink("credentials", "Credential hygiene from the tokens page"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	partner, err := h.partnerOr404(ctx, partnerID)
	if err != nil {
		return err
	}
	total, attention, err := h.store.HygieneCounts(ctx, partnerID)
	if err != nil {
		return err
	}
	page, err := h.hygiene.Page(ctx, partnerID, !showAll, q.After, q.Limit)
	if err != nil {
		return err
	}
	a := actorOf(currentUser(c))
	m := views.HygienePage{Page: h.page(c, "Credential hygiene of "+partner.Name), Partner: partner.Name,
		Staff: a.Staff(), ShowAll: showAll,
		Total: boundedCount(total, store.HygieneCountLimit), TotalWords: pluralWords(total, "credential that works", "credentials that work"),
		Attention:      boundedCount(attention, store.HygieneCountLimit),
		AttentionWords: pluralWords(attention, "needs attention", "need attention"),
		AttentionHref:  path, AllHref: path + "?show=all", TokensHref: "/tokens/partner", RevokeUnusedHref: path + "/revoke-unused"}
	if a.Staff() {
		m.TokensHref = partnerTokensPath(partnerID)
	}
	now := time.Now()
	for _, cr := range page.Credentials {
		m.Rows = append(m.Rows, hygieneRow(cr, a, partnerID, now))
	}
	show := ""
	if showAll {
		show = "show=all&"
	}
	m.Pager = views.ListPager{Label: "Pages of credentials"}
	if q.After != nil {
		m.Pager.FirstHref = path + "?" + strings.TrimSuffix(show, "&")
	}
	if page.More {
		last := page.Credentials[len(page.Credentials)-1]
		m.Pager.NextHref = path + "?" + show + "after=" + store.HygieneList.Cursor(last.Token.Key())
	}
	return h.render(c, http.StatusOK, views.CredentialHygiene(m))
}

// hygieneRow is one credential as the hygiene page shows it, each flag in
// words.
func hygieneRow(cr hygiene.Credential, a access.Actor, partnerID int64, now time.Time) views.HygieneRow {
	t := cr.Token
	r := views.HygieneRow{ID: t.ID, Name: t.Name, Hint: t.Hint, Environment: t.Environment, Client: t.IsClient(),
		Owner: t.OwnerName, OwnerEmail: t.OwnerEmail, Created: formatTime(t.CreatedAt), Expires: formatTime(t.ExpiresAt)}
	if t.LastUsedAt != nil {
		r.LastUsed = formatTime(*t.LastUsedAt)
	}
	if len(cr.Used) > 0 && (cr.Has(hygiene.UnusedScopes) || cr.Has(hygiene.OwnerNotGranted)) &&
		access.CanToken(a, access.NarrowToken, t.UserID, t.PartnerID) == access.Allow {
		r.NarrowPath = tokenPath(t.ID, "narrow")
	}
	if access.CanToken(a, access.RevokeToken, t.UserID, t.PartnerID) == access.Allow {
		r.RevokePath = partnerRevokePath(a.Staff(), partnerID, t.ID)
	}
	for _, f := range cr.Flags {
		var text string
		switch f {
		case hygiene.NeverUsed:
			text = "Never used since it was created on " + formatTime(t.CreatedAt) + "."
		case hygiene.Idle:
			text = "Not used in the last 30 days."
		case hygiene.Expiring:
			text = "Expires " + inDuration(t.ExpiresAt.Sub(now)) + ": jobs using it will stop."
		case hygiene.OwnerInactive:
			text = "Its owner's account is no longer active."
		case hygiene.OwnerNotGranted:
			text = "Its owner is no longer granted " + strings.Join(cr.NotGranted, ", ") + ": the gateway ignores those scopes."
		case hygiene.UnusedScopes:
			text = "Has not used " + strings.Join(cr.Unused, ", ") + " in 30 days (it used " + strings.Join(cr.Used, ", ") + ")."
		}
		r.Flags = append(r.Flags, views.HygieneFlag{Kind: string(f), Text: text})
	}
	return r
}
