package handlers

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

// listPageSize is how many rows a list page shows at once.
const listPageSize = 50

// pageQuery reads a list page's search (q) and position (after) from the
// URL, both checked before any query: a search over store.MaxSearch
// characters is a 400, and so is a cursor the list did not make, with the
// page's own message broken (see brokenLink) rather than an empty page.
func pageQuery(c echo.Context, list store.PageList, size int, broken string) (store.ListQuery, error) {
	q := store.ListQuery{Search: strings.TrimSpace(c.QueryParam("q")), Limit: size}
	if utf8.RuneCountInString(q.Search) > store.MaxSearch {
		return q, searchTooLong()
	}
	if raw := c.QueryParam("after"); raw != "" {
		key, ok := list.Parse(raw)
		if !ok {
			return q, BadRequest(broken)
		}
		q.After = key
	}
	return q, nil
}

// brokenLink is the message of a link to a page of what (e.g. "members")
// holding a cursor the list did not make: home says where to start again
// (e.g. "Members from the menu").
func brokenLink(what, home string) string {
	return fmt.Sprintf("This link to a page of %s is broken. Open %s to start from the first page.", what, home)
}

// searchTooLong is the 400 of a search longer than any list searches.
func searchTooLong() error {
	return BadRequest(fmt.Sprintf("The search is too long: use at most %d characters.", store.MaxSearch))
}

// pickerSearch reads a picker's search from the URL parameter name,
// trimmed; a search longer than any name is a 400.
func pickerSearch(c echo.Context, name string) (string, error) {
	s := strings.TrimSpace(c.QueryParam(name))
	if utf8.RuneCountInString(s) > store.MaxSearch {
		return "", searchTooLong()
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

// listHref links to path with the given query parameters (pairs of name
// and value), leaving out the empty ones; the page's address when none is
// left.
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

// pageLinks are the "First page" and "Next page" links of a page of list
// at path with the parameters pairs (as listHref takes them): next
// continues after the last of rows when more follow, first is set on every
// page but the first (after is the page's own position).
func pageLinks[T interface{ Key() store.Key }](list store.PageList, after *store.Key, rows []T, more bool, path string, pairs ...string) (first, next string) {
	if more && len(rows) > 0 {
		next = listHref(path, slices.Concat(pairs, []string{"after", list.Cursor(rows[len(rows)-1].Key())})...)
	}
	if after != nil {
		first = listHref(path, pairs...)
	}
	return first, next
}

// isHTMX says whether htmx sent the request, which then wants a fragment
// of the page rather than all of it.
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }
