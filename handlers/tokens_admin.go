package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// Bounds of the portal's longest token lifetime (the column's CHECK).
const (
	minTokenDays = 1
	maxTokenDays = 3650
)

// partnerTokens lists every token of the signed-in partner admin's partner.
func (h *Handler) partnerTokens(c echo.Context) error {
	return h.renderPartnerTokens(c, ownPartnerID(c), "/tokens/partner")
}

// staffPartnerTokens lists every token of the partner in the URL, for staff.
func (h *Handler) staffPartnerTokens(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.StaffPartnerTokens, id); err != nil {
		return err
	}
	return h.renderPartnerTokens(c, id, partnerTokensPath(id))
}

func (h *Handler) renderPartnerTokens(c echo.Context, partnerID int64, path string) error {
	if err := h.authorize(c, access.ViewPartnerTokens, partnerID); err != nil {
		return err
	}
	q, err := tokenQuery(c, store.PartnerTokensList)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	partner, err := h.partnerOr404(ctx, partnerID)
	if err != nil {
		return err
	}
	a := actorOf(currentUser(c))
	list, err := h.pats.ListPartner(ctx, a, partnerID, q)
	if err != nil {
		return tokenError(err)
	}
	// The badge of the pending filter: a bounded count from the pending
	// index, whatever the filter shown.
	pending, err := h.store.CountPendingTokens(ctx, partnerID)
	if err != nil {
		return err
	}
	staff := a.Staff()
	rows, err := h.tokenRows(c, a, list.Tokens, tokenList{revokePath: func(t *store.Token) string {
		return partnerRevokePath(staff, partnerID, t.ID)
	}})
	if err != nil {
		return err
	}
	settings, err := h.partnerSettingsView(ctx, a, partnerID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.PartnerTokens(views.PartnerTokensPage{
		Page: h.page(c, "Tokens of "+partner.Name), Partner: partner.Name, PartnerID: partner.ID, Tokens: rows, HygieneHref: hygienePath(staff, partnerID),
		List:  tokenListNav(path, "Search by token name, owner name or email", store.PartnerTokensList, q, list.Tokens, list.More, pending),
		Staff: staff, Settings: settings,
	}))
}

// hygienePath is the credential hygiene page of a partner: under the
// partner directory for staff, the admin's own otherwise.
func hygienePath(staff bool, partnerID int64) string {
	if staff {
		return partnerTokensPath(partnerID) + "/hygiene"
	}
	return "/tokens/hygiene"
}

// portalSettings shows the portal-wide settings (platform admins).
func (h *Handler) portalSettings(c echo.Context) error {
	if err := h.authorize(c, access.ManagePortalSettings, 0); err != nil {
		return err
	}
	return h.renderPortalSettings(c, http.StatusOK, nil)
}

// renderPortalSettings shows the settings page; value and msg are a
// refused token lifetime, ret a refused retention form (nil: saved ones).
func (h *Handler) renderPortalSettings(c echo.Context, status int, ret *views.RetentionForm) error {
	m, err := h.portalSettingsModel(c, ret)
	if err != nil {
		return err
	}
	return h.render(c, status, views.PortalSettings(m))
}

// portalSettingsModel is the settings page's model with the saved values,
// or with a refused retention form (a refused number setting is put at its
// field by saveNumberSetting).
func (h *Handler) portalSettingsModel(c echo.Context, ret *views.RetentionForm) (views.PortalSettingsPage, error) {
	ctx := c.Request().Context()
	s, err := h.store.Settings(ctx)
	if err != nil {
		return views.PortalSettingsPage{}, err
	}
	m := views.PortalSettingsPage{Page: h.page(c, "Portal settings"), MaxDays: strconv.Itoa(s.TokenMaxDays),
		AccessTokenMinutes: strconv.Itoa(s.AccessTokenMinutes),
		Alerts: views.AlertSettingsForm{RateLimited: strconv.Itoa(s.RateLimitedPerHour), SpikeFactor: strconv.Itoa(s.SpikeFactor),
			SpikeMin: strconv.Itoa(s.SpikeMin)}}
	if s.UpdatedBy != nil {
		m.Updated = formatTime(s.UpdatedAt)
		if u, err := h.store.UserByID(ctx, *s.UpdatedBy); err == nil {
			m.Updated += " by " + u.Name
		}
	}
	if m.Retention, err = h.retentionForm(ctx, ret); err != nil {
		return views.PortalSettingsPage{}, err
	}
	return m, nil
}

// savePortalSettings changes the longest token lifetime, audited.
func (h *Handler) savePortalSettings(c echo.Context) error {
	return h.saveNumberSetting(c, tokenMaxDays)
}
