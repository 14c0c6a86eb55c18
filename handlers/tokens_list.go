package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// tokensPerPage is the page size of the token lists.
const tokensPerPage = 25

// tokenFilterLabels name the status filters of the token lists.
var tokenFilterLabels = map[string]string{
	store.TokensOpen:    "Open",
	store.TokensPending: "Waiting for approval",
	store.TokensExpired: "Expired",
	store.TokensRevoked: "Revoked",
	store.TokensAll:     "All",
}

// tokenQuery reads a token list's filter (status), search (q) and
// position (after) from the URL, all checked before any query: an unknown
// filter, a search too long or a cursor the list did not make is a 400
// that says how to go on, not an empty page.
func tokenQuery(c echo.Context, list store.PageList) (store.TokenQuery, error) {
	q := store.TokenQuery{Status: c.QueryParam("status")}
	if q.Status == "" {
		q.Status = store.TokensOpen
	}
	if !store.ValidTokenStatus(q.Status) {
		return q, BadRequest("There is no token filter “" + q.Status + "”: choose open, pending, expired, revoked or all.")
	}
	q.Type = c.QueryParam("type")
	if !store.ValidTokenType(q.Type) {
		return q, BadRequest("There is no token type “" + q.Type + "”: choose tokens or clients, or leave it out for both.")
	}
	var err error
	q.ListQuery, err = pageQuery(c, list, tokensPerPage, brokenLink("tokens", "the token list from the menu"))
	return q, err
}

// tokenParams are a token list's parameters (as listHref takes them),
// keeping filter and search; the default filter is left out of the
// address.
func tokenParams(status, typ, search string) []string {
	if status == store.TokensOpen {
		status = ""
	}
	return []string{"status", status, "type", typ, "q", search}
}

// tokenTypeLabels name the type filters of the token lists.
var tokenTypeLabels = map[string]string{
	"":                     "Tokens and clients",
	store.TokenTypeTokens:  "Personal tokens",
	store.TokenTypeClients: "OAuth clients",
}

// tokenListNav is the filters, search and paging of a page of list at
// path; pending is the pending count to show on its filter (-1 for none).
func tokenListNav(path, searchLabel string, list store.PageList, q store.TokenQuery, ts []store.Token, more bool, pending int) views.TokenListNav {
	l := views.TokenListNav{Path: path, Status: q.Status, Type: q.Type, Query: q.Search, SearchLabel: searchLabel,
		ClearHref: listHref(path, tokenParams(q.Status, q.Type, "")...)}
	for _, typ := range append([]string{""}, store.TokenTypes...) {
		l.Types = append(l.Types, views.TokenFilterLink{Status: typ, Label: tokenTypeLabels[typ],
			Href: listHref(path, tokenParams(q.Status, typ, q.Search)...), Current: typ == q.Type})
	}
	if q.Type != "" {
		l.AnyTypeHref = listHref(path, tokenParams(q.Status, "", q.Search)...)
	}
	for _, st := range store.TokenStatuses {
		f := views.TokenFilterLink{Status: st, Label: tokenFilterLabels[st], Href: listHref(path, tokenParams(st, q.Type, q.Search)...), Current: st == q.Status}
		if st == store.TokensPending && pending >= 0 {
			f.Count = strconv.Itoa(min(pending, store.PendingCountLimit))
			if pending > store.PendingCountLimit {
				f.Count += "+"
			}
		}
		l.Filters = append(l.Filters, f)
	}
	if q.Search != "" && q.Status != store.TokensAll {
		l.AllHref = listHref(path, tokenParams(store.TokensAll, q.Type, q.Search)...)
	}
	l.FirstHref, l.NextHref = pageLinks(list, q.After, ts, more, path, tokenParams(q.Status, q.Type, q.Search)...)
	return l
}
