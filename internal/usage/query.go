package usage

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Query is what a dashboard asks for, as the /usage page and the
// management API read it from a URL: a range (24h, 7d, 30d or chosen
// days) and the filters, one API and one token. Every value is checked by
// ParseQuery before any query runs.
type Query struct {
	Range Range
	// From and To are the chosen days as given (range=custom only).
	From, To string
	// API is an API's slug, "" for every API; Token a token's id, 0 for
	// every token. One outside the viewer's scope counts no calls, like
	// one that does not exist, so an answer tells nothing about other
	// partners' APIs and tokens.
	API   string
	Token int64
}

// QueryError is a query value the dashboards do not take: Param names it,
// Message says what to do, for the user.
type QueryError struct{ Param, Message string }

func (e *QueryError) Error() string { return e.Param + ": " + e.Message }

// ParseQuery reads and checks range (with from and to when it is
// "custom"; ignored otherwise, as the page's form always sends them), api
// and the token id named tokenParam ("token" on the page, "token_id" in
// the API, as its answers name it).
func ParseQuery(v url.Values, tokenParam string, now time.Time) (Query, *QueryError) {
	var q Query
	if name := v.Get("range"); name == "custom" {
		q.From, q.To = strings.TrimSpace(v.Get("from")), strings.TrimSpace(v.Get("to"))
		r, msg := ParseCustom(q.From, q.To, now)
		if msg != "" {
			return q, &QueryError{"from, to", msg}
		}
		q.Range = r
	} else {
		r, ok := ParseRange(name, now)
		if !ok {
			return q, &QueryError{"range", "Choose a time range of 24h, 7d or 30d, or custom with a first and a last day."}
		}
		q.Range = r
	}
	q.API = strings.TrimSpace(v.Get("api"))
	if utf8.RuneCountInString(q.API) > 100 {
		return q, &QueryError{"api", "An API's short name has at most 100 characters."}
	}
	if s := v.Get(tokenParam); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return q, &QueryError{tokenParam, "The token to show is a token's id, a whole number from 1, as the links of the token table give it."}
		}
		q.Token = id
	}
	return q, nil
}
