package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// numberSetting is a whole-number portal setting saved by a form of its
// own on the settings page: its bounds, how it is read, written and
// audited, and the words around it.
type numberSetting struct {
	field    string // the form field
	min, max int
	// invalid is the message of a value that is not a whole number from
	// min to max; saved the flash of a saved value.
	invalid string
	saved   func(v int) string
	// action and target name the audit event, which records from and to.
	action, target string
	get            func(*store.PortalSettings) int
	set            func(ctx context.Context, tx *store.Store, v int, by int64) error
	// refused puts the refused value (as typed, cut to 20 characters) and
	// msg at the setting's field.
	refused func(m *views.PortalSettingsPage, raw, msg string)
}

// tokenMaxDays is the longest lifetime a new personal access token or
// client may have.
var tokenMaxDays = numberSetting{
	field: "token_max_days", min: minTokenDays, max: maxTokenDays,
	invalid: "Enter a whole number of days from 1 to 3650 (ten years).",
	saved: func(v int) string {
		return "New tokens now live at most " + strconv.Itoa(v) + " days; existing tokens keep their expiry."
	},
	action: "settings.token_max_days", target: "Longest token lifetime",
	get: func(s *store.PortalSettings) int { return s.TokenMaxDays },
	set: func(ctx context.Context, tx *store.Store, v int, by int64) error {
		return tx.SetTokenMaxDays(ctx, v, by)
	},
	refused: func(m *views.PortalSettingsPage, raw, msg string) {
		m.MaxDays, m.MaxDaysError = raw, msg
	},
}

// accessTokenMinutes is how long new OAuth access tokens live (the
// column's CHECK is 1 to 1440).
var accessTokenMinutes = numberSetting{
	field: "access_token_minutes", min: 1, max: 1440,
	invalid: "Enter a whole number of minutes from 1 to 1440 (a day).",
	saved: func(v int) string {
		return "New OAuth access tokens now live " + strconv.Itoa(v) + " minutes; tokens already issued keep their expiry."
	},
	action: "settings.access_token_minutes", target: "OAuth access token lifetime",
	get: func(s *store.PortalSettings) int { return s.AccessTokenMinutes },
	set: func(ctx context.Context, tx *store.Store, v int, by int64) error {
		return tx.SetAccessTokenMinutes(ctx, v, by)
	},
	refused: func(m *views.PortalSettingsPage, raw, msg string) {
		m.AccessTokenMinutes, m.AccessTokenMinutesError = raw, msg
	},
}

// saveAccessTokenMinutes changes how long new OAuth access tokens live.
func (h *Handler) saveAccessTokenMinutes(c echo.Context) error {
	return h.saveNumberSetting(c, accessTokenMinutes)
}

// wholeIn reads a settings form's whole number from lo to hi. When it is
// not one, ok is false and shown is the value as typed, cut to 20
// characters, to show again at the field.
func wholeIn(value string, lo, hi int) (n int, shown string, ok bool) {
	shown = strings.TrimSpace(value)
	n, err := strconv.Atoi(shown)
	if err != nil || n < lo || n > hi {
		if len(shown) > 20 {
			shown = shown[:20]
		}
		return 0, shown, false
	}
	return n, shown, true
}

// saveNumberSetting saves one number setting for a platform admin: a
// refused value is shown again at its field (422); an unchanged one is
// not audited; a change is written and audited in one transaction.
func (h *Handler) saveNumberSetting(c echo.Context, ns numberSetting) error {
	if err := h.authorize(c, access.ManagePortalSettings, 0); err != nil {
		return err
	}
	v, raw, ok := wholeIn(c.FormValue(ns.field), ns.min, ns.max)
	if !ok {
		m, err := h.portalSettingsModel(c, nil)
		if err != nil {
			return err
		}
		ns.refused(&m, raw, ns.invalid)
		return h.render(c, http.StatusUnprocessableEntity, views.PortalSettings(m))
	}
	ctx := c.Request().Context()
	by := currentUser(c).ID
	err := h.store.InTx(ctx, func(tx *store.Store) error {
		s, err := tx.Settings(ctx)
		if err != nil || ns.get(s) == v {
			return err
		}
		if err := ns.set(ctx, tx, v, by); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: ns.action, TargetType: "portal_settings", Target: ns.target,
			Details: map[string]any{"from": ns.get(s), "to": v},
		})
	})
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/settings", "success", ns.saved(v))
}
