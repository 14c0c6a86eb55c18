package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// partnerSectionSize is how many members, teams and grants the partner
// page shows at once: an overview, each list paged on its own.
const partnerSectionSize = 20

// partnerPage shows staff one partner: its status and the action on it,
// a page each of its members, teams and open grants, its credentials by
// kind and its recent calls. It runs the same few statements whatever the
// partner's size (handlers/scaletest counts them).
func (h *Handler) partnerPage(c echo.Context) error {
	return h.renderPartnerPage(c, http.StatusOK, nil)
}

// renderPartnerPage shows the partner page, with a refused settings form
// (nil: the saved settings).
func (h *Handler) renderPartnerPage(c echo.Context, status int, form *views.PartnerSettingsForm) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.StaffPartnerPage, id); err != nil {
		return err
	}
	// Every cursor is checked before any query.
	path := views.PartnerPagePath(id)
	sections := []*partnerSection{
		{list: store.MembersList, param: "members_after", anchor: "#members", label: "Member pages", what: "members"},
		{list: store.TeamsList, param: "teams_after", anchor: "#teams", label: "Team pages", what: "teams"},
		{list: store.GrantsList, param: "grants_after", anchor: "#grants", label: "Grant pages", what: "grants"},
	}
	for _, s := range sections {
		if err := s.parse(c); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	p, err := h.partnerOr404(ctx, id)
	if err != nil {
		return err
	}
	counts, err := h.store.PartnerCounts(ctx, id)
	if err != nil {
		return err
	}
	m := views.PartnerPage{Page: h.page(c, p.Name), ID: p.ID, Name: p.Name, Slug: p.Slug, Status: p.Status,
		Created:   p.CreatedAt.UTC().Format("2 Jan 2006"),
		CanManage: access.Can(actorOf(currentUser(c)), access.ManagePartners, id) == access.Allow && p.Status != store.PartnerEnded,
		Members:   counts.Members, Invitations: counts.Invitations, Teams: counts.Teams, Grants: counts.Grants,
		LiveTokens: counts.LiveTokens, SandboxTokens: counts.SandboxTokens, Clients: counts.Clients, Pending: counts.Pending}

	if m.Managers, err = h.partnerManagersView(ctx, actorOf(currentUser(c)), p); err != nil {
		return err
	}
	if m.Lifecycle, err = h.partnerLifecycleView(c, p, m.CanManage); err != nil {
		return err
	}
	if m.SSO, err = h.partnerSSOSummary(c, p); err != nil {
		return err
	}
	members, more, err := h.store.PartnerMembersPage(ctx, id, store.MemberQuery{ListQuery: sections[0].query()})
	if err != nil {
		return err
	}
	for _, r := range members {
		m.MemberRows = append(m.MemberRows, views.PartnerMemberRow{Name: r.Name, Email: r.Email, Role: RoleLabel(r.Role)})
	}
	m.MembersPager = sectionPager(sections[0], path, members, more)

	teams, more, err := h.store.PartnerTeamsPage(ctx, id, sections[1].query())
	if err != nil {
		return err
	}
	for _, t := range teams {
		m.TeamRows = append(m.TeamRows, views.PartnerTeamRow{Name: t.Name, Members: t.MemberCount})
	}
	m.TeamsPager = sectionPager(sections[1], path, teams, more)

	grants, more, err := h.store.PartnerOpenGrants(ctx, id, sections[2].query())
	if err != nil {
		return err
	}
	for _, g := range grants {
		v := grantView(g)
		m.GrantRows = append(m.GrantRows, views.PartnerGrantRow{GroupID: g.GroupID, Group: g.GroupName,
			Kind: v.Kind, Grantee: v.Grantee, Granted: v.Granted, GrantedBy: v.GrantedBy, Inactive: v.Inactive})
	}
	m.GrantsPager = sectionPager(sections[2], path, grants, more)

	usagePath := fmt.Sprintf("/partners/%d/usage", id)
	now := time.Now()
	for _, u := range []struct {
		rng, href string
		into      *views.PartnerUsage
	}{{"24h", usagePath, &m.Day}, {"7d", usagePath + "?range=7d", &m.Week}} {
		rng, _ := usage.ParseRange(u.rng, now)
		points, err := h.store.UsageSeries(ctx, store.UsageScope{PartnerID: id}, rng.From, rng.To, rng.Step)
		if err != nil {
			return err
		}
		s := usage.Sum(points, rng)
		errs := sum(s.ClientErrors) + sum(s.ServerErrors)
		*u.into = views.PartnerUsage{Label: rng.Label, Calls: formatCount(s.Total), Errors: formatCount(errs),
			ErrorRate: percent(errs, s.Total), Href: u.href}
	}
	if err := h.partnerPageSettings(c, id, &m, form); err != nil {
		return err
	}
	return h.render(c, status, views.PartnerView(m))
}

// partnerSection is one paged list of the partner page, with a cursor
// parameter of its own so each pages independently.
type partnerSection struct {
	list                       store.PageList
	param, anchor, label, what string
	after                      *store.Key
}

// parse reads the section's cursor: one the list did not make is a 400.
func (s *partnerSection) parse(c echo.Context) error {
	raw := c.QueryParam(s.param)
	if raw == "" {
		return nil
	}
	key, ok := s.list.Parse(raw)
	if !ok {
		return BadRequest(brokenLink(s.what, "the partner from Partners"))
	}
	s.after = key
	return nil
}

func (s *partnerSection) query() store.ListQuery {
	return store.ListQuery{After: s.after, Limit: partnerSectionSize}
}

// sectionPager links the section's next page (after its last row) and,
// past the first, its first page; each link carries its own cursor only.
func sectionPager[T interface{ Key() store.Key }](s *partnerSection, path string, rows []T, more bool) views.ListPager {
	p := views.ListPager{Label: s.label, TestID: s.what + "-pager", Anchor: s.anchor,
		First: "First " + s.what, Next: "More " + s.what}
	if more && len(rows) > 0 {
		p.NextHref = listHref(path, s.param, s.list.Cursor(rows[len(rows)-1].Key()))
	}
	if s.after != nil {
		p.FirstHref = path
	}
	return p
}

// partnerOr404 reads the partner of a staff page or action: one that does
// not exist is the 404 page, as one the policy hides is.
func (h *Handler) partnerOr404(ctx context.Context, id int64) (*store.Partner, error) {
	p, err := h.store.PartnerByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("This partner")
	}
	return p, err
}
