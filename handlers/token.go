package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// graces are the grace periods the regenerate form offers.
var graces = map[string]time.Duration{"0": 0, "1h": time.Hour, "6h": 6 * time.Hour, "24h": 24 * time.Hour}

// tokenFor loads the token in the URL for act: a token the user may not
// see is a 404, one they see but may not act on a 403.
func (h *Handler) tokenFor(c echo.Context, act access.Action) (*store.Token, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	a := actorOf(currentUser(c))
	t, err := h.pats.Get(c.Request().Context(), a, id)
	if err != nil {
		return nil, tokenError(err)
	}
	return t, tokenError(decide(access.CanToken(a, act, t.UserID, t.PartnerID)))
}

func decide(d access.Decision) error {
	switch d {
	case access.Allow:
		return nil
	case access.Hidden:
		return pat.ErrNotFound
	}
	return pat.ErrForbidden
}

// revokeTarget is the token to revoke, where the form posts and the list
// to return to: /partners/:id/tokens/:token/revoke for staff (the token
// must be of that partner), /tokens/:id/revoke for its owner and partner
// admins (?from=partner returns to the partner's list).
func (h *Handler) revokeTarget(c echo.Context) (t *store.Token, action, back string, err error) {
	a := actorOf(currentUser(c))
	if c.Param("token") != "" {
		partnerID, err := pathID(c, "id")
		if err != nil {
			return nil, "", "", err
		}
		if err := h.authorize(c, access.StaffPartnerTokens, partnerID); err != nil {
			return nil, "", "", err
		}
		id, err := pathID(c, "token")
		if err != nil {
			return nil, "", "", err
		}
		if t, err = h.pats.Get(c.Request().Context(), a, id); err != nil {
			return nil, "", "", tokenError(err)
		}
		if t.PartnerID != partnerID {
			return nil, "", "", NotFound("This token")
		}
		back = partnerTokensPath(partnerID)
		action = back + "/" + strconv.FormatInt(id, 10) + "/revoke"
	} else {
		if t, err = h.tokenFor(c, access.ViewToken); err != nil {
			return nil, "", "", err
		}
		action, back = tokenPath(t.ID, "revoke"), "/tokens"
		switch {
		case c.QueryParam("from") == "partner" && access.Can(a, access.ViewPartnerTokens, t.PartnerID) == access.Allow:
			action, back = action+"?from=partner", "/tokens/partner"
		case t.UserID == a.UserID:
		case a.Staff():
			back = partnerTokensPath(t.PartnerID)
		default:
			back = "/tokens/partner"
		}
	}
	return t, action, back, tokenError(decide(access.CanToken(a, access.RevokeToken, t.UserID, t.PartnerID)))
}

func partnerTokensPath(partnerID int64) string {
	return "/partners/" + strconv.FormatInt(partnerID, 10) + "/tokens"
}

// confirmRevokeToken asks before revoking a token.
func (h *Handler) confirmRevokeToken(c echo.Context) error {
	t, action, back, err := h.revokeTarget(c)
	if err != nil {
		return err
	}
	rows, err := h.tokenRows(c, actorOf(currentUser(c)), []store.Token{*t}, tokenList{own: true})
	if err != nil {
		return err
	}
	live := 0
	if t.IsClient() {
		if live, err = h.store.LiveAccessTokens(c.Request().Context(), t.ID); err != nil {
			return err
		}
	}
	return h.render(c, http.StatusOK, views.RevokeToken(views.RevokeTokenPage{
		Page: h.page(c, "Revoke "+t.Name), Token: rows[0], Action: action, Back: back, Own: t.UserID == currentUser(c).ID,
		LiveAccessTokens: live,
	}))
}

// revokeToken revokes a token at once; its owner is told when someone
// else revoked it.
func (h *Handler) revokeToken(c echo.Context) error {
	t, _, back, err := h.revokeTarget(c)
	if err != nil {
		return err
	}
	_, err = h.pats.Revoke(c.Request().Context(), actorOf(currentUser(c)), t.ID)
	if errors.Is(err, pat.ErrClosed) {
		return h.redirectWithFlash(c, back, "info", "“"+t.Name+"” was already revoked.")
	}
	if err != nil {
		return tokenError(err)
	}
	if t.UserID != currentUser(c).ID {
		h.mailer.Kick()
	}
	if t.IsClient() {
		return h.redirectWithFlash(c, back, "success", "OAuth client “"+t.Name+"” ("+*t.ClientID+") was revoked: it gets no more access tokens, and those it had stopped working.")
	}
	return h.redirectWithFlash(c, back, "success", "“"+t.Name+"” ("+t.Hint+") was revoked: calls with it are refused from now on.")
}

// regenerateTokenForm asks how long the old secret may keep working.
func (h *Handler) regenerateTokenForm(c echo.Context) error {
	t, err := h.tokenFor(c, access.RegenerateToken)
	if err != nil {
		return err
	}
	return h.renderRegenerate(c, http.StatusOK, t, "0", "")
}

func (h *Handler) renderRegenerate(c echo.Context, status int, t *store.Token, grace, msg string) error {
	if s := t.Status(time.Now()); s == "revoked" || s == "expired" {
		return h.redirectWithFlash(c, "/tokens", "error", "“"+t.Name+"” is "+s+" and cannot be regenerated: create a new token instead.")
	}
	rows, err := h.tokenRows(c, actorOf(currentUser(c)), []store.Token{*t}, tokenList{own: true})
	if err != nil {
		return err
	}
	title := "Regenerate " + t.Name
	if t.IsClient() {
		title = "Rotate the secret of " + t.Name
	}
	return h.render(c, status, views.RegenerateToken(views.RegenerateTokenPage{
		Page: h.page(c, title), Token: rows[0], Grace: grace, Error: msg,
	}))
}

// regenerateToken gives the token a new secret and shows it once. A live
// token needs the password entered recently, like creating one.
func (h *Handler) regenerateToken(c echo.Context) error {
	t, err := h.tokenFor(c, access.RegenerateToken)
	if err != nil {
		return err
	}
	raw := c.FormValue("grace")
	grace, ok := graces[raw]
	if !ok {
		return h.renderRegenerate(c, http.StatusUnprocessableEntity, t, "0", "Choose one of the grace periods offered.")
	}
	if t.Environment == store.EnvLive && !recentlyAuthenticated(c) {
		return h.requireSudo(c, tokenPath(t.ID, "regenerate"), "Regenerating a live token needs your password: confirm it, then regenerate the token again.")
	}
	created, err := h.pats.Regenerate(c.Request().Context(), actorOf(currentUser(c)), t.ID, grace)
	var fail *apierr.FieldError
	switch {
	case errors.Is(err, pat.ErrClosed):
		return h.redirectWithFlash(c, "/tokens", "error", "“"+t.Name+"” was revoked or has expired and cannot be regenerated: create a new token instead.")
	case errors.As(err, &fail):
		return h.renderRegenerate(c, http.StatusUnprocessableEntity, t, raw, fail.Message)
	case err != nil:
		return tokenError(err)
	}
	return h.renderSecret(c, created, true)
}

// renameToken changes the name of the user's own token.
func (h *Handler) renameToken(c echo.Context) error {
	t, err := h.tokenFor(c, access.RenameToken)
	if err != nil {
		return err
	}
	renamed, err := h.pats.Rename(c.Request().Context(), actorOf(currentUser(c)), t.ID, c.FormValue("name"))
	var fail *apierr.FieldError
	if errors.As(err, &fail) {
		return h.redirectWithFlash(c, "/tokens", "error", "“"+t.Name+"” was not renamed: "+fail.Message)
	}
	if err != nil {
		return tokenError(err)
	}
	return h.redirectWithFlash(c, "/tokens", "success", "“"+t.Name+"” is now called “"+renamed.Name+"”.")
}

// setTokenRateLimit changes or removes (an empty field) the own rate
// limit of the user's token, from the token list.
func (h *Handler) setTokenRateLimit(c echo.Context) error {
	t, err := h.tokenFor(c, access.LimitToken)
	if err != nil {
		return err
	}
	n, err := pat.ParseRateLimit(c.FormValue("rate_limit"))
	if err == nil {
		_, err = h.pats.SetRateLimit(c.Request().Context(), actorOf(currentUser(c)), t.ID, n)
	}
	var fail *apierr.FieldError
	switch {
	case errors.As(err, &fail):
		return h.redirectWithFlash(c, "/tokens", "error", "The rate limit of “"+t.Name+"” was not changed: "+fail.Message)
	case errors.Is(err, pat.ErrClosed):
		return h.redirectWithFlash(c, "/tokens", "error", "“"+t.Name+"” is revoked or has expired: its rate limit no longer matters.")
	case err != nil:
		return tokenError(err)
	case n == nil:
		return h.redirectWithFlash(c, "/tokens", "success", "“"+t.Name+"” has no rate limit of its own now: only your organisation's limits apply.")
	}
	return h.redirectWithFlash(c, "/tokens", "success", "“"+t.Name+"” is now limited to "+strconv.Itoa(*n)+" requests per minute, within moments on every gateway node.")
}

// approveToken lets a pending live token work (partner admins).
func (h *Handler) approveToken(c echo.Context) error {
	t, err := h.tokenFor(c, access.ApproveToken)
	if err != nil {
		return err
	}
	_, err = h.pats.Approve(c.Request().Context(), actorOf(currentUser(c)), t.ID)
	if errors.Is(err, pat.ErrClosed) {
		return h.redirectWithFlash(c, "/tokens/partner", "info", "“"+t.Name+"” no longer waits for approval.")
	}
	if err != nil {
		return tokenError(err)
	}
	h.mailer.Kick()
	return h.redirectWithFlash(c, "/tokens/partner", "success", "“"+t.Name+"” of "+t.OwnerName+" is approved and works from now on; they were told by mail.")
}
