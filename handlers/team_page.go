package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// team shows one team: a page of its members, and the forms that change
// it.
func (h *Handler) team(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ViewTeams, partnerID); err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return h.renderTeam(c, http.StatusOK, id, nil, "")
}

// renderTeam renders the page of a team of the signed-in user's partner:
// a page of its members (?q= searches them, ?after= continues the list)
// and, for those who manage teams, the add-member picker (?find=) and the
// settings. rename, when set, is the rename form as submitted, and
// addError the add-member picker's error.
func (h *Handler) renderTeam(c echo.Context, status int, teamID int64, rename *views.TeamForm, addError string) error {
	partnerID := ownPartnerID(c)
	q, err := pageQuery(c, store.TeamMembersList, listPageSize, brokenLink("the team's members", "the team from Teams"))
	if err != nil {
		return err
	}
	find, err := pickerSearch(c, "find")
	if err != nil {
		return err
	}
	if c.Request().Method == http.MethodPost {
		// A failed add keeps the search it was made from.
		find = boundedSearch(c.FormValue("find"))
	}
	ctx := c.Request().Context()
	t, err := h.partnerTeam(ctx, partnerID, teamID)
	if err != nil {
		return err
	}
	n, err := h.store.TeamMemberCount(ctx, t.ID)
	if err != nil {
		return err
	}
	ms, more, err := h.store.TeamMembersPage(ctx, t.ID, q)
	if err != nil {
		return err
	}
	m := views.TeamPage{
		Page:      h.page(c, t.Name),
		Partner:   currentPartner(c).Name,
		Team:      views.TeamRow{ID: t.ID, Name: t.Name, MemberCount: n},
		CanManage: access.Can(actorOf(currentUser(c)), access.ManageTeams, partnerID) == access.Allow,
		Rename:    views.TeamForm{Name: t.Name},
		Query:     q.Search,
	}
	if rename != nil {
		m.Rename = *rename
	}
	m.FirstHref, m.NextHref = pageLinks(store.TeamMembersList, q.After, ms, more, teamURL(t.ID, ""), "q", q.Search)
	self := currentUser(c).ID
	for _, r := range ms {
		m.Members = append(m.Members, views.TeamMemberRow{ID: r.ID, Name: r.Name, Email: r.Email, RoleLabel: RoleLabel(r.Role),
			Added: r.AddedAt.UTC().Format("2 Jan 2006"), IsSelf: r.ID == self})
	}
	if m.CanManage {
		if m.Picker, err = h.teamPicker(c, t, find); err != nil {
			return err
		}
		m.Picker.Error = addError
	}
	return h.render(c, status, views.Team(m))
}

// teamPicker finds the first members of the partner, not in team t, that
// match find: what the add-member picker offers.
func (h *Handler) teamPicker(c echo.Context, t *store.Team, find string) (views.TeamPicker, error) {
	p := views.TeamPicker{TeamID: t.ID, Partner: currentPartner(c).Name, Find: find}
	cs, more, err := h.store.TeamCandidates(c.Request().Context(), t.PartnerID, t.ID, find, store.MaxPicker)
	if err != nil {
		return p, err
	}
	p.More = more
	// No candidate without a search: is everyone in the team already?
	p.Everyone = len(cs) == 0 && find == ""
	for _, r := range cs {
		p.Candidates = append(p.Candidates, views.TeamCandidate{ID: r.ID, Name: r.Name, Email: r.Email})
	}
	return p, nil
}

// teamCandidates answers the add-member picker as its search is typed
// (htmx): the list of matching members not in the team, as a fragment.
// Without htmx it sends the browser to the team's page with the search,
// which shows the same list.
func (h *Handler) teamCandidates(c echo.Context) error {
	partnerID, id, err := h.teamAction(c)
	if err != nil {
		return err
	}
	find, err := pickerSearch(c, "find")
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, teamFindURL(id, find))
	}
	ctx := c.Request().Context()
	t, err := h.partnerTeam(ctx, partnerID, id)
	if err != nil {
		return err
	}
	p, err := h.teamPicker(c, t, find)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Vary", "HX-Request")
	return h.render(c, http.StatusOK, views.TeamCandidates(p))
}

// teamFindURL is the team's page with the add-member picker's search
// find: where adding a member leads back to, so that several people found
// by one search can be added in a row, and where the picker goes without
// htmx.
func teamFindURL(id int64, find string) string { return listHref(teamURL(id, ""), "find", find) }
