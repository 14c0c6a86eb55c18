package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

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
	return a.tokenPage(c, store.OwnTokensList.Parse, store.OwnTokensList.Cursor, func(q store.TokenQuery) (*pat.Page, error) {
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
	return a.tokenPage(c, store.PartnerTokensList.Parse, store.PartnerTokensList.Cursor, func(q store.TokenQuery) (*pat.Page, error) {
		return a.Tokens.ListPartner(c.Request().Context(), actor, partnerID, q)
	})
}

// tokenPage serves one page of a token list, newest first, from the
// database: limit, cursor (parsed by parse, made by cursor: the last row's
// creation time and id), status and q are all checked before any query.
func (a *API) tokenPage(c echo.Context, parse func(string) (*store.Key, bool), cursor func(store.Key) string,
	load func(store.TokenQuery) (*pat.Page, error)) error {
	q := store.TokenQuery{ListQuery: store.ListQuery{Limit: DefaultLimit, Search: strings.TrimSpace(c.QueryParam("q"))}, Status: c.QueryParam("status")}
	if raw := c.QueryParam("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxLimit {
			return badRequest(fmt.Sprintf("limit must be a whole number from 1 to %d.", MaxLimit))
		}
		q.Limit = n
	}
	if raw := c.QueryParam("cursor"); raw != "" {
		key, ok := parse(raw)
		if !ok {
			return badRequest("cursor is not one this API gave out: pass next_cursor of the previous page as it is.")
		}
		q.After = key
	}
	if q.Status == "" {
		q.Status = store.TokensOpen
	}
	if !store.ValidTokenStatus(q.Status) {
		return badRequest("status must be one of " + strings.Join(store.TokenStatuses, ", ") + ".")
	}
	if utf8.RuneCountInString(q.Search) > store.MaxSearch {
		return badRequest(fmt.Sprintf("q must be at most %d characters.", store.MaxSearch))
	}
	page, err := load(q)
	if err != nil {
		return tokenDomainError(err)
	}
	out := list[tokenJSON]{Items: make([]tokenJSON, 0, len(page.Tokens))}
	for i := range page.Tokens {
		out.Items = append(out.Items, tokenOf(&page.Tokens[i]))
	}
	if page.More && len(page.Tokens) > 0 {
		next := cursor(page.Tokens[len(page.Tokens)-1].Key())
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}
