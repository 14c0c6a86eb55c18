package handlers

import (
	"errors"
	"net/http"
	"net/url"
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

// maxNetworksField bounds the allowed-networks textarea: 20 IPv6 CIDRs
// with separators fit well within it.
const maxNetworksField = 2000

// clientChoice says whether a may register an OAuth client, and whether a
// developer who may not should be told who registers one for them.
func (h *Handler) clientChoice(c echo.Context, a access.Actor) (allowed, hint bool, err error) {
	if a.Staff() || a.PartnerID == 0 {
		return false, false, nil
	}
	devs, err := h.store.DeveloperClients(c.Request().Context(), a.PartnerID)
	if err != nil {
		return false, false, err
	}
	allowed = access.CanCreateClient(a, a.PartnerID, devs) == access.Allow
	return allowed, !allowed && a.Role == access.RoleDeveloper, nil
}

// mayCreateClient refuses, with a message saying who can help, a user who
// may not register OAuth clients.
func (h *Handler) mayCreateClient(c echo.Context) error {
	a := actorOf(currentUser(c))
	allowed, hint, err := h.clientChoice(c, a)
	switch {
	case err != nil:
		return err
	case allowed:
		return nil
	case hint:
		return &Error{Status: http.StatusForbidden, Code: "forbidden",
			Message: "Your organisation lets only partner admins register OAuth clients: ask one of them to register it. Whether developers may register their own is set by your organisation's account manager."}
	}
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "OAuth clients belong to partner users: your role cannot register one."}
}

// newClient shows the form that registers an OAuth client, prefilled from
// the query on the way back from the password prompt.
func (h *Handler) newClient(c echo.Context) error {
	if err := h.mayCreateClient(c); err != nil {
		return err
	}
	q := c.QueryParams()
	in := pat.ClientInput{Input: pat.Input{Name: q.Get("name"), Environment: q.Get("environment"), Scopes: q["scope"]}}
	in.Days, _ = strconv.Atoi(q.Get("days"))
	return h.renderNewClient(c, http.StatusOK, in, q.Get("rate_limit"), q.Get("networks"), nil)
}

// renderNewClient renders the client form with what the user entered and,
// on a refusal, its message at the field.
func (h *Handler) renderNewClient(c echo.Context, status int, in pat.ClientInput, rate, networks string, fail *apierr.FieldError) error {
	m := views.NewClientPage{Networks: networks, MaxNetworks: pat.MaxNetworks}
	if fail != nil && fail.Field == "networks" {
		m.NetworksError, fail = fail.Message, nil
	}
	var err error
	if m.NewTokenPage, err = h.newTokenModel(c, "New OAuth client", in.Input, rate, fail); err != nil {
		return err
	}
	return h.render(c, status, views.NewClient(m))
}

// createClient registers an OAuth client and shows its id and secret in
// this response only. A live client needs the password entered recently,
// as a live token does.
func (h *Handler) createClient(c echo.Context) error {
	if err := h.mayCreateClient(c); err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return BadRequest("The form could not be read.")
	}
	in := pat.ClientInput{Input: pat.Input{Name: form.Get("name"), Environment: form.Get("environment"), Scopes: form["scope"]}}
	in.Days, _ = strconv.Atoi(form.Get("days"))
	rate, networks := form.Get("rate_limit"), form.Get("networks")
	if len(networks) > maxNetworksField {
		return h.renderNewClient(c, http.StatusUnprocessableEntity, in, rate, networks[:maxNetworksField],
			&apierr.FieldError{Field: "networks", Message: "That is too long: allow at most " + strconv.Itoa(pat.MaxNetworks) + " networks; use wider CIDR ranges to cover more."})
	}
	if in.Environment == store.EnvLive && !recentlyAuthenticated(c) {
		back := url.Values{"name": {in.Name}, "environment": {in.Environment}, "days": {form.Get("days")}, "scope": in.Scopes}
		if strings.TrimSpace(rate) != "" {
			back.Set("rate_limit", rate)
		}
		if strings.TrimSpace(networks) != "" {
			back.Set("networks", networks)
		}
		return h.requireSudo(c, "/tokens/new-client?"+back.Encode(), "Registering a live OAuth client needs your password: confirm it, then register the client again.")
	}
	var fail *apierr.FieldError
	if in.RatePerMinute, err = pat.ParseRateLimit(rate); errors.As(err, &fail) {
		return h.renderNewClient(c, http.StatusUnprocessableEntity, in, rate, networks, fail)
	}
	if in.Networks, err = pat.ParseNetworks(networks); errors.As(err, &fail) {
		return h.renderNewClient(c, http.StatusUnprocessableEntity, in, rate, networks, fail)
	}
	created, err := h.pats.CreateClient(c.Request().Context(), actorOf(currentUser(c)), in)
	if errors.As(err, &fail) {
		return h.renderNewClient(c, http.StatusUnprocessableEntity, in, rate, networks, fail)
	}
	if err != nil {
		return tokenError(err)
	}
	if created.Token.Pending {
		h.mailer.Kick()
	}
	return h.renderClientSecret(c, created.Token, created.Secret, false)
}

// renderClientSecret shows a client's id and secret (new, or rotated),
// the one time the secret is shown, on a page no cache may keep.
func (h *Handler) renderClientSecret(c echo.Context, t *store.Token, secret string, rotated bool) error {
	groups, err := h.scopeGroups(c, t.Scopes)
	if err != nil {
		return err
	}
	title := "Your new OAuth client"
	if rotated {
		title = "The new secret of " + t.Name
	}
	base := h.gatewayBase()
	m := views.ClientCreatedPage{
		Page: h.page(c, title), Rotated: rotated, ClientID: *t.ClientID, Secret: secret,
		Name: t.Name, Hint: t.Hint, Environment: t.Environment, Expires: formatTime(t.ExpiresAt),
		Scopes: groups, Networks: t.AllowedNetworks, Pending: t.Pending, TokenURL: base + "/oauth/token",
	}
	if t.RateLimitPerMinute != nil {
		m.RateLimit = *t.RateLimitPerMinute
	}
	if t.PreviousUntil != nil && t.PreviousUntil.After(time.Now()) {
		m.GraceUntil = formatTime(*t.PreviousUntil)
	}
	m.Curl = "curl -u \"" + *t.ClientID + ":$PORTICO_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n  " + m.TokenURL
	call, _ := h.curlExample(c.Request().Context(), t)
	m.Call = strings.Replace(call, "$PORTICO_TOKEN", "$ACCESS_TOKEN", 1)
	hd := c.Response().Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	return h.render(c, http.StatusOK, views.ClientCreated(m))
}
