package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// Page sizes of an access group's grants: the open ones, and the revoked
// ones kept for the audit trail.
const (
	openGrantsPageSize    = 50
	revokedGrantsPageSize = 20
)

// groupGrants fills m with a page of the group's open grants (?after=)
// and one of its revoked grants (?revoked_after=), each from its cursor,
// to the partners the viewer manages (an account manager's book; every
// partner for a platform admin); a cursor of the wrong list, or none of
// ours, is a 400.
func (h *Handler) groupGrants(c echo.Context, groupID int64, m *views.AccessGroupPage) error {
	const broken = "This link to a page of grants is broken. Open the access group from Access groups to start from the first page."
	path := accessGroupURL(groupID, "")
	book := actorOf(currentUser(c)).Book()
	for _, l := range []struct {
		param   string
		revoked bool
		size    int
		rows    *[]views.GrantView
		first   *string
		next    *string
	}{
		{"after", false, openGrantsPageSize, &m.Grants, &m.GrantsFirstHref, &m.GrantsNextHref},
		{"revoked_after", true, revokedGrantsPageSize, &m.Revoked, &m.RevokedFirstHref, &m.RevokedNextHref},
	} {
		q := store.GrantPageQuery{Revoked: l.revoked, Limit: l.size, Book: book}
		if raw := c.QueryParam(l.param); raw != "" {
			key, revoked, ok := store.ParseGrantCursor(raw)
			if !ok || revoked != l.revoked {
				return BadRequest(broken)
			}
			q.After = key
		}
		rs, more, err := h.store.GroupGrantsPage(c.Request().Context(), groupID, q)
		if err != nil {
			return err
		}
		for _, r := range rs {
			*l.rows = append(*l.rows, grantView(r))
		}
		if more {
			*l.next = listHref(path, l.param, store.GrantCursor(rs[len(rs)-1]))
		}
		if q.After != nil {
			*l.first = path
		}
	}
	n, err := h.store.OpenGrantsOutsideBook(c.Request().Context(), groupID, book)
	m.OtherPartnersGrants = n
	return err
}

// granteeSearch reads the picker's searches: from the URL, or from the
// grant form that was posted (which carries them, so a refused or a
// successful grant comes back to the same matches).
func granteeSearch(c echo.Context) (find, partner string, err error) {
	if c.Request().Method == http.MethodPost {
		return boundedSearch(c.FormValue("find")), boundedSearch(c.FormValue("partner")), nil
	}
	if find, err = pickerSearch(c, "find"); err != nil {
		return "", "", err
	}
	partner, err = pickerSearch(c, "partner")
	return find, partner, err
}

// granteePicker finds the first teams and people the group may be granted
// to that match the picker's searches: of the viewer's partners only, as
// granting a group is an action on the partner.
func (h *Handler) granteePicker(c echo.Context, g *store.AccessGroup, grantError string) (views.GranteePicker, error) {
	find, partner, err := granteeSearch(c)
	if err != nil {
		return views.GranteePicker{}, err
	}
	p := views.GranteePicker{GroupID: g.ID, GroupName: g.Name, Find: find, Partner: partner, Error: grantError}
	book := actorOf(currentUser(c)).Book()
	gs, more, err := h.store.SearchGrantees(c.Request().Context(), g.ID,
		store.GranteeQuery{Search: find, Partner: partner, Limit: store.MaxPicker, Book: book})
	if err != nil {
		return p, err
	}
	p.More = more
	for _, r := range gs {
		res := views.GranteeResult{PartnerID: r.PartnerID, Partner: r.PartnerName, Name: r.Name}
		if r.TeamID != nil {
			res.Value, res.Kind = "team:"+strconv.FormatInt(*r.TeamID, 10), "Team"
		} else {
			res.Value, res.Kind = "user:"+strconv.FormatInt(*r.UserID, 10), "Person"
			if r.Email != nil && r.Role != nil {
				res.Detail = *r.Email + ", " + RoleLabel(*r.Role)
			}
		}
		p.Results = append(p.Results, res)
	}
	// Nothing to offer for a partner search: say which partners matched
	// but cannot be granted to, rather than only "no match".
	if len(gs) == 0 && partner != "" {
		inactive, err := h.store.InactivePartnersNamed(c.Request().Context(), partner, book, suspendedHints)
		if err != nil {
			return p, err
		}
		for _, ip := range inactive {
			p.Suspended = append(p.Suspended, views.PartnerLink{ID: ip.ID, Name: ip.Name})
		}
	}
	return p, nil
}

// suspendedHints bounds the suspended partners the picker names when its
// partner search offers nothing.
const suspendedHints = 3

// grantees answers the grant picker as its searches are typed (htmx): the
// matching teams and people, as a fragment. Without htmx it sends the
// browser to the group's page with the searches, which shows the same.
func (h *Handler) grantees(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	find, partner, err := granteeSearch(c)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, listHref(accessGroupURL(id, ""), "find", find, "partner", partner))
	}
	g, err := h.store.AccessGroupByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This access group")
	}
	if err != nil {
		return err
	}
	p, err := h.granteePicker(c, g, "")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Vary", "HX-Request")
	return h.render(c, http.StatusOK, views.GranteeResults(p))
}
