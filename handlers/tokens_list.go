package handlers

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

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
// filter, a search too long or a cursor the list did not make (parse) is a
// 400 that says how to go on, not an empty page.
func tokenQuery(c echo.Context, parse func(string) (*store.Key, bool)) (store.TokenQuery, error) {
	q := store.TokenQuery{ListQuery: store.ListQuery{Search: strings.TrimSpace(c.QueryParam("q")), Limit: tokensPerPage}, Status: c.QueryParam("status")}
	if q.Status == "" {
		q.Status = store.TokensOpen
	}
	if !store.ValidTokenStatus(q.Status) {
		return q, BadRequest("There is no token filter “" + q.Status + "”: choose open, pending, expired, revoked or all.")
	}
	if utf8.RuneCountInString(q.Search) > store.MaxSearch {
		return q, BadRequest(fmt.Sprintf("The search is too long: use at most %d characters.", store.MaxSearch))
	}
	if raw := c.QueryParam("after"); raw != "" {
		key, ok := parse(raw)
		if !ok {
			return q, BadRequest("This link to a page of tokens is broken. Open the token list from the menu to start from the first page.")
		}
		q.After = key
	}
	return q, nil
}

// tokensHref links to a page of a token list, keeping filter and search;
// the default filter and the first page are left out of the address.
func tokensHref(path, status, search, after string) string {
	v := url.Values{}
	if status != store.TokensOpen {
		v.Set("status", status)
	}
	if search != "" {
		v.Set("q", search)
	}
	if after != "" {
		v.Set("after", after)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// tokenListNav is the filters, search and paging of a page of a list at
// path; cursor makes the next page's cursor, pending is the pending count
// to show on its filter (-1 for none).
func tokenListNav(path, searchLabel string, q store.TokenQuery, ts []store.Token, more bool, cursor func(store.Key) string, pending int) views.TokenListNav {
	l := views.TokenListNav{Path: path, Status: q.Status, Query: q.Search, SearchLabel: searchLabel,
		ClearHref: tokensHref(path, q.Status, "", "")}
	for _, st := range store.TokenStatuses {
		f := views.TokenFilterLink{Status: st, Label: tokenFilterLabels[st], Href: tokensHref(path, st, q.Search, ""), Current: st == q.Status}
		if st == store.TokensPending && pending >= 0 {
			f.Count = strconv.Itoa(min(pending, store.PendingCountLimit))
			if pending > store.PendingCountLimit {
				f.Count += "+"
			}
		}
		l.Filters = append(l.Filters, f)
	}
	if q.Search != "" && q.Status != store.TokensAll {
		l.AllHref = tokensHref(path, store.TokensAll, q.Search, "")
	}
	if more && len(ts) > 0 {
		l.NextHref = tokensHref(path, q.Status, q.Search, cursor(ts[len(ts)-1].Key()))
	}
	if q.After != nil {
		l.FirstHref = tokensHref(path, q.Status, q.Search, "")
	}
	return l
}
