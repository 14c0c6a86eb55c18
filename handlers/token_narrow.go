package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/hygiene"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// confirmNarrowToken shows what narrowing a token to the scopes it used
// would keep and drop.
func (h *Handler) confirmNarrowToken(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a := actorOf(currentUser(c))
	n, err := h.hygiene.Plan(c.Request().Context(), a, id)
	if err != nil {
		return narrowError(err)
	}
	t := n.Token
	return h.render(c, http.StatusOK, views.NarrowToken(views.NarrowTokenPage{
		Page: h.page(c, "Narrow "+t.Name), Name: t.Name, Hint: t.Hint, Environment: t.Environment, Owner: t.OwnerName,
		Own: t.UserID == a.UserID, Keep: n.Keep, Drop: n.Drop, Action: tokenPath(id, "narrow"), Back: h.narrowBack(c, &t),
	}))
}

// narrowToken drops the token's unused scopes and goes back to the
// hygiene page (the owner's token list for a developer).
func (h *Handler) narrowToken(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := h.hygiene.Narrow(c.Request().Context(), actorOf(currentUser(c)), id)
	if err != nil {
		return narrowError(err)
	}
	h.mailer.Kick()
	return h.redirectWithFlash(c, h.narrowBack(c, &n.Token), "success",
		"“"+n.Token.Name+"” now holds "+strings.Join(n.Keep, ", ")+"; it no longer holds "+strings.Join(n.Drop, ", ")+".")
}

// narrowBack is where the viewer came from: the partner's hygiene page
// for those who see it, the own token list otherwise.
func (h *Handler) narrowBack(c echo.Context, t *store.Token) string {
	a := actorOf(currentUser(c))
	switch {
	case a.Staff():
		return hygienePath(true, t.PartnerID) + "?show=all"
	case a.PartnerID == t.PartnerID && a.Role == "partner_admin":
		return hygienePath(false, t.PartnerID) + "?show=all"
	}
	return "/tokens"
}

// narrowError turns hygiene's refusals into pages that say what to do.
func narrowError(err error) error {
	switch {
	case errors.Is(err, hygiene.ErrNotFound):
		return NotFound("This token")
	case errors.Is(err, hygiene.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Your role does not allow narrowing this token."}
	case errors.Is(err, hygiene.ErrClosed):
		return &Error{Status: http.StatusConflict, Code: "token_closed", Message: "This token is revoked or expired: there is nothing to narrow."}
	case errors.Is(err, hygiene.ErrNothingUsed):
		return &Error{Status: http.StatusConflict, Code: "nothing_used",
			Message: "This token used none of its scopes in the last 30 days: narrowing would leave it nothing. Revoke it instead if nobody needs it."}
	case errors.Is(err, hygiene.ErrNothingToDrop):
		return &Error{Status: http.StatusConflict, Code: "nothing_to_drop", Message: "This token used every scope it holds in the last 30 days: there is nothing to drop."}
	}
	return err
}
