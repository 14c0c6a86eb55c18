package handlers

import (
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// tryFirst is the API a developer who has never called is sent to try,
// when they may call it; otherwise the first they may, by slug.
const tryFirst = "fleet"

// maxHomeAPIs bounds the APIs a developer's home lists; the catalog has
// the rest.
const maxHomeAPIs = 10

// developerHome is a developer's next steps: the APIs they may call now,
// their tokens expiring soon, their calls today, and a first call to try
// while they have made none.
func (h *Handler) developerHome(hc homeContext) (*views.DeveloperHome, error) {
	ctx := hc.c.Request().Context()
	pid := hc.a.PartnerID
	m := &views.DeveloperHome{SoonDays: tokenSoonDays}
	if hc.can(access.ViewCatalog, 0) {
		acc, err := catalog.EffectiveAccess(ctx, h.store, hc.a.UserID)
		if err != nil {
			return nil, err
		}
		m.ShowAPIs = true
		for slug, api := range acc.APIs {
			m.APIs = append(m.APIs, views.HomeAPI{Slug: slug, Href: "/apis/" + url.PathEscape(slug), Scopes: api.Scopes, Status: api.Status})
		}
		sort.Slice(m.APIs, func(i, j int) bool { return m.APIs[i].Slug < m.APIs[j].Slug })
	}
	everCalled := true
	if hc.can(access.CreateToken, pid) {
		own, err := h.store.OwnTokenSummary(ctx, hc.a.UserID, hc.now.Add(tokenSoonDays*24*time.Hour), homeRows)
		if err != nil {
			return nil, err
		}
		m.ShowTokens, m.HasTokens, everCalled = true, own.HasOpen, own.EverUsed
		for _, t := range own.Expiring {
			m.Expiring = append(m.Expiring, views.HomeToken{Name: t.Name, Hint: t.Hint, Environment: t.Environment,
				ExpiresIn: inDuration(t.ExpiresAt.Sub(hc.now)), Expires: formatTime(t.ExpiresAt),
				Href: listHref("/tokens", "q", t.Name), RegenerateHref: tokenPath(t.ID, "regenerate")})
		}
	}
	if hc.can(access.ViewOwnUsage, pid) {
		total, rows, err := h.callsToday(hc, store.UsageScope{PartnerID: pid, UserID: hc.a.UserID})
		if err != nil {
			return nil, err
		}
		m.ShowCalls, m.CallsToday, m.CallsByAPI = true, total, rows
		if total != "0" {
			everCalled = true
		}
	}
	if !everCalled && len(m.APIs) > 0 {
		try := m.APIs[0]
		for _, a := range m.APIs {
			if a.Slug == tryFirst {
				try = a
			}
		}
		m.TryHref, m.TryName = try.Href+"#try-it", apiTitle(try.Slug)
	}
	if len(m.APIs) > maxHomeAPIs {
		m.APIs, m.MoreAPIs = m.APIs[:maxHomeAPIs], len(m.APIs)-maxHomeAPIs
	}
	return m, nil
}

// apiTitle names an API by its slug in a sentence: "fleet" is "Fleet".
func apiTitle(slug string) string {
	if slug == "" {
		return slug
	}
	return strings.ToUpper(slug[:1]) + slug[1:]
}

// partnerAdminHome is a partner admin's next steps: tokens waiting for
// their approval, open invitations, members in no team, the partner's
// calls today and its monthly quotas. The partner is the admin's own.
func (h *Handler) partnerAdminHome(hc homeContext) (*views.PartnerAdminHome, error) {
	ctx := hc.c.Request().Context()
	pid := hc.a.PartnerID
	m := &views.PartnerAdminHome{}
	if hc.can(access.ViewPartnerTokens, pid) {
		n, err := h.store.CountPendingTokens(ctx, pid)
		if err != nil {
			return nil, err
		}
		m.ShowPending = true
		if n > 0 {
			m.Pending = boundedCount(n, store.PendingCountLimit)
			m.PendingWords = pluralWords(n, "live token waits for your approval before it works.", "live tokens wait for your approval before they work.")
		}
		total, attention, err := h.store.HygieneCounts(ctx, pid)
		if err != nil {
			return nil, err
		}
		m.ShowHygiene = true
		m.HygieneTotal = boundedCount(total, store.HygieneCountLimit)
		m.HygieneTotalWords = pluralWords(total, "credential", "credentials")
		m.HygieneAttention = boundedCount(attention, store.HygieneCountLimit)
		m.HygieneAttWords = pluralWords(attention, "needs attention", "need attention")
	}
	if hc.can(access.ViewMembers, pid) {
		invs, more, err := h.store.OpenInvitationsPage(ctx, pid, store.ListQuery{Limit: homeRows})
		if err != nil {
			return nil, err
		}
		m.ShowInvitations, m.MoreInvitations = true, more
		for _, i := range invs {
			m.Invitations = append(m.Invitations, views.HomeInvitation{Email: i.Email, Role: RoleLabel(i.Role),
				Sent: formatTime(i.SentAt), Expired: i.Expired(hc.now)})
		}
	}
	if hc.can(access.ViewTeams, pid) {
		ms, err := h.store.MembersWithoutTeam(ctx, pid, teamlessBound+1)
		if err != nil {
			return nil, err
		}
		m.ShowTeamless, m.TeamlessCount = true, boundedCount(len(ms), teamlessBound)
		m.TeamlessWords = pluralWords(len(ms), "member belongs to no team, so they reach only what is granted to them in person.",
			"members belong to no team, so they reach only what is granted to them in person.")
		for i, u := range ms {
			if i == homeRows {
				break
			}
			m.Teamless = append(m.Teamless, views.HomeMember{Name: u.Name, Email: u.Email, Href: listHref("/members", "q", u.Email)})
		}
	}
	if hc.can(access.ViewUsage, pid) {
		total, rows, err := h.callsToday(hc, store.UsageScope{PartnerID: pid})
		if err != nil {
			return nil, err
		}
		m.ShowCalls, m.CallsToday, m.CallsByAPI = true, total, rows
		qs, err := h.store.QuotaUses(ctx, pid, usage.MonthStart(hc.now))
		if err != nil {
			return nil, err
		}
		m.ShowQuotas = true
		for _, q := range qs {
			m.Quotas = append(m.Quotas, homeQuota(q.Name, q.Used, q.Quota))
		}
	}
	return m, nil
}
