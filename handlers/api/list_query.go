package api

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

// pageQuery reads a keyset-paged list's limit, cursor and, when searched,
// q from the URL, all checked before any query.
func pageQuery(c echo.Context, parse func(string) (*store.Key, bool), searched bool) (store.ListQuery, error) {
	q := store.ListQuery{Limit: DefaultLimit}
	if searched {
		q.Search = strings.TrimSpace(c.QueryParam("q"))
		if utf8.RuneCountInString(q.Search) > store.MaxSearch {
			return q, badRequest(fmt.Sprintf("q must be at most %d characters.", store.MaxSearch))
		}
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
	return q, nil
}
