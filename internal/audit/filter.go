package audit

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
)

// Choice is one value a filter of the audit trail offers.
type Choice struct {
	Value, Label string
	// Span is a range's length (0: all time); Prefixes a kind's action
	// prefixes; Class a status's hundreds digit.
	Span     time.Duration
	Prefixes []string
	Class    int
}

// Ranges, Kinds and Statuses are the choices of the trail's filters, in
// the order a form lists them.
var (
	Ranges = []Choice{
		{Value: "24h", Label: "Last 24 hours", Span: 24 * time.Hour},
		{Value: "7d", Label: "Last 7 days", Span: 7 * 24 * time.Hour},
		{Value: "30d", Label: "Last 30 days", Span: 30 * 24 * time.Hour},
		{Value: "90d", Label: "Last 90 days", Span: 90 * 24 * time.Hour},
		{Value: "all", Label: "All time"},
	}
	Kinds = []Choice{
		{Value: "tokens", Label: "Tokens", Prefixes: []string{"token."}},
		{Value: "people", Label: "Members and invitations", Prefixes: []string{"member.", "invitation.", "staff."}},
		{Value: "teams", Label: "Teams", Prefixes: []string{"team."}},
		{Value: "access", Label: "Access groups and grants", Prefixes: []string{"access_group.", "grant."}},
		{Value: "apis", Label: "APIs", Prefixes: []string{"api."}},
		{Value: "partners", Label: "Partners", Prefixes: []string{"partner."}},
		{Value: "account", Label: "Sign-ins and accounts", Prefixes: []string{"user."}},
		{Value: "settings", Label: "Settings and sandbox", Prefixes: []string{"settings.", "sandbox.", "retention."}},
	}
	Statuses = []Choice{
		{Value: "2xx", Label: "Succeeded (2xx)", Class: 2},
		{Value: "4xx", Label: "Refused (4xx)", Class: 4},
		{Value: "5xx", Label: "Failed (5xx)", Class: 5},
	}
)

// Filter is what narrows the audit trail, as the page and the management
// API read it from a URL. Every value is checked by ParseFilter before any
// query runs.
type Filter struct {
	Range, Kind, Status string
	// Actor is a person's email (portal actions only).
	Actor string
	// API is an API's slug (calls only).
	API       string
	RequestID string
	// Token keeps one token's calls and what was done to it (its id, as
	// the trail's links give it); 0 keeps every token.
	Token int64
	// Partner keeps one partner's trail (staff: its id, as the partner's
	// page links it); 0 keeps every partner the viewer may read.
	// ForPartner checks it against the policy.
	Partner int64
}

// FilterError is a filter value the trail does not offer; Message says
// what to do, for the user.
type FilterError struct{ Param, Message string }

func (e *FilterError) Error() string { return e.Param + ": " + e.Message }

// ParseFilter reads and checks the filter parameters of v. The range
// defaults to the last 30 days, or to all time when a request id is
// looked up (it is searched whenever it happened).
func ParseFilter(v url.Values) (Filter, error) {
	f := Filter{Range: v.Get("range"), Kind: v.Get("kind"), Status: v.Get("status"),
		Actor: strings.TrimSpace(v.Get("actor")), API: strings.TrimSpace(v.Get("api")), RequestID: strings.TrimSpace(v.Get("request_id"))}
	switch {
	case utf8.RuneCountInString(f.RequestID) > 100:
		return f, &FilterError{"request_id", "A request id has at most 100 characters: check what you pasted."}
	case utf8.RuneCountInString(f.Actor) > 254:
		return f, &FilterError{"actor", "An email has at most 254 characters."}
	case utf8.RuneCountInString(f.API) > 100:
		return f, &FilterError{"api", "An API's short name has at most 100 characters."}
	}
	if s := v.Get("token"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, &FilterError{"token", "The token to show is a token's number, as the links of the trail give it."}
		}
		f.Token = id
	}
	if s := v.Get("partner"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, &FilterError{"partner", "The partner to show is a partner's number, as its page's address gives it (/partners/12)."}
		}
		f.Partner = id
	}
	if f.Range == "" {
		f.Range = "30d"
		if f.RequestID != "" {
			f.Range = "all"
		}
	}
	if choice(Ranges, f.Range) == nil {
		return f, &FilterError{"range", "This time range is not one the audit trail offers: choose 24h, 7d, 30d, 90d or all."}
	}
	if f.Kind != "" && choice(Kinds, f.Kind) == nil {
		return f, &FilterError{"kind", "This kind of event is not one the audit trail offers: choose one from the list."}
	}
	if f.Status != "" && choice(Statuses, f.Status) == nil {
		return f, &FilterError{"status", "This kind of answer is not one the audit trail offers: choose 2xx, 4xx or 5xx."}
	}
	return f, nil
}

func choice(cs []Choice, v string) *Choice {
	for i := range cs {
		if cs[i].Value == v {
			return &cs[i]
		}
	}
	return nil
}

// since is the start of the filter's range before now; zero for all time.
func (f Filter) since(now time.Time) time.Time {
	if c := choice(Ranges, f.Range); c != nil && c.Span > 0 {
		return now.Add(-c.Span)
	}
	return time.Time{}
}

// Events is the store query of the portal actions the filter keeps in
// scope (the person filter, an email, is resolved by the caller).
func (f Filter) Events(scope store.AuditScope, now time.Time) store.AuditQuery {
	q := store.AuditQuery{Scope: scope, RequestID: f.RequestID, TokenID: f.Token, Since: f.since(now)}
	if c := choice(Kinds, f.Kind); c != nil {
		q.Actions = c.Prefixes
	}
	return q
}

// Calls is the store query of the API calls the filter keeps in scope.
func (f Filter) Calls(scope store.AuditScope, now time.Time) store.CallQuery {
	q := store.CallQuery{Scope: scope, RequestID: f.RequestID, API: f.API, TokenID: f.Token, Since: f.since(now)}
	if c := choice(Statuses, f.Status); c != nil {
		q.StatusClass = c.Class
	}
	return q
}

// Scope is the part of the trail actor may read, as the policy says:
// everything for platform admins, their partners' for account managers
// (their book: scope.Book), their partner's for partner admins, and for
// other partner users what they did and what was done to them and their
// tokens. ok is false for an actor who may read none.
func Scope(a access.Actor) (scope store.AuditScope, ok bool) {
	switch {
	case access.Can(a, access.ViewPortalAudit, 0) == access.Allow:
		scope.All = true
	case access.Can(a, access.ViewAudit, 0) == access.Allow:
		scope.Partners, scope.Book = true, a.Book()
	case a.PartnerID != 0 && access.Can(a, access.ViewAudit, a.PartnerID) == access.Allow:
		scope.PartnerID = a.PartnerID
	case a.PartnerID != 0 && access.Can(a, access.ViewOwnAudit, a.PartnerID) == access.Allow:
		scope.PartnerID, scope.UserID = a.PartnerID, a.UserID
	default:
		return scope, false
	}
	return scope, true
}

// PartnerFilterRefused says why a partner user cannot filter by partner.
const PartnerFilterRefused = "The partner filter is for the provider's staff: your trail is your organisation's already."

// ForPartner narrows a staff member's scope to one partner's trail, as
// the partner filter asks, after asking the policy: Hidden for a partner
// the actor does not manage (the caller answers as for one that does not
// exist, so another account manager's partners stay invisible), Deny for
// a partner user (PartnerFilterRefused says why). The narrowed scope
// keeps the actor's book as well, so the query itself never reaches past
// it.
func ForPartner(a access.Actor, partnerID int64) (store.AuditScope, access.Decision) {
	if !a.Staff() {
		return store.AuditScope{}, access.Deny
	}
	d := access.Can(a, access.ViewAudit, partnerID)
	if d != access.Allow {
		return store.AuditScope{}, d
	}
	return store.AuditScope{PartnerID: partnerID, Book: a.Book()}, d
}
