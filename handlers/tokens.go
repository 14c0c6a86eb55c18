package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// tokens lists the signed-in partner user's own tokens; staff, who have
// none, are pointed to the partners' lists.
func (h *Handler) tokens(c echo.Context) error {
	a := actorOf(currentUser(c))
	if a.Staff() {
		return h.render(c, http.StatusOK, views.StaffTokens(views.StaffTokensPage{Page: h.page(c, "Tokens")}))
	}
	if err := h.authorize(c, access.CreateToken, a.PartnerID); err != nil {
		return err
	}
	q, err := tokenQuery(c, store.OwnTokensList)
	if err != nil {
		return err
	}
	list, err := h.pats.ListOwn(c.Request().Context(), a, q)
	if err != nil {
		return err
	}
	rows, err := h.tokenRows(c, a, list.Tokens, tokenList{own: true})
	if err != nil {
		return err
	}
	canClient, clientHint, err := h.clientChoice(c, a)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.Tokens(views.TokensPage{
		Page: h.page(c, "Your tokens"), Tokens: rows, CanCreateClient: canClient, ClientHint: clientHint,
		List:         tokenListNav("/tokens", "Search your tokens by name", store.OwnTokensList, q, list.Tokens, list.More, -1),
		PartnerAdmin: access.Can(a, access.ViewPartnerTokens, a.PartnerID) == access.Allow,
	}))
}

// newToken shows the form; its fields may come prefilled from the query
// (the way back from the password prompt keeps what was entered).
func (h *Handler) newToken(c echo.Context) error {
	if actorOf(currentUser(c)).Staff() {
		return h.render(c, http.StatusOK, views.StaffTokens(views.StaffTokensPage{Page: h.page(c, "Tokens")}))
	}
	q := c.QueryParams()
	in := pat.Input{Name: q.Get("name"), Environment: q.Get("environment"), Scopes: q["scope"]}
	in.Days, _ = strconv.Atoi(q.Get("days"))
	return h.renderNewToken(c, http.StatusOK, in, q.Get("rate_limit"), nil)
}

// renderNewToken renders the form with the user's input (rate as it was
// entered) and, on a refusal, its message at the field.
func (h *Handler) renderNewToken(c echo.Context, status int, in pat.Input, rate string, fail *apierr.FieldError) error {
	m, err := h.newTokenModel(c, "New token", in, rate, fail)
	if err != nil {
		return err
	}
	return h.render(c, status, views.NewToken(m))
}

// newTokenModel is the token form's model (also the client form's core):
// the user's choices, what they entered and a refusal's message.
func (h *Handler) newTokenModel(c echo.Context, title string, in pat.Input, rate string, fail *apierr.FieldError) (views.NewTokenPage, error) {
	a := actorOf(currentUser(c))
	ch, err := h.pats.Choices(c.Request().Context(), a)
	if err != nil {
		return views.NewTokenPage{}, tokenError(err)
	}
	checked := map[string]bool{}
	for _, s := range in.Scopes {
		checked[s] = true
	}
	m := views.NewTokenPage{
		Page: h.page(c, title), MaxDays: ch.MaxDays, ApprovalRequired: ch.ApprovalRequired,
		GroupRate: ch.GroupRate, MaxRate: pat.MaxRatePerMinute,
		PartnerAdmin: a.Role == access.RolePartnerAdmin,
		Form:         views.TokenForm{Name: in.Name, Environment: in.Environment, RateLimit: strings.TrimSpace(rate)},
	}
	days := in.Days
	if !slices.Contains(ch.Expiry, days) {
		days = ch.DefaultDays
	}
	now := time.Now().UTC()
	for _, d := range ch.Expiry {
		m.Expiry = append(m.Expiry, views.ExpiryChoice{Days: d, Selected: d == days,
			Until: now.Add(time.Duration(d) * 24 * time.Hour).Format("2 January 2006")})
	}
	if m.APIs, m.Portal, err = h.scopeChoices(c.Request().Context(), ch, checked); err != nil {
		return views.NewTokenPage{}, err
	}
	if fail != nil {
		switch fail.Field {
		case "name":
			m.Form.NameError = fail.Message
		case "environment":
			m.Form.EnvironmentError = fail.Message
		case "expiry":
			m.Form.ExpiryError = fail.Message
		case "rate_limit":
			m.Form.RateLimitError = fail.Message
		default:
			m.Form.ScopesError = fail.Message
		}
	}
	return m, nil
}

// createToken creates a token and shows its secret in this response: it
// is never stored in the session, a flash or a redirect. A live token
// needs the password entered recently.
func (h *Handler) createToken(c echo.Context) error {
	a := actorOf(currentUser(c))
	if err := h.authorize(c, access.CreateToken, a.PartnerID); err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return BadRequest("The form could not be read.")
	}
	in := pat.Input{Name: form.Get("name"), Environment: form.Get("environment"), Scopes: form["scope"]}
	in.Days, _ = strconv.Atoi(form.Get("days"))
	rate := form.Get("rate_limit")
	if in.Environment == store.EnvLive && !recentlyAuthenticated(c) {
		back := url.Values{"name": {in.Name}, "environment": {in.Environment}, "days": {form.Get("days")}, "scope": in.Scopes}
		if strings.TrimSpace(rate) != "" {
			back.Set("rate_limit", rate)
		}
		return h.requireSudo(c, "/tokens/new?"+back.Encode(), "Creating a live token needs your password: confirm it, then create the token again.")
	}
	var fail *apierr.FieldError
	in.RatePerMinute, err = pat.ParseRateLimit(rate)
	if errors.As(err, &fail) {
		return h.renderNewToken(c, http.StatusUnprocessableEntity, in, rate, fail)
	}
	created, err := h.pats.Create(c.Request().Context(), a, in)
	if errors.As(err, &fail) {
		return h.renderNewToken(c, http.StatusUnprocessableEntity, in, rate, fail)
	}
	if err != nil {
		return tokenError(err)
	}
	if created.Token.Pending {
		h.mailer.Kick()
	}
	return h.renderSecret(c, created, false)
}

// renderSecret shows a token's plaintext, the one time it is shown, on a
// page no cache may keep.
func (h *Handler) renderSecret(c echo.Context, created *pat.Created, regenerated bool) error {
	t := created.Token
	if t.IsClient() {
		return h.renderClientSecret(c, t, created.Plaintext, regenerated)
	}
	groups, err := h.scopeGroups(c, t.Scopes)
	if err != nil {
		return err
	}
	title := "Your new token"
	if regenerated {
		title = "Your regenerated token"
	}
	m := views.TokenCreatedPage{
		Page: h.page(c, title), Regenerated: regenerated, Plaintext: created.Plaintext,
		Name: t.Name, Hint: t.Hint, Environment: t.Environment, Expires: formatTime(t.ExpiresAt),
		Scopes: groups, Pending: t.Pending,
	}
	if t.RateLimitPerMinute != nil {
		m.RateLimit = *t.RateLimitPerMinute
	}
	if t.PreviousUntil != nil && t.PreviousUntil.After(time.Now()) {
		m.GraceUntil = formatTime(*t.PreviousUntil)
	}
	m.Curl, m.DocsHref = h.curlExample(c.Request().Context(), t)
	hd := c.Response().Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	return h.render(c, http.StatusOK, views.TokenCreated(m))
}

// tokenError turns the token service's refusals into responses.
func tokenError(err error) error {
	switch {
	case errors.Is(err, pat.ErrNotFound):
		return NotFound("This token")
	case errors.Is(err, pat.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Your role does not allow this on this token."}
	}
	return err
}
