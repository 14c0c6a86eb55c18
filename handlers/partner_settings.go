package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// PartnerSettingsPath is where a partner's own settings are saved.
func PartnerSettingsPath(id int64) string { return views.PartnerPagePath(id) + "/settings" }

// savePartnerSettings sets a partner's own longest token lifetime (staff),
// audited with from and to; empty goes back to the portal's. A refused
// value is shown again on the partner page.
func (h *Handler) savePartnerSettings(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.ManagePartners, id); err != nil {
		return err
	}
	ctx := c.Request().Context()
	life, err := h.store.TokenLifetimeOf(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This partner")
	}
	if err != nil {
		return err
	}
	var want *int
	if raw := c.FormValue("token_max_days"); strings.TrimSpace(raw) != "" {
		n, raw, ok := wholeIn(raw, 1, life.Portal)
		if !ok {
			return h.renderPartnerPage(c, http.StatusUnprocessableEntity, &views.PartnerSettingsForm{TokenMaxDays: raw,
				TokenMaxDaysError: "Enter a whole number of days from 1 to " + strconv.Itoa(life.Portal) + " (the portal's maximum), or leave it empty."})
		}
		want = &n
	}
	same := (want == nil) == (life.Partner == nil) && (want == nil || *want == *life.Partner)
	if !same {
		err = h.store.InTx(ctx, func(tx *store.Store) error {
			if err := tx.SetPartnerTokenMaxDays(ctx, id, want); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Action: "partner.token_max_days", PartnerID: id, TargetType: "partner", TargetID: id,
				Target: "Longest token lifetime", Details: map[string]any{"from": life.Partner, "to": want, "portal": life.Portal}})
		})
		if err != nil {
			return err
		}
	}
	msg := "This partner's tokens now follow the portal's maximum of " + strconv.Itoa(life.Portal) + " days."
	if want != nil {
		msg = "This partner's new tokens now live at most " + strconv.Itoa(*want) + " days; existing ones keep their expiry."
	}
	return h.redirectWithFlash(c, views.PartnerPagePath(id), "success", msg)
}
