package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
)

// The values of a token's type (schema TokenType), which the token lists'
// type filter takes too.
const (
	typePAT    = "personal_access_token"
	typeClient = "oauth_client"
)

// storeTypes maps the lists' type filter to the store's.
var storeTypes = map[string]string{"": "", typePAT: store.TokenTypeTokens, typeClient: store.TokenTypeClients}

// clientCreate registers an OAuth client (schema OAuthClientCreate): a
// token's settings and the networks it may be used from.
type clientCreate struct {
	// The fields of tokenCreate, spelled out rather than embedded: the
	// text check of decode walks exported fields only.
	Name            string   `json:"name"`
	Environment     string   `json:"environment"`
	ExpiresIn       int      `json:"expires_in_days"`
	Scopes          []string `json:"scopes"`
	RateLimit       *int     `json:"rate_limit_per_minute"`
	AllowedNetworks []string `json:"allowed_networks"`
}

// clientSecret is a client with its secret, answered once (schema
// OAuthClientWithSecret), and where to use it.
type clientSecret struct {
	tokenJSON
	ClientSecret  string `json:"client_secret"`
	TokenEndpoint string `json:"token_endpoint"`
}

// createClient registers an OAuth client owned by the caller and answers
// its secret, once. Partner admins may, developers when their partner
// allows it; the rules of creating a token apply otherwise: scopes the
// caller is granted now, and a live client only from a portal session
// that confirmed its password, never from another token.
func (a *API) createClient(c echo.Context) error {
	actor, _ := c.Get(actorKey).(access.Actor)
	if err := requireScope(c, access.CreateToken); err != nil {
		return err
	}
	if err := refuseAccessTokenMinting(c); err != nil {
		return err
	}
	var in clientCreate
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Environment == store.EnvLive {
		if principal(c) != nil {
			return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Live OAuth clients are registered in the portal, not by a token."}
		}
		if !a.recentAuth(c) {
			return &Error{Status: http.StatusForbidden, Code: "reauthentication_required",
				Message: "Registering a live OAuth client needs your password: confirm it in the portal at /confirm-password, then try again."}
		}
	}
	created, err := a.Tokens.CreateClient(c.Request().Context(), actor, pat.ClientInput{
		Input: pat.Input{Name: in.Name, Environment: in.Environment, Days: in.ExpiresIn, Scopes: in.Scopes, RatePerMinute: in.RateLimit},
		// Left out is none: the client may be used from anywhere.
		Networks: in.AllowedNetworks,
	})
	if errors.Is(err, pat.ErrForbidden) {
		return &Error{Status: http.StatusForbidden, Code: "forbidden",
			Message: "Your role does not allow registering OAuth clients: partner admins register them, developers when their organisation's account manager allows it."}
	}
	if err != nil {
		return tokenDomainError(err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderLocation, "/api/v1/tokens/"+strconv.FormatInt(created.Token.ID, 10))
	h.Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, clientSecret{tokenJSON: tokenOf(created.Token), ClientSecret: created.Secret,
		TokenEndpoint: a.Tokens.TokenEndpoint()})
}

// regenerated is a token or client with its new secret, answered once
// (schema RegeneratedToken): a PAT's under token, a client's under
// client_secret, the name each was created with.
type regenerated struct {
	tokenJSON
	Token        string `json:"token,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

func regeneratedOf(created *pat.Created) regenerated {
	out := regenerated{tokenJSON: tokenOf(created.Token)}
	if created.Token.IsClient() {
		out.ClientSecret = created.Plaintext
	} else {
		out.Token = created.Plaintext
	}
	return out
}
