package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// roleHelp says in a sentence what each role does in the portal.
var roleHelp = map[string]string{
	store.RoleAdmin:          "You run this portal: partners, account managers and portal-wide settings.",
	store.RoleAccountManager: "You onboard partners, publish APIs and decide which partner teams may call them.",
	store.RolePartnerAdmin:   "You manage your organisation's people, teams and credentials.",
	store.RoleDeveloper:      "Read the API documentation, try calls in the sandbox and manage your own access tokens.",
}

// home renders the landing page, or the signed-in user's start page.
func (h *Handler) home(c echo.Context) error {
	m := views.HomePage{Page: h.page(c, ""), SignInHref: "/sign-in"}
	if u := currentUser(c); u != nil {
		m.Account = &views.AccountSummary{
			Name: u.Name, Email: u.Email, RoleLabel: RoleLabel(u.Role),
			Organisation: "Portal provider (staff)", RoleHelp: roleHelp[u.Role],
		}
		if p := currentPartner(c); p != nil {
			m.Account.Organisation = p.Name
		}
	}
	return h.render(c, http.StatusOK, views.Home(m))
}
