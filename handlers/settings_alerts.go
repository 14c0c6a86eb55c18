package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// saveAlertSettings changes the alert rules' thresholds (platform admins),
// audited with from and to; refused values are shown again at their fields.
func (h *Handler) saveAlertSettings(c echo.Context) error {
	if err := h.authorize(c, access.ManagePortalSettings, 0); err != nil {
		return err
	}
	var f views.AlertSettingsForm
	whole := func(field string, lo, hi int, shown, msg *string) int {
		n, raw, ok := wholeIn(c.FormValue(field), lo, hi)
		if *shown = raw; !ok {
			*msg = "Enter a whole number from " + strconv.Itoa(lo) + " to " + formatCount(int64(hi)) + "."
		}
		return n
	}
	want := store.AlertThresholds{
		RateLimitedPerHour: whole("rate_limited_per_hour", 1, 1000000, &f.RateLimited, &f.RateLimitedError),
		SpikeFactor:        whole("spike_factor", 2, 1000, &f.SpikeFactor, &f.SpikeFactorError),
		SpikeMin:           whole("spike_min", 1, 1000000, &f.SpikeMin, &f.SpikeMinError),
	}
	if f.RateLimitedError != "" || f.SpikeFactorError != "" || f.SpikeMinError != "" {
		m, err := h.portalSettingsModel(c, nil)
		if err != nil {
			return err
		}
		m.Alerts = f
		return h.render(c, http.StatusUnprocessableEntity, views.PortalSettings(m))
	}
	ctx := c.Request().Context()
	by := currentUser(c).ID
	err := h.store.InTx(ctx, func(tx *store.Store) error {
		s, err := tx.Settings(ctx)
		if err != nil || s.AlertThresholds == want {
			return err
		}
		if err := tx.SetAlertThresholds(ctx, want, by); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "settings.alerts", TargetType: "portal_settings", Target: "Alert thresholds",
			Details: map[string]any{"from": s.AlertThresholds, "to": want}})
	})
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/settings", "success", "Alert thresholds saved; the next check (within 5 minutes) uses them.")
}
