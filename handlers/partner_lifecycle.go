package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/lifecycle"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// The end of a partnership (issue 17): staff end it now, after a
// confirmation listing what goes with the partner's real numbers, or set
// the day it ends. Each asks the policy for ManagePartners on that
// partner, so an account manager of other partners gets a 404.

// lifecycleFormKey carries a refused end-date form to the partner page.
const lifecycleFormKey = "partner_lifecycle_form"

// lifecyclePartner reads the partner of the path after asking the policy.
func (h *Handler) lifecyclePartner(c echo.Context) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	return id, h.authorize(c, access.ManagePartners, id)
}

// endedAlready sends staff back to the ended partner's page.
func (h *Handler) endedAlready(c echo.Context, id int64, name string) error {
	return h.redirectWithFlash(c, views.PartnerPagePath(id), "info", "The partnership of "+name+" has ended already.")
}

// confirmEndPartner lists what ending the partnership does, with counts.
func (h *Handler) confirmEndPartner(c echo.Context) error {
	id, err := h.lifecyclePartner(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, n, err := h.lifecycle.Preview(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This partner")
	case errors.Is(err, lifecycle.ErrEnded):
		return h.endedAlready(c, id, p.Name)
	case err != nil:
		return err
	}
	ret, err := h.store.RetentionSettings(ctx)
	if err != nil {
		return err
	}
	creds := endCount(n.Credentials, "credential", "credentials") + " (tokens and OAuth clients) revoked"
	if n.AccessTokens > 0 {
		creds += ", with " + endCount(n.AccessTokens, "OAuth access token", "OAuth access tokens") + " issued to them"
	}
	admins := "No partner admin to mail: it has none."
	if n.Admins > 0 {
		admins = endCount(n.Admins, "partner admin is", "partner admins are") + " mailed that the partnership ended."
	}
	return h.render(c, http.StatusOK, views.EndPartnership(views.EndPartnershipPage{
		Page: h.page(c, "End partnership with "+p.Name), ID: p.ID, Name: p.Name,
		Effects: []string{
			creds + ": calls with them are refused at once, on every node.",
			endCount(n.People, "person", "people") + " signed out (" + endCount(n.Sessions, "session", "sessions") + ") and unable to sign in again: their accounts are closed.",
			endCount(n.Invitations, "open invitation", "open invitations") + " cancelled: the links in them stop working.",
			endCount(n.Grants, "grant", "grants") + " of access groups ended.",
			"Its sandbox data removed (" + endCount(n.SandboxWrites, "work order", "work orders") + ").",
			admins,
			"The partner cannot be reactivated: to work with them again, create a new partner.",
		},
		Kept: fmt.Sprintf("Kept: its audit trail, and its calls and usage for the retention period (calls %d days, usage %d days), viewable and exportable by staff.",
			ret.CallsDays, ret.RollupsDays),
	}))
}

// endPartner ends the partnership.
func (h *Handler) endPartner(c echo.Context) error {
	id, err := h.lifecyclePartner(c)
	if err != nil {
		return err
	}
	r, err := h.lifecycle.End(c.Request().Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This partner")
	case errors.Is(err, lifecycle.ErrEnded):
		p, err := h.store.PartnerByID(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return h.endedAlready(c, id, p.Name)
	case err != nil:
		return err
	}
	h.mailer.Kick()
	return h.redirectWithFlash(c, views.PartnerPagePath(id), "success", fmt.Sprintf(
		"The partnership of %s has ended: %s revoked, %s signed out for good, %s cancelled and %s ended.",
		r.Partner.Name, endCount(r.Credentials, "credential", "credentials"), endCount(r.People, "person", "people"),
		endCount(r.Invitations, "invitation", "invitations"), endCount(r.Grants, "grant", "grants")))
}

// setPartnerEndDate schedules, moves or (with cancel) cancels the end of a
// partnership. A bad day is shown on the partner page, with what was
// entered.
func (h *Handler) setPartnerEndDate(c echo.Context) error {
	id, err := h.lifecyclePartner(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var msg string
	if c.FormValue("cancel") != "" {
		var had bool
		if had, err = h.lifecycle.Unschedule(ctx, id); had {
			msg = "The scheduled end was cancelled: the partnership goes on."
		} else {
			msg = "No end was scheduled."
		}
	} else {
		var day time.Time
		day, err = h.lifecycle.Schedule(ctx, id, c.FormValue("end_on"))
		msg = "The partnership ends on " + day.Format("Monday 2 January 2006") + " (UTC); its account managers and partner admins are reminded 30 and 7 days before (at once when it is nearer)."
	}
	var in *apierr.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This partner")
	case errors.Is(err, lifecycle.ErrEnded):
		return h.redirectWithFlash(c, views.PartnerPagePath(id), "info", "The partnership has ended already.")
	case errors.As(err, &in):
		c.Set(lifecycleFormKey, views.PartnerLifecycle{Date: c.FormValue("end_on"), DateError: in.Message})
		return h.renderPartnerPage(c, http.StatusUnprocessableEntity, nil)
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, views.PartnerPagePath(id)+"#partnership-heading", "success", msg)
}

// endCount says n things: "1 grant", "3 grants".
func endCount(n int, one, many string) string {
	return strconv.Itoa(n) + " " + pluralWords(n, one, many)
}

// partnerLifecycleView is the partner page's lifecycle: ended, or its
// scheduled end and the form (with a refused entry, when there is one).
func (h *Handler) partnerLifecycleView(c echo.Context, p *store.Partner, canManage bool) (views.PartnerLifecycle, error) {
	l, err := h.store.PartnerLifecycleOf(c.Request().Context(), p.ID)
	if err != nil {
		return views.PartnerLifecycle{}, err
	}
	today := lifecycle.Today(time.Now())
	v := views.PartnerLifecycle{ID: p.ID, Name: p.Name, Status: l.Status, EndedBy: l.EndedBy, CanManage: canManage,
		Min: today.AddDate(0, 0, 1).Format(time.DateOnly), Max: today.AddDate(lifecycle.MaxScheduleAhead, 0, 0).Format(time.DateOnly)}
	if l.EndedAt != nil {
		v.EndedOn = l.EndedAt.UTC().Format("2 Jan 2006")
	}
	if l.EndOn != nil {
		v.EndsOn, v.Date = l.EndOn.Format("Monday 2 January 2006"), l.EndOn.Format(time.DateOnly)
		v.DaysLeft = int(l.EndOn.Sub(today).Hours() / 24)
	}
	if refused, ok := c.Get(lifecycleFormKey).(views.PartnerLifecycle); ok {
		v.Date, v.DateError = refused.Date, refused.DateError
	}
	return v, nil
}
