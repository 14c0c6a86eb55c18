package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// staff lists the provider's staff for platform admins.
func (h *Handler) staff(c echo.Context) error {
	return h.renderStaff(c, http.StatusOK, views.CreateStaffForm{})
}

func (h *Handler) renderStaff(c echo.Context, status int, form views.CreateStaffForm) error {
	if err := h.authorize(c, access.ListAccountManagers, 0); err != nil {
		return err
	}
	q, err := pageQuery(c, store.StaffList, listPageSize, brokenLink("staff", "Staff from the menu"))
	if err != nil {
		return err
	}
	us, more, err := h.store.StaffPage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	m := views.StaffPage{Page: h.page(c, "Staff"), Create: form,
		Search: views.ListSearch{Action: "/staff", ID: "staff-q", Label: "Search staff by name or email", Query: q.Search}}
	m.Pager.Label = "Staff pages"
	m.Pager.FirstHref, m.Pager.NextHref = pageLinks(store.StaffList, q.After, us, more, "/staff", "q", q.Search)
	self := currentUser(c).ID
	for _, u := range us {
		row := views.StaffRow{Name: u.Name, Email: u.Email, RoleLabel: RoleLabel(u.Role), LastSignIn: "Never", IsSelf: u.ID == self}
		if u.LastSignInAt != nil {
			row.LastSignIn = formatTime(*u.LastSignInAt)
		}
		if u.Role == store.RoleAccountManager {
			row.Partners = &views.PartnerBook{Count: u.Partners, Href: listHref("/partners", "manager", strconv.FormatInt(u.ID, 10))}
		}
		m.Staff = append(m.Staff, row)
	}
	return h.render(c, status, views.Staff(m))
}

// createStaff adds an account manager (or platform admin) and mails them
// a link to choose their password.
func (h *Handler) createStaff(c echo.Context) error {
	if err := h.authorize(c, access.ListAccountManagers, 0); err != nil {
		return err
	}
	form := views.CreateStaffForm{Name: c.FormValue("name"), Email: c.FormValue("email"), Role: c.FormValue("role")}
	u, err := h.people.CreateStaff(c.Request().Context(), actorOf(currentUser(c)), form.Name, form.Email, form.Role)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		switch in.Field {
		case "name":
			form.NameError = in.Message
		case "role":
			form.RoleError = in.Message
		default:
			form.EmailError = in.Message
		}
		return h.renderStaff(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.mailer.Kick()
	err = auth.SSORequired(c.Request().Context(), h.store, u)
	if e := ssoRequired(err); e != nil {
		return h.redirectWithFlash(c, "/staff", "success", u.Name+" was added as "+RoleLabel(u.Role)+"; they sign in through "+e.Provider+", as the mail sent to "+u.Email+" says.")
	} else if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/staff", "success", u.Name+" was added as "+RoleLabel(u.Role)+"; a link to choose a password was mailed to "+u.Email+".")
}
