package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
)

// listTokens lists the caller's own tokens, newest first.
func (a *API) listTokens(c echo.Context) error {
	actor, _ := c.Get(actorKey).(access.Actor)
	if err := requireScope(c, access.ViewToken); err != nil {
		return err
	}
	return a.tokenPage(c, store.OwnTokensList, func(q store.TokenQuery) (*pat.Page, error) {
		return a.Tokens.ListOwn(c.Request().Context(), actor, q)
	})
}

// listPartnerTokens lists every token of the caller's partner: partner
// admins.
func (a *API) listPartnerTokens(c echo.Context) error {
	actor, partnerID, err := a.authorize(c, access.ViewPartnerTokens)
	if err != nil {
		return err
	}
	return a.tokenPage(c, store.PartnerTokensList, func(q store.TokenQuery) (*pat.Page, error) {
		return a.Tokens.ListPartner(c.Request().Context(), actor, partnerID, q)
	})
}

// tokenPage serves one page of token list l, newest first, from the
// database: limit, cursor (the last row's creation time and id), q,
// status and type are all checked before any query.
func (a *API) tokenPage(c echo.Context, l store.PageList, load func(store.TokenQuery) (*pat.Page, error)) error {
	lq, err := keysetQuery(c, l)
	if err != nil {
		return err
	}
	q := store.TokenQuery{ListQuery: lq, Status: c.QueryParam("status")}
	if q.Status == "" {
		q.Status = store.TokensOpen
	}
	if !store.ValidTokenStatus(q.Status) {
		return badRequest("status must be one of " + strings.Join(store.TokenStatuses, ", ") + ".")
	}
	typ, ok := storeTypes[c.QueryParam("type")]
	if !ok {
		return badRequest("type must be " + typePAT + " or " + typeClient + ", or left out for both.")
	}
	q.Type = typ
	page, err := load(q)
	if err != nil {
		return tokenDomainError(err)
	}
	return c.JSON(http.StatusOK, keysetList(l, page.Tokens, page.More, tokenOf))
}
