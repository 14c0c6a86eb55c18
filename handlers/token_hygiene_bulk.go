package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/hygiene"
	"github.com/portico/portico/views"
)

// confirmRevokeUnused lists the partner's never-used credentials before
// revoking them: the partner admin's own (/tokens/hygiene/revoke-unused).
func (h *Handler) confirmRevokeUnused(c echo.Context) error {
	return h.renderRevokeUnused(c, ownPartnerID(c), false)
}

// staffConfirmRevokeUnused is the same for staff, of the partner in the URL.
func (h *Handler) staffConfirmRevokeUnused(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.StaffPartnerTokens, id); err != nil {
		return err
	}
	return h.renderRevokeUnused(c, id, true)
}

func (h *Handler) renderRevokeUnused(c echo.Context, partnerID int64, staff bool) error {
	ctx := c.Request().Context()
	ts, err := h.hygiene.NeverUsed(ctx, actorOf(currentUser(c)), partnerID)
	if err != nil {
		return narrowError(err)
	}
	partner, err := h.store.PartnerByID(ctx, partnerID)
	if err != nil {
		return err
	}
	back := hygienePath(staff, partnerID)
	m := views.RevokeUnusedPage{Page: h.page(c, "Revoke never-used credentials"), Partner: partner.Name,
		Action: back + "/revoke-unused", Back: back}
	if len(ts) > hygiene.MaxBulkRevoke {
		ts, m.More = ts[:hygiene.MaxBulkRevoke], true
	}
	for _, t := range ts {
		m.Tokens = append(m.Tokens, views.HygieneRow{ID: t.ID, Name: t.Name, Hint: t.Hint, Environment: t.Environment,
			Owner: t.OwnerName, Created: formatTime(t.CreatedAt)})
	}
	return h.render(c, http.StatusOK, views.RevokeUnused(m))
}

// revokeUnused revokes the never-used credentials the confirmation listed.
func (h *Handler) revokeUnused(c echo.Context) error {
	return h.doRevokeUnused(c, ownPartnerID(c), false)
}

// staffRevokeUnused is the same for staff.
func (h *Handler) staffRevokeUnused(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.StaffPartnerTokens, id); err != nil {
		return err
	}
	return h.doRevokeUnused(c, id, true)
}

func (h *Handler) doRevokeUnused(c echo.Context, partnerID int64, staff bool) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	raw := form["id"]
	if len(raw) == 0 || len(raw) > hygiene.MaxBulkRevoke {
		return BadRequest("Open the list of never-used credentials again and confirm from there.")
	}
	ids := make([]int64, 0, len(raw))
	for _, s := range raw {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return BadRequest("Open the list of never-used credentials again and confirm from there.")
		}
		ids = append(ids, id)
	}
	done, err := h.hygiene.RevokeNeverUsed(c.Request().Context(), actorOf(currentUser(c)), partnerID, ids)
	if err != nil {
		return narrowError(err)
	}
	h.mailer.Kick()
	msg := pluralWords(len(done), "never-used credential was revoked.", "never-used credentials were revoked.")
	if skipped := len(ids) - len(done); skipped > 0 {
		msg += " " + strconv.Itoa(skipped) + " were used or revoked meanwhile and left alone."
	}
	return h.redirectWithFlash(c, hygienePath(staff, partnerID), "success", strconv.Itoa(len(done))+" "+msg)
}
