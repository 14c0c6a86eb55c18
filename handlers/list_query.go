package handlers

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

// listQuery reads a paged list's search (q) and position (after) from the
// URL, both checked before any query: a cursor the list did not make is a
// 400 saying broken, not an empty page.
func listQuery(c echo.Context, size int, parse func(string) (*store.Key, bool), broken string) (store.ListQuery, error) {
	q := store.ListQuery{Search: strings.TrimSpace(c.QueryParam("q")), Limit: size}
	if utf8.RuneCountInString(q.Search) > store.MaxSearch {
		return q, BadRequest(fmt.Sprintf("The search is too long: use at most %d characters.", store.MaxSearch))
	}
	if raw := c.QueryParam("after"); raw != "" {
		key, ok := parse(raw)
		if !ok {
			return q, BadRequest(broken)
		}
		q.After = key
	}
	return q, nil
}

// pickerSearch reads a picker's search from the URL parameter name,
// trimmed; a search longer than any name is a 400.
func pickerSearch(c echo.Context, name string) (string, error) {
	s := strings.TrimSpace(c.QueryParam(name))
	if utf8.RuneCountInString(s) > store.MaxSearch {
		return "", BadRequest(fmt.Sprintf("The search is too long: use at most %d characters.", store.MaxSearch))
	}
	return s, nil
}

// boundedSearch is a search carried along by a posted form, trimmed; one
// longer than any search is dropped rather than refused, since the post
// itself is what counts.
func boundedSearch(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > store.MaxSearch {
		return ""
	}
	return s
}

// listHref links to path with the given query parameters, leaving out the
// empty ones (pairs of name and value).
func listHref(path string, pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// isHTMX says whether htmx sent the request, which then wants a fragment
// of the page rather than all of it.
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }
