package handlers

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

// membersPageSize is how many members the page shows at once.
const membersPageSize = 50

// memberQuery reads the members page's search (q) and position (after)
// from the URL; a cursor the page did not make is a 400, not an empty page.
func memberQuery(c echo.Context) (store.MemberQuery, error) { return memberQueryOn(c, "Members") }

// memberQueryOn is memberQuery for a page listing members, named page in
// the menu (where a broken link sends the user back to).
func memberQueryOn(c echo.Context, page string) (store.MemberQuery, error) {
	q := store.MemberQuery{ListQuery: store.ListQuery{Search: strings.TrimSpace(c.QueryParam("q")), Limit: membersPageSize}}
	if utf8.RuneCountInString(q.Search) > store.MaxSearch {
		return q, BadRequest(fmt.Sprintf("The search is too long: use at most %d characters.", store.MaxSearch))
	}
	if raw := c.QueryParam("after"); raw != "" {
		key, ok := store.MembersList.Parse(raw)
		if !ok {
			return q, BadRequest("This link to a page of members is broken. Open " + page + " from the menu to start from the first page.")
		}
		q.After = key
	}
	return q, nil
}

// membersHref links to a page of members, keeping the search.
func membersHref(search, after string) string {
	v := url.Values{}
	if search != "" {
		v.Set("q", search)
	}
	if after != "" {
		v.Set("after", after)
	}
	if len(v) == 0 {
		return "/members"
	}
	return "/members?" + v.Encode()
}
