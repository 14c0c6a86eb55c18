package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// Bounds of the OAuth access token lifetime in minutes (the column's CHECK).
const (
	minAccessTokenMinutes = 1
	maxAccessTokenMinutes = 1440
)

// saveAccessTokenMinutes changes how long new OAuth access tokens live
// (platform admins), audited; a refused value is shown again at the field.
func (h *Handler) saveAccessTokenMinutes(c echo.Context) error {
	if err := h.authorize(c, access.ManagePortalSettings, 0); err != nil {
		return err
	}
	raw := strings.TrimSpace(c.FormValue("access_token_minutes"))
	minutes, err := strconv.Atoi(raw)
	if err != nil || minutes < minAccessTokenMinutes || minutes > maxAccessTokenMinutes {
		m, err := h.portalSettingsModel(c, "", "", nil)
		if err != nil {
			return err
		}
		if len(raw) > 20 {
			raw = raw[:20]
		}
		m.AccessTokenMinutes, m.AccessTokenMinutesError = raw, "Enter a whole number of minutes from 1 to 1440 (a day)."
		return h.render(c, http.StatusUnprocessableEntity, views.PortalSettings(m))
	}
	ctx := c.Request().Context()
	by := currentUser(c).ID
	err = h.store.InTx(ctx, func(tx *store.Store) error {
		s, err := tx.Settings(ctx)
		if err != nil || s.AccessTokenMinutes == minutes {
			return err
		}
		if err := tx.SetAccessTokenMinutes(ctx, minutes, by); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "settings.access_token_minutes", TargetType: "portal_settings", Target: "OAuth access token lifetime",
			Details: map[string]any{"from": s.AccessTokenMinutes, "to": minutes},
		})
	})
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/settings", "success",
		"New OAuth access tokens now live "+strconv.Itoa(minutes)+" minutes; tokens already issued keep their expiry.")
}
