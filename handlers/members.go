package handlers

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// members lists the signed-in partner admin's members and invitations.
func (h *Handler) members(c echo.Context) error {
	return h.renderMembers(c, http.StatusOK, views.InviteForm{})
}

func (h *Handler) renderMembers(c echo.Context, status int, form views.InviteForm) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ViewMembers, partnerID); err != nil {
		return err
	}
	// The cursor and the search are checked before any query, so a bad
	// link costs nothing.
	lq, err := pageQuery(c, store.MembersList, listPageSize, brokenLink("members", "Members from the menu"))
	if err != nil {
		return err
	}
	q := store.MemberQuery{ListQuery: lq}
	ctx := c.Request().Context()
	ms, more, err := h.store.PartnerMembersPage(ctx, partnerID, q)
	if err != nil {
		return err
	}
	// The newest open invitations; the rest on their own page.
	invs, moreInvs, err := h.store.OpenInvitationsPage(ctx, partnerID, store.ListQuery{Limit: invitationsOnMembers})
	if err != nil {
		return err
	}
	m := views.MembersPage{
		Page:      h.page(c, "Members"),
		Partner:   currentPartner(c).Name,
		CanManage: access.Can(actorOf(currentUser(c)), access.ManageMembers, partnerID) == access.Allow,
		Invite:    form,
		Query:     q.Search,
	}
	if m.CanManage {
		err := h.people.JoinsThroughSSO(ctx, partnerID)
		if e := joinThroughSSO(err); e != nil {
			m.JoinThroughSSO = e.Error()
		} else if err != nil {
			return err
		}
	}
	ids := make([]int64, 0, len(ms))
	for _, r := range ms {
		ids = append(ids, r.ID)
	}
	bySSO, err := h.store.UsersSigningInThroughSSO(ctx, ids)
	if err != nil {
		return err
	}
	if access.Can(actorOf(currentUser(c)), access.ViewPartnerSSO, partnerID) == access.Allow {
		m.SSOHref = SSOPath
	}
	m.FirstHref, m.NextHref = pageLinks(store.MembersList, q.After, ms, more, "/members", "q", q.Search)
	self := currentUser(c).ID
	for _, r := range ms {
		row := views.MemberRow{ID: r.ID, Name: r.Name, Email: r.Email, Role: r.Role, RoleLabel: RoleLabel(r.Role), Teams: r.Teams, LastSignIn: "Never", IsSelf: r.ID == self, SSO: bySSO[r.ID]}
		if r.LastSignInAt != nil {
			row.LastSignIn = formatTime(*r.LastSignInAt)
		}
		m.Members = append(m.Members, row)
	}
	m.Invitations = invitationRows(invs)
	if moreInvs {
		m.MoreInvitationsHref = listHref("/members/invitations", "after", store.InvitationsList.Cursor(invs[len(invs)-1].Key()))
	}
	return h.render(c, status, views.Members(m))
}

// invite sends an invitation to join the signed-in admin's partner.
func (h *Handler) invite(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ManageMembers, partnerID); err != nil {
		return err
	}
	email, role := c.FormValue("email"), c.FormValue("role")
	inv, err := h.people.Invite(c.Request().Context(), actorOf(currentUser(c)), partnerID, email, role)
	if joinThroughSSO(err) != nil {
		// The page shows the sentence in the form's place.
		return h.renderMembers(c, http.StatusUnprocessableEntity, views.InviteForm{})
	}
	var in *apierr.FieldError
	if errors.As(err, &in) {
		form := views.InviteForm{Email: email, Role: role}
		if in.Field == "role" {
			form.RoleError = in.Message
		} else {
			form.EmailError = in.Message
		}
		return h.renderMembers(c, http.StatusUnprocessableEntity, form)
	}
	var limit *people.LimitError
	if errors.As(err, &limit) {
		setRetryAfter(c, limit.RetryAfter)
		return h.renderMembers(c, http.StatusTooManyRequests, views.InviteForm{Email: email, Role: role, EmailError: limit.Message})
	}
	if err != nil {
		return err
	}
	h.mailer.Kick()
	return h.redirectWithFlash(c, "/members", "success", "Invitation sent to "+inv.Email+". The link works for 7 days.")
}

// memberTarget authorises managing the signed-in admin's partner's people
// and returns that partner and the id in the URL.
func (h *Handler) memberTarget(c echo.Context) (partnerID, id int64, err error) {
	partnerID = ownPartnerID(c)
	if err := h.authorize(c, access.ManageMembers, partnerID); err != nil {
		return 0, 0, err
	}
	id, err = pathID(c, "id")
	return partnerID, id, err
}

func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, NotFound("This page")
	}
	return id, nil
}

// resendInvitation mails an open invitation again with a fresh link.
func (h *Handler) resendInvitation(c echo.Context) error {
	partnerID, id, err := h.memberTarget(c)
	if err != nil {
		return err
	}
	inv, err := h.people.Resend(c.Request().Context(), actorOf(currentUser(c)), partnerID, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This invitation")
	}
	if joinThroughSSO(err) != nil {
		return h.renderMembers(c, http.StatusUnprocessableEntity, views.InviteForm{})
	}
	var limit *people.LimitError
	if errors.As(err, &limit) {
		setRetryAfter(c, limit.RetryAfter)
		return &Error{Status: http.StatusTooManyRequests, Message: limit.Message}
	}
	if err != nil {
		return err
	}
	h.mailer.Kick()
	return h.redirectWithFlash(c, "/members", "success", "Invitation sent again to "+inv.Email+" with a new link; the old link no longer works.")
}

// cancelInvitation cancels an open invitation.
func (h *Handler) cancelInvitation(c echo.Context) error {
	partnerID, id, err := h.memberTarget(c)
	if err != nil {
		return err
	}
	inv, err := h.people.Cancel(c.Request().Context(), partnerID, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This invitation")
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/members", "success", "Invitation to "+inv.Email+" cancelled; its link no longer works.")
}

// setRetryAfter tells the client when to try again, in whole seconds.
func setRetryAfter(c echo.Context, d time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
}

// redirectWithFlash queues a message and sends the browser to path.
func (h *Handler) redirectWithFlash(c echo.Context, path, kind, msg string) error {
	if err := h.flash(c, kind, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, path)
}
