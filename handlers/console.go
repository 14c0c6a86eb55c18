package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
)

// The "Try it" panels of an API's documentation page call the sandbox with
// a console token from consoleToken (static/js/try-it.js); the page links
// consoleSpec for the developer's own tools.

// consoleSpec serves the API's current document ready for the viewer's
// tools (Postman, Insomnia, Swagger UI, a client generator): only the
// sandbox as server, a bearer scheme a tool can fill in, and the
// operations the viewer is not granted marked as such.
// GET /apis/:slug/openapi.json, linked from the docs page.
func (h *Handler) consoleSpec(c echo.Context) error {
	api, held, err := h.visibleAPI(c)
	if err != nil {
		return err
	}
	spec, rev, err := h.catalog.Current(c.Request().Context(), api.ID)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(apiNotFound)
	}
	if err != nil {
		return err
	}
	v := catalog.ConsoleView{Server: h.docTarget(c, api.Slug).Sandbox}
	if held != nil {
		v.Held = make(map[string]bool, len(held.Scopes))
		for _, sc := range held.Scopes {
			v.Held[sc] = true
		}
	}
	doc, err := catalog.ConsoleDocument(spec, rev.Spec, v)
	if err != nil {
		return err
	}
	// What is marked depends on the viewer's grants, which change.
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
}

// consoleTokenBody is what consoleToken answers: the plaintext, once.
type consoleTokenBody struct {
	Token     string    `json:"token"`
	Hint      string    `json:"hint"`
	ExpiresAt time.Time `json:"expires_at"`
	Scopes    []string  `json:"scopes"`
}

// consoleToken mints the signed-in developer's console token for the API:
// a sandbox token of 15 minutes with exactly their scopes of it, hidden
// from the token lists and audited as token.console. Staff hold no grants
// and get none. POST /apis/:slug/console-token (same-origin only, as every
// POST).
func (h *Handler) consoleToken(c echo.Context) error {
	api, _, err := h.visibleAPI(c)
	if err != nil {
		return err
	}
	a := actorOf(currentUser(c))
	if a.Staff() {
		return &Error{Status: http.StatusForbidden, Code: "forbidden",
			Message: "Staff hold no sandbox credentials: the console calls the sandbox as a partner developer."}
	}
	created, err := h.pats.ConsoleToken(c.Request().Context(), a, api.Slug)
	var limit *pat.ConsoleLimitError
	switch {
	case errors.As(err, &limit):
		setRetryAfter(c, limit.RetryAfter)
		return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Err: err,
			Message: "The console made too many tokens for you this hour. Paste one of your own sandbox tokens in Authorize, or try again later."}
	case errors.Is(err, pat.ErrNotFound):
		return NotFound(apiNotFound)
	case errors.Is(err, pat.ErrNoScopes):
		return &Error{Status: http.StatusForbidden, Code: "no_scopes", Err: err,
			Message: "You hold none of this API's scopes. Ask your partner admin or your account manager for access."}
	case errors.Is(err, pat.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Err: err, Message: "Your account may not create tokens."}
	case err != nil:
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, consoleTokenBody{
		Token: created.Plaintext, Hint: created.Token.Hint, ExpiresAt: created.Token.ExpiresAt.UTC(), Scopes: created.Token.Scopes,
	})
}
