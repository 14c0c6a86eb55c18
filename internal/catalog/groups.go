package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
)

// Limits of an access group's fields.
const (
	MaxGroupName         = 100
	MaxGroupDescription  = 1000
	DefaultRatePerMinute = 600
	MaxRatePerMinute     = 100_000
	MaxMonthlyQuota      = 1_000_000_000_000
)

// Errors of access group changes the handlers turn into messages.
var (
	// ErrNotIncluded: the group does not include the API.
	ErrNotIncluded = errors.New("the access group does not include the API")
	// ErrAlreadyRevoked: the grant was taken back already.
	ErrAlreadyRevoked = store.ErrAlreadyRevoked
)

// Groups creates and edits access groups, the APIs and scopes they
// include, and their grants to partners' teams and people. Each action
// runs in one transaction; every change takes effect at once, because
// effective access is computed from the tables on each request.
type Groups struct {
	store *store.Store
}

// NewGroups returns the access group service.
func NewGroups(st *store.Store) *Groups { return &Groups{store: st} }

// GroupFields are an access group's name, description and limits.
type GroupFields struct {
	Name        string
	Description string
	// RatePerMinute is the rate limit, in requests per minute.
	RatePerMinute int
	// MonthlyQuota is the number of requests a month; nil for no quota.
	MonthlyQuota *int64
}

// ParseGroupFields reads the group form as typed: the limits are whole
// numbers (thousands separators allowed), the quota blank for none. Range
// checks are Create's and Update's.
func ParseGroupFields(name, description, ratePerMinute, monthlyQuota string) (GroupFields, error) {
	f := GroupFields{Name: name, Description: description}
	rate, ok := parseCount(ratePerMinute)
	if !ok || rate < 1 || rate > MaxRatePerMinute {
		return f, rateError()
	}
	f.RatePerMinute = int(rate)
	if strings.TrimSpace(monthlyQuota) != "" {
		q, ok := parseCount(monthlyQuota)
		if !ok {
			return f, quotaError()
		}
		f.MonthlyQuota = &q
	}
	return f, nil
}

// parseCount parses a whole number, ignoring spaces, commas and
// underscores between its digits.
func parseCount(raw string) (int64, bool) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', ',', '_', '\u00a0', '\u202f':
			return -1
		}
		return r
	}, raw)
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 18 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func rateError() error {
	return &apierr.FieldError{Field: "rate_limit_per_minute", Message: fmt.Sprintf("Enter the requests allowed per minute: a whole number from 1 to %d.", MaxRatePerMinute)}
}

func quotaError() error {
	return &apierr.FieldError{Field: "monthly_quota", Message: "Enter the requests allowed per month: a whole number from 1 to 1000000000000, or leave it blank for no monthly quota."}
}

// check trims and checks the fields.
func (f GroupFields) check() (GroupFields, error) {
	f.Name = strings.TrimSpace(f.Name)
	f.Description = strings.TrimSpace(f.Description)
	switch {
	case textcheck.Line(f.Name) != "":
		return f, &apierr.FieldError{Field: "name", Message: "The name " + textcheck.Line(f.Name)}
	case textcheck.Text(f.Description) != "":
		return f, &apierr.FieldError{Field: "description", Message: "The description " + textcheck.Text(f.Description)}
	case f.Name == "" || utf8.RuneCountInString(f.Name) > MaxGroupName:
		return f, &apierr.FieldError{Field: "name", Message: fmt.Sprintf("Enter a name for the access group (up to %d characters).", MaxGroupName)}
	case utf8.RuneCountInString(f.Description) > MaxGroupDescription:
		return f, &apierr.FieldError{Field: "description", Message: fmt.Sprintf("Shorten the description to %d characters.", MaxGroupDescription)}
	case f.RatePerMinute < 1 || f.RatePerMinute > MaxRatePerMinute:
		return f, rateError()
	case f.MonthlyQuota != nil && (*f.MonthlyQuota < 1 || *f.MonthlyQuota > MaxMonthlyQuota):
		return f, quotaError()
	}
	return f, nil
}

// groupEvent is the audit event of a change to access group g. Groups are
// the provider's: the event concerns no partner (grants do).
func groupEvent(action string, g *store.AccessGroup, details map[string]any) audit.Event {
	return audit.Event{Action: action, TargetType: "access_group", TargetID: g.ID, Target: g.Name, Details: details}
}

// limits are a group's fields as an audit event shows them.
func (f GroupFields) limits() map[string]any {
	return map[string]any{"rate_limit_per_minute": f.RatePerMinute, "monthly_quota": f.MonthlyQuota}
}

func groupNameTaken(name string) error {
	return &apierr.FieldError{Field: "name", Message: fmt.Sprintf("An access group named %s exists already (names are compared ignoring case).", name)}
}

// Create creates an access group with no APIs yet.
func (g *Groups) Create(ctx context.Context, f GroupFields) (*store.AccessGroup, error) {
	f, err := f.check()
	if err != nil {
		return nil, err
	}
	var out *store.AccessGroup
	err = g.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		out, err = tx.CreateAccessGroup(ctx, f.Name, f.Description, f.RatePerMinute, f.MonthlyQuota)
		if errors.Is(err, store.ErrSlugTaken) {
			return groupNameTaken(f.Name)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, groupEvent("access_group.create", out, f.limits()))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes a group's name, description and limits; new limits apply
// to every grant of the group at once.
func (g *Groups) Update(ctx context.Context, groupID int64, f GroupFields) (*store.AccessGroup, error) {
	f, err := f.check()
	if err != nil {
		return nil, err
	}
	var out *store.AccessGroup
	err = g.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if out, err = tx.LockAccessGroup(ctx, groupID, true); err != nil {
			return err
		}
		err = tx.UpdateAccessGroup(ctx, groupID, f.Name, f.Description, f.RatePerMinute, f.MonthlyQuota)
		if errors.Is(err, store.ErrSlugTaken) {
			return groupNameTaken(f.Name)
		}
		if err != nil {
			return err
		}
		changes := groupChanges(out, f)
		out.Name, out.Description, out.RateLimitPerMinute, out.MonthlyQuota = f.Name, f.Description, f.RatePerMinute, f.MonthlyQuota
		if len(changes) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, groupEvent("access_group.update", out, changes))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// groupChanges lists the fields f changes in g, each as {from, to}.
func groupChanges(g *store.AccessGroup, f GroupFields) map[string]any {
	out := map[string]any{}
	change := func(field string, from, to any, same bool) {
		if !same {
			out[field] = map[string]any{"from": from, "to": to}
		}
	}
	change("name", g.Name, f.Name, g.Name == f.Name)
	change("description", g.Description, f.Description, g.Description == f.Description)
	change("rate_limit_per_minute", g.RateLimitPerMinute, f.RatePerMinute, g.RateLimitPerMinute == f.RatePerMinute)
	sameQuota := (g.MonthlyQuota == nil) == (f.MonthlyQuota == nil) && (g.MonthlyQuota == nil || *g.MonthlyQuota == *f.MonthlyQuota)
	change("monthly_quota", g.MonthlyQuota, f.MonthlyQuota, sameQuota)
	return out
}

// IncludeAPI includes an API in a group with the chosen scopes, or
// replaces the scopes it included. Every scope must be declared by the
// API's current revision and at least one chosen; a retired API cannot be
// included. An unknown group or API is store.ErrNotFound.
func (g *Groups) IncludeAPI(ctx context.Context, groupID, apiID int64, scopes []string) (*store.AccessGroup, *store.API, error) {
	var grp *store.AccessGroup
	var api *store.API
	err := g.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if grp, err = tx.LockAccessGroup(ctx, groupID, false); err != nil {
			return err
		}
		if api, err = tx.APIByID(ctx, apiID); err != nil {
			return err
		}
		if api.Status == store.APIRetired {
			return &apierr.FieldError{Field: "api", Message: api.Name + " is retired: it answers no calls, so no group can include it."}
		}
		rev, err := tx.CurrentRevision(ctx, apiID)
		if err != nil {
			return err
		}
		chosen, err := checkScopes(api.Name, scopes, rev.Scopes)
		if err != nil {
			return err
		}
		if err := tx.SetGroupAPI(ctx, grp.ID, api.ID, chosen); err != nil {
			return err
		}
		return audit.Record(ctx, tx, groupEvent("access_group.api_include", grp, map[string]any{"api": api.Slug, "api_id": api.ID, "scopes": chosen}))
	})
	if err != nil {
		return nil, nil, err
	}
	return grp, api, nil
}

// checkScopes returns the chosen scopes trimmed, without duplicates and
// sorted, or a FieldError naming what the API does not declare.
func checkScopes(apiName string, chosen, declared []string) ([]string, error) {
	if len(chosen) > MaxScopes {
		return nil, &apierr.FieldError{Field: "scopes", Message: fmt.Sprintf("Choose at most %d scopes.", MaxScopes)}
	}
	for _, sc := range chosen {
		if utf8.RuneCountInString(sc) > MaxScopeName {
			return nil, &apierr.FieldError{Field: "scopes", Message: fmt.Sprintf("A scope has at most %d characters.", MaxScopeName)}
		}
	}
	known := map[string]bool{}
	for _, sc := range declared {
		known[sc] = true
	}
	seen := map[string]bool{}
	var out, unknown []string
	for _, sc := range chosen {
		sc = strings.TrimSpace(sc)
		switch {
		case sc == "" || seen[sc]:
		case !known[sc]:
			unknown = append(unknown, sc)
		default:
			out = append(out, sc)
		}
		seen[sc] = true
	}
	if len(unknown) > 0 {
		word := "the scope"
		if len(unknown) > 1 {
			word = "the scopes"
		}
		return nil, &apierr.FieldError{Field: "scopes", Message: fmt.Sprintf("%s does not declare %s %s. Its scopes are: %s.",
			apiName, word, strings.Join(unknown, ", "), strings.Join(declared, ", "))}
	}
	if len(out) == 0 {
		return nil, &apierr.FieldError{Field: "scopes", Message: "Choose at least one scope of " + apiName + ". To take the API out of the group, remove it instead."}
	}
	sort.Strings(out)
	return out, nil
}

// RemoveAPI takes an API out of a group: grantees lose its scopes at
// once. ErrNotIncluded when the group does not include it.
func (g *Groups) RemoveAPI(ctx context.Context, groupID, apiID int64) (*store.AccessGroup, *store.API, error) {
	var grp *store.AccessGroup
	var api *store.API
	err := g.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if grp, err = tx.LockAccessGroup(ctx, groupID, false); err != nil {
			return err
		}
		if api, err = tx.APIByID(ctx, apiID); err != nil {
			return err
		}
		err = tx.RemoveGroupAPI(ctx, grp.ID, api.ID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotIncluded
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, groupEvent("access_group.api_remove", grp, map[string]any{"api": api.Slug, "api_id": api.ID}))
	})
	return grp, api, err
}

// Delete deletes a group. It revokes nothing silently: while grants of it
// are open it is refused with a FieldError naming the partners that hold
// them, those of the actor's book by name and the others by number only.
func (g *Groups) Delete(ctx context.Context, actor access.Actor, groupID int64) (*store.AccessGroup, error) {
	var grp *store.AccessGroup
	err := g.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		// Exclusive: a grant being made waits, then finds no group.
		if grp, err = tx.LockAccessGroup(ctx, groupID, true); err != nil {
			return err
		}
		partners, others, err := tx.OpenGrantPartners(ctx, grp.ID, actor.Book())
		if err != nil {
			return err
		}
		if len(partners) > 0 || others > 0 {
			return DeleteRefusal(grp.Name, partners, others)
		}
		if err := tx.DeleteAccessGroup(ctx, grp.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, groupEvent("access_group.delete", grp, nil))
	})
	if err != nil {
		return nil, err
	}
	return grp, nil
}

// DeleteRefusal is the FieldError of a group that cannot be deleted while
// partners hold it: partners are the holders the reader may see, others
// the number of holders outside their book, whom it does not name.
func DeleteRefusal(group string, partners []string, others int) *apierr.FieldError {
	var holders []string
	if len(partners) > 0 {
		holders = append(holders, strings.Join(partners, ", "))
	}
	switch {
	case others == 1:
		holders = append(holders, "1 partner you do not manage")
	case others > 1:
		holders = append(holders, strconv.Itoa(others)+" partners you do not manage")
	}
	msg := group + " is still granted to " + strings.Join(holders, " and ") + "."
	if len(partners) > 0 {
		msg += " Revoke those grants first: deleting the group would take access away from them without a trace."
	}
	if others > 0 {
		msg += " The grants to partners you do not manage can be revoked only by their account managers or a platform admin; ask them before deleting the group."
	}
	return &apierr.FieldError{Field: "group", Message: msg}
}

// MembersAccess is EffectiveAccess for the given active members of a
// partner (a page of them), computed in one query: what each of them may
// call now. Members with nothing granted, and ids that are not active
// members of the partner, have no entry.
func MembersAccess(ctx context.Context, st *store.Store, partnerID int64, userIDs []int64) (map[int64]*Access, error) {
	rows, err := st.PartnerEffectiveGrants(ctx, partnerID, userIDs)
	if err != nil {
		return nil, err
	}
	byUser := map[int64][]store.EffectiveGrant{}
	for _, r := range rows {
		byUser[r.UserID] = append(byUser[r.UserID], r.EffectiveGrant)
	}
	out := make(map[int64]*Access, len(byUser))
	for id, rs := range byUser {
		out[id] = accessFrom(rs)
	}
	return out, nil
}
