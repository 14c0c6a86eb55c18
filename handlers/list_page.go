package handlers

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

// listPageSize is how many rows a list page shows at once.
const listPageSize = 50

// keysetPageQuery reads a list page's search (q) and position (after) from the
// URL, before any query: a search over store.MaxSearch characters, or a
// cursor the list did not make, is a 400 telling the reader to start
// again from the list's first page, home (named what in the menu).
func keysetPageQuery(c echo.Context, list store.PageList, size int, what, home string) (store.ListQuery, error) {
	q := store.ListQuery{Search: strings.TrimSpace(c.QueryParam("q")), Limit: size}
	if utf8.RuneCountInString(q.Search) > store.MaxSearch {
		return q, BadRequest(fmt.Sprintf("The search is too long: use at most %d characters.", store.MaxSearch))
	}
	if raw := c.QueryParam("after"); raw != "" {
		key, ok := list.Parse(raw)
		if !ok {
			return q, BadRequest(fmt.Sprintf("This link to a page of %s is broken. Open %s to start from the first page.", what, home))
		}
		q.After = key
	}
	return q, nil
}

// keysetHref links to a page of the list at path: params (empty values
// left out) and, when not empty, the cursor after.
func keysetHref(path string, params url.Values, after string) string {
	v := url.Values{}
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	if after != "" {
		v.Set("after", after)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// keysetLinks are the "First page" and "Next page" links of a list page:
// next continues after the last row shown when more follow, first is set
// on every page but the first.
func keysetLinks[T interface{ Key() store.Key }](path string, params url.Values, list store.PageList, q store.ListQuery, rows []T, more bool) (first, next string) {
	if more && len(rows) > 0 {
		next = keysetHref(path, params, list.Cursor(rows[len(rows)-1].Key()))
	}
	if q.After != nil {
		first = keysetHref(path, params, "")
	}
	return first, next
}

// searchParam is the URL parameters of a list page searched for q.
func searchParam(q string) url.Values { return url.Values{"q": {q}} }
