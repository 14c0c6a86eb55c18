package handlers

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// partnerSSOSummary is the single sign-on section of a partner's staff
// page, for staff who configure it (empty otherwise).
func (h *Handler) partnerSSOSummary(c echo.Context, p *store.Partner) (views.PartnerSSOSummary, error) {
	if access.Can(actorOf(currentUser(c)), access.ConfigurePartnerSSO, p.ID) != access.Allow {
		return views.PartnerSSOSummary{}, nil
	}
	s := views.PartnerSSOSummary{Href: views.PartnerPagePath(p.ID) + "/sso"}
	ip, err := h.sso.Current(c.Request().Context(), &p.ID)
	if err != nil {
		return s, err
	}
	if ip == nil {
		if p.Status == store.PartnerEnded {
			// Nothing to set up for a partnership that has ended.
			return views.PartnerSSOSummary{}, nil
		}
		return s, nil
	}
	s.Configured, s.DisplayName, s.Enforced = true, ip.DisplayName, ip.Enforced
	return s, nil
}

// peopleCount starts the sentence saying how many people sign in
// through a provider.
func peopleCount(n int) string {
	switch n {
	case 0:
		return "Nobody has signed in"
	case 1:
		return "1 person signs in"
	}
	return strconv.Itoa(n) + " people sign in"
}

// clip cuts what a refused form shows again to a bounded length.
func clip(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}
