package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// grantView is a grant as the pages show it.
func grantView(r store.GrantRow) views.GrantView {
	v := views.GrantView{ID: r.ID, Partner: r.PartnerName, Granted: formatTime(r.GrantedAt), GrantedBy: "the portal"}
	switch {
	case r.TeamID != nil:
		v.Kind, v.Grantee = "Team", derefName(r.TeamName)
	default:
		v.Kind, v.Grantee = "Person", derefName(r.UserName)
		if r.UserStatus != nil && *r.UserStatus != "active" {
			v.Inactive = "Removed from " + r.PartnerName + ": this grant reaches nobody."
		}
	}
	if r.GrantedByName != nil {
		v.GrantedBy = *r.GrantedByName
	}
	if r.RevokedAt != nil {
		v.Revoked, v.RevokedBy = formatTime(*r.RevokedAt), "the portal"
		if r.RevokedByName != nil {
			v.RevokedBy = *r.RevokedByName
		}
	}
	return v
}

func derefName(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// grantAccessGroup grants a group to a team or a person of a partner. The
// form names the grantee only; an optional partner_id is checked against
// the grantee's partner, never stored in its place.
func (h *Handler) grantAccessGroup(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	choice := c.FormValue("grantee")
	to := catalog.ParseGrantee(choice)
	if v := c.FormValue("partner_id"); v != "" {
		to.PartnerID, _ = strconv.ParseInt(v, 10, 64)
		if to.PartnerID <= 0 {
			return BadRequest("The partner is not a valid id.")
		}
	}
	gr, err := h.groups.Grant(c.Request().Context(), actorOf(currentUser(c)), id, to)
	var in *apierr.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This access group")
	case errors.Is(err, catalog.ErrNotManaged):
		// A team or person of a partner the viewer does not manage is as
		// unknown to them as the partner itself.
		return NotFound("This team or person")
	case errors.As(err, &in):
		return h.renderAccessGroup(c, http.StatusUnprocessableEntity, id, groupPageState{grantError: in.Message})
	case err != nil:
		return err
	}
	h.log.Info("access group granted", "group_id", gr.Group.ID, "grant_id", gr.ID, "partner_id", gr.Grantee.PartnerID,
		"by", currentUser(c).ID, "request_id", requestID(c))
	find, partner, _ := granteeSearch(c)
	return h.redirectWithFlash(c, listHref(accessGroupURL(gr.Group.ID, ""), "find", find, "partner", partner), "success",
		gr.Group.Name+" granted to "+catalog.GranteeLabel(gr.Grantee)+" of "+gr.Grantee.PartnerName+". It applies at once.")
}

// revokeGrant takes a grant of the group back; the row stays, greyed, for
// the audit trail.
func (h *Handler) revokeGrant(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	grantID, err := pathID(c, "grant")
	if err != nil {
		return err
	}
	gr, err := h.groups.Revoke(c.Request().Context(), actorOf(currentUser(c)), id, grantID)
	switch {
	case errors.Is(err, catalog.ErrAlreadyRevoked):
		return h.redirectWithFlash(c, accessGroupURL(id, ""), "info", "That grant was revoked already.")
	case errors.Is(err, store.ErrNotFound), errors.Is(err, catalog.ErrNotManaged):
		return NotFound("This grant")
	case err != nil:
		return err
	}
	h.log.Info("grant revoked", "group_id", id, "grant_id", gr.ID, "partner_id", gr.PartnerID, "by", currentUser(c).ID, "request_id", requestID(c))
	v := grantView(*gr)
	return h.redirectWithFlash(c, accessGroupURL(id, ""), "success",
		gr.GroupName+" revoked from "+v.Grantee+" ("+gr.PartnerName+"). Their access narrowed at once.")
}
