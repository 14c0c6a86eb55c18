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

// saveAlertSettings changes the alert rules' thresholds (platform admins),
// audited with from and to; refused values are shown again at their fields.
func (h *Handler) saveAlertSettings(c echo.Context) error {
	if err := h.authorize(c, access.ManagePortalSettings, 0); err != nil {
		return err
	}
	f := views.AlertSettingsForm{
		RateLimited: strings.TrimSpace(c.FormValue("rate_limited_per_hour")),
		SpikeFactor: strings.TrimSpace(c.FormValue("spike_factor")),
		SpikeMin:    strings.TrimSpace(c.FormValue("spike_min")),
	}
	whole := func(raw *string, lo, hi int, msg *string) int {
		n, err := strconv.Atoi(*raw)
		if err != nil || n < lo || n > hi {
			*msg = "Enter a whole number from " + strconv.Itoa(lo) + " to " + formatCount(int64(hi)) + "."
			if len(*raw) > 20 {
				*raw = (*raw)[:20]
			}
		}
		return n
	}
	want := store.AlertThresholds{
		RateLimitedPerHour: whole(&f.RateLimited, 1, 1000000, &f.RateLimitedError),
		SpikeFactor:        whole(&f.SpikeFactor, 2, 1000, &f.SpikeFactorError),
		SpikeMin:           whole(&f.SpikeMin, 1, 1000000, &f.SpikeMinError),
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
