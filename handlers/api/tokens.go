package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
)

// tokenJSON is a personal access token or an OAuth client, never its
// secret (schema Token).
type tokenJSON struct {
	ID int64 `json:"id"`
	// Type is typePAT or typeClient; ClientID is null for a PAT.
	Type        string     `json:"type"`
	ClientID    *string    `json:"client_id"`
	Name        string     `json:"name"`
	Hint        string     `json:"hint"`
	Environment string     `json:"environment"`
	Scopes      []string   `json:"scopes"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	LastUsedIP  *string    `json:"last_used_ip"`
	// RateLimit is the token's own requests per minute; null for none.
	RateLimit *int `json:"rate_limit_per_minute"`
	// AllowedNetworks are the CIDRs it may be used from; empty: anywhere.
	AllowedNetworks []string   `json:"allowed_networks"`
	Owner           tokenOwner `json:"owner"`
}

type tokenOwner struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// tokenSecret is a token with its plaintext, answered once (schema
// TokenWithSecret).
type tokenSecret struct {
	tokenJSON
	Token string `json:"token"`
}

type tokenCreate struct {
	Name        string   `json:"name"`
	Environment string   `json:"environment"`
	ExpiresIn   int      `json:"expires_in_days"`
	Scopes      []string `json:"scopes"`
	// RateLimit is optional; null or left out is none.
	RateLimit *int `json:"rate_limit_per_minute"`
}

// tokenUpdate changes the fields it holds (schema TokenUpdate). The rate
// limit is read raw: null (remove it) and absent (keep it) differ.
type tokenUpdate struct {
	Name      *string         `json:"name"`
	RateLimit json.RawMessage `json:"rate_limit_per_minute"`
}

// rateMessage is the API's wording of a bad rate_limit_per_minute.
var rateMessage = fmt.Sprintf("must be a whole number from 1 to %d, or null for no limit of the token's own.", pat.MaxRatePerMinute)

type tokenRegenerate struct {
	GraceSeconds int `json:"grace_seconds"`
}

func tokenOf(t *store.Token) tokenJSON {
	typ := typePAT
	if t.IsClient() {
		typ = typeClient
	}
	return tokenJSON{ID: t.ID, Type: typ, ClientID: t.ClientID, AllowedNetworks: append([]string{}, t.AllowedNetworks...), Name: t.Name, Hint: t.Hint, Environment: t.Environment, Scopes: append([]string{}, t.Scopes...),
		Status: t.Status(time.Now()), CreatedAt: utc(t.CreatedAt), ExpiresAt: utc(t.ExpiresAt),
		LastUsedAt: utcPtr(t.LastUsedAt), LastUsedIP: t.LastUsedIP, RateLimit: t.RateLimitPerMinute,
		Owner: tokenOwner{ID: t.UserID, Name: t.OwnerName, Email: t.OwnerEmail}}
}

// tokenError maps the token service's errors.
func tokenDomainError(err error) error {
	var in *apierr.FieldError
	switch {
	case errors.As(err, &in) && in.Field == "rate_limit":
		return invalidInput("rate_limit_per_minute", rateMessage)
	case errors.As(err, &in) && jsonFields[in.Field] != "":
		return invalidInput(jsonFields[in.Field], in.Message)
	case errors.As(err, &in):
		return invalidInput(in.Field, in.Message)
	case errors.Is(err, pat.ErrNotFound):
		return notFound("This token")
	case errors.Is(err, pat.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Your role does not allow this on that token."}
	case errors.Is(err, pat.ErrClosed):
		return &Error{Status: http.StatusConflict, Code: "token_closed", Message: "That token is revoked or expired, or no longer waits for approval."}
	}
	return err
}

// jsonFields names the request fields of the token service's field
// errors whose names differ, so that a message names what was sent.
var jsonFields = map[string]string{"expiry": "expires_in_days", "networks": "allowed_networks", "grace": "grace_seconds"}

// tokenID reads the token id and checks the token's scope for act.
func (a *API) tokenID(c echo.Context, act access.Action) (access.Actor, int64, error) {
	actor, _ := c.Get(actorKey).(access.Actor)
	if err := requireScope(c, act); err != nil {
		return actor, 0, err
	}
	id, err := pathID(c, "id", "This token")
	return actor, id, err
}

// createToken creates a token for the caller and answers its secret, once.
// Live tokens are created in the portal, or through the API by a session
// that confirmed its password: never by another token.
func (a *API) createToken(c echo.Context) error {
	actor, _ := c.Get(actorKey).(access.Actor)
	if err := requireScope(c, access.CreateToken); err != nil {
		return err
	}
	if err := refuseAccessTokenMinting(c); err != nil {
		return err
	}
	var in tokenCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Environment == store.EnvLive {
		if principal(c) != nil {
			return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Live tokens are created in the portal, not by another token."}
		}
		if !a.recentAuth(c) {
			return &Error{Status: http.StatusForbidden, Code: "reauthentication_required",
				Message: "Creating a live token needs your password: confirm it in the portal at /confirm-password, then try again."}
		}
	}
	created, err := a.Tokens.Create(c.Request().Context(), actor, pat.Input{Name: in.Name, Environment: in.Environment, Days: in.ExpiresIn, Scopes: in.Scopes,
		RatePerMinute: in.RateLimit})
	if err != nil {
		return tokenDomainError(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/tokens/"+strconv.FormatInt(created.Token.ID, 10))
	return c.JSON(http.StatusCreated, tokenSecret{tokenJSON: tokenOf(created.Token), Token: created.Plaintext})
}

// getToken returns a token the caller may see.
func (a *API) getToken(c echo.Context) error {
	actor, id, err := a.tokenID(c, access.ViewToken)
	if err != nil {
		return err
	}
	t, err := a.Tokens.Get(c.Request().Context(), actor, id)
	if err != nil {
		return tokenDomainError(err)
	}
	return c.JSON(http.StatusOK, tokenOf(t))
}

// updateToken renames the caller's own token and/or sets its own rate
// limit (null removes it): the fields sent change, in one transaction.
func (a *API) updateToken(c echo.Context) error {
	// Renaming and limiting need the same scope (portal:tokens:write);
	// the token service checks each action.
	actor, id, err := a.tokenID(c, access.RenameToken)
	if err != nil {
		return err
	}
	var in tokenUpdate
	if err := decode(c, &in); err != nil {
		return err
	}
	ch := pat.Change{Name: in.Name}
	if len(in.RateLimit) > 0 {
		ch.SetRateLimit = true
		if string(in.RateLimit) != "null" {
			var n int
			if err := json.Unmarshal(in.RateLimit, &n); err != nil {
				return invalidInput("rate_limit_per_minute", rateMessage)
			}
			ch.RatePerMinute = &n
		}
	}
	if ch.Name == nil && !ch.SetRateLimit {
		return invalidInput("name", "send name, rate_limit_per_minute or both.")
	}
	t, err := a.Tokens.Update(c.Request().Context(), actor, id, ch)
	if err != nil {
		return tokenDomainError(err)
	}
	return c.JSON(http.StatusOK, tokenOf(t))
}

// regenerateToken gives the caller's token a new secret, answered once.
func (a *API) regenerateToken(c echo.Context) error {
	actor, id, err := a.tokenID(c, access.RegenerateToken)
	if err != nil {
		return err
	}
	if err := refuseAccessTokenMinting(c); err != nil {
		return err
	}
	var in tokenRegenerate
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := a.Tokens.Get(ctx, actor, id)
	if err != nil {
		return tokenDomainError(err)
	}
	if t.Environment == store.EnvLive && principal(c) == nil && !a.recentAuth(c) {
		return &Error{Status: http.StatusForbidden, Code: "reauthentication_required",
			Message: "Regenerating a live token needs your password: confirm it in the portal at /confirm-password, then try again."}
	}
	created, err := a.Tokens.Regenerate(ctx, actor, id, time.Duration(in.GraceSeconds)*time.Second)
	if err != nil {
		return tokenDomainError(err)
	}
	return c.JSON(http.StatusOK, regeneratedOf(created))
}

// revokeToken revokes a token at once.
func (a *API) revokeToken(c echo.Context) error {
	actor, id, err := a.tokenID(c, access.RevokeToken)
	if err != nil {
		return err
	}
	if _, err := a.Tokens.Revoke(c.Request().Context(), actor, id); err != nil && !errors.Is(err, pat.ErrClosed) {
		return tokenDomainError(err)
	}
	a.kick()
	return c.NoContent(http.StatusNoContent)
}

// approveToken lets a pending live token work: partner admins.
func (a *API) approveToken(c echo.Context) error {
	actor, id, err := a.tokenID(c, access.ApproveToken)
	if err != nil {
		return err
	}
	t, err := a.Tokens.Approve(c.Request().Context(), actor, id)
	if err != nil {
		return tokenDomainError(err)
	}
	a.kick()
	return c.JSON(http.StatusOK, tokenOf(t))
}
