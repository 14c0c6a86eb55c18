package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// partners lists partners for staff, with search, a status filter and pages.
func (h *Handler) partners(c echo.Context) error {
	return h.renderPartners(c, http.StatusOK, views.CreatePartnerForm{})
}

func (h *Handler) renderPartners(c echo.Context, status int, form views.CreatePartnerForm) error {
	if err := h.authorize(c, access.ListPartners, 0); err != nil {
		return err
	}
	// Search, status and cursor are checked before any query.
	q, err := pageQuery(c, store.PartnersList, listPageSize, brokenLink("partners", "Partners from the menu"))
	if err != nil {
		return err
	}
	st := c.QueryParam("status")
	if st != "" && st != store.PartnerActive && st != store.PartnerSuspended && st != store.PartnerEnded {
		return BadRequest("Choose the status from the list: all, active, suspended or ended.")
	}
	a := actorOf(currentUser(c))
	f, err := partnerFilter(a, st, c.QueryParam("manager"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rows, more, err := h.store.PartnersPage(ctx, f, q)
	if err != nil {
		return err
	}
	m := views.PartnersPage{
		Page: h.page(c, "Partners"), Query: q.Search, Status: st, Create: form, Manager: c.QueryParam("manager"),
		CanManage: access.Can(a, access.ManagePartners, 0) == access.Allow, Book: a.Book() != 0,
	}
	for _, r := range rows {
		m.Partners = append(m.Partners, views.PartnerRow{ID: r.ID, Name: r.Name, Slug: r.Slug, Status: r.Status, Managers: r.Managers,
			Members: r.Members, Invitations: r.Invitations, Teams: r.Teams, Created: r.CreatedAt.UTC().Format("2 Jan 2006")})
	}
	if err := h.managerChoices(ctx, a, &m); err != nil {
		return err
	}
	m.Pager.Label = "Partner pages"
	m.Pager.FirstHref, m.Pager.NextHref = pageLinks(store.PartnersList, q.After, rows, more, "/partners", "q", q.Search, "status", st, "manager", m.Manager)
	return h.render(c, status, views.Partners(m))
}

// createPartner creates a partner and invites its first admin.
func (h *Handler) createPartner(c echo.Context) error {
	if err := h.authorize(c, access.ManagePartners, 0); err != nil {
		return err
	}
	name, email := c.FormValue("name"), c.FormValue("admin_email")
	form := views.CreatePartnerForm{Name: name, AdminEmail: email, Manager: c.FormValue("manager")}
	var manager int64
	if form.Manager != "" {
		n, err := strconv.ParseInt(form.Manager, 10, 64)
		if err != nil || n <= 0 {
			form.ManagerError = "Choose the account manager from the list."
			return h.renderPartners(c, http.StatusUnprocessableEntity, form)
		}
		manager = n
	}
	p, inv, err := h.people.CreatePartner(c.Request().Context(), actorOf(currentUser(c)), name, email, manager)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		switch in.Field {
		case "name":
			form.NameError = in.Message
		case "manager":
			form.ManagerError = in.Message
		default:
			form.AdminEmailError = in.Message
		}
		return h.renderPartners(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.mailer.Kick()
	return h.redirectWithFlash(c, "/partners", "success", p.Name+" created; "+inv.Email+" was invited as its admin.")
}

// setPartnerStatus suspends or reactivates a partner.
func (h *Handler) setPartnerStatus(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.ManagePartners, id); err != nil {
		return err
	}
	p, err := h.people.SetPartnerStatus(c.Request().Context(), id, c.FormValue("status"))
	var in *apierr.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This partner")
	case errors.As(err, &in):
		return BadRequest(in.Message)
	case err != nil:
		return err
	}
	msg := p.Name + " is active again: its people can sign in."
	if p.Status == store.PartnerSuspended {
		msg = p.Name + " is suspended: its people were signed out and cannot sign in."
	}
	// The partner page's action comes back to that page; the directory's
	// to the directory.
	back := "/partners"
	if c.FormValue("back") == "partner" {
		back = views.PartnerPagePath(p.ID)
	}
	return h.redirectWithFlash(c, back, "success", msg)
}
