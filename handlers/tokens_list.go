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
	var err error
	q.ListQuery, err = pageQuery(c, list, tokensPerPage, brokenLink("tokens", "the token list from the menu"))
	return q, err
}

// tokenParams are a token list's parameters (as listHref takes them),
// keeping filter and search; the default filter is left out of the
// address.
func tokenParams(status, search string) []string {
	if status == store.TokensOpen {
		status = ""
	}
	return []string{"status", status, "q", search}
}

// tokenListNav is the filters, search and paging of a page of list at
// path; pending is the pending count to show on its filter (-1 for none).
func tokenListNav(path, searchLabel string, list store.PageList, q store.TokenQuery, ts []store.Token, more bool, pending int) views.TokenListNav {
	l := views.TokenListNav{Path: path, Status: q.Status, Query: q.Search, SearchLabel: searchLabel,
		ClearHref: listHref(path, tokenParams(q.Status, "")...)}
	for _, st := range store.TokenStatuses {
		f := views.TokenFilterLink{Status: st, Label: tokenFilterLabels[st], Href: listHref(path, tokenParams(st, q.Search)...), Current: st == q.Status}
		if st == store.TokensPending && pending >= 0 {
			f.Count = strconv.Itoa(min(pending, store.PendingCountLimit))
			if pending > store.PendingCountLimit {
				f.Count += "+"
			}
		}
		l.Filters = append(l.Filters, f)
	}
	if q.Search != "" && q.Status != store.TokensAll {
		l.AllHref = listHref(path, tokenParams(store.TokensAll, q.Search)...)
	}
	l.FirstHref, l.NextHref = pageLinks(list, q.After, ts, more, path, tokenParams(q.Status, q.Search)...)
	return l
}
