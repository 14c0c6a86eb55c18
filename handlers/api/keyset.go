package api

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

// keysetQuery reads a list request's limit, cursor and q for list l,
// before any query: a limit out of 1..MaxLimit, a cursor the list did not
// give out (another list's included) or a search over store.MaxSearch
// characters is a 400.
func keysetQuery(c echo.Context, l store.PageList) (store.ListQuery, error) {
	return keysetQueryOf(c, l.Parse, true)
}

// keysetQueryOf is keysetQuery for a list whose cursors parse reads (a
// group's grants span two lists); a list that is not searched (searched
// false) ignores q.
func keysetQueryOf(c echo.Context, parse func(string) (*store.Key, bool), searched bool) (store.ListQuery, error) {
	q := store.ListQuery{Limit: DefaultLimit}
	if searched {
		q.Search = strings.TrimSpace(c.QueryParam("q"))
	}
	if raw := c.QueryParam("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxLimit {
			return q, badRequest(fmt.Sprintf("limit must be a whole number from 1 to %d.", MaxLimit))
		}
		q.Limit = n
	}
	if raw := c.QueryParam("cursor"); raw != "" {
		key, ok := parse(raw)
		if !ok {
			return q, badRequest("cursor is not one this API gave out: pass next_cursor of the previous page as it is.")
		}
		q.After = key
	}
	if utf8.RuneCountInString(q.Search) > store.MaxSearch {
		return q, badRequest(fmt.Sprintf("q must be at most %d characters.", store.MaxSearch))
	}
	return q, nil
}

// keysetList is the list shape of one page of rows: each turned into its
// JSON item by item, and next_cursor after the last row when more follow.
func keysetList[R interface{ Key() store.Key }, T any](l store.PageList, rows []R, more bool, item func(*R) T) list[T] {
	out := list[T]{Items: make([]T, 0, len(rows))}
	for i := range rows {
		out.Items = append(out.Items, item(&rows[i]))
	}
	if more && len(rows) > 0 {
		next := l.Cursor(rows[len(rows)-1].Key())
		out.NextCursor = &next
	}
	return out
}
