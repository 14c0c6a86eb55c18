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
	"github.com/portico/portico/internal/store"
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
	return &InputError{Field: "rate_limit_per_minute", Message: fmt.Sprintf("Enter the requests allowed per minute: a whole number from 1 to %d.", MaxRatePerMinute)}
}

func quotaError() error {
	return &InputError{Field: "monthly_quota", Message: "Enter the requests allowed per month: a whole number from 1 to 1000000000000, or leave it blank for no monthly quota."}
}

// check trims and checks the fields.
func (f GroupFields) check() (GroupFields, error) {
	f.Name = strings.TrimSpace(f.Name)
	f.Description = strings.TrimSpace(f.Description)
	switch {
	case f.Name == "" || utf8.RuneCountInString(f.Name) > MaxGroupName:
		return f, &InputError{Field: "name", Message: fmt.Sprintf("Enter a name for the access group (up to %d characters).", MaxGroupName)}
	case utf8.RuneCountInString(f.Description) > MaxGroupDescription:
		return f, &InputError{Field: "description", Message: fmt.Sprintf("Shorten the description to %d characters.", MaxGroupDescription)}
	case f.RatePerMinute < 1 || f.RatePerMinute > MaxRatePerMinute:
		return f, rateError()
	case f.MonthlyQuota != nil && (*f.MonthlyQuota < 1 || *f.MonthlyQuota > MaxMonthlyQuota):
		return f, quotaError()
	}
	return f, nil
}

func groupNameTaken(name string) error {
	return &InputError{Field: "name", Message: fmt.Sprintf("An access group named %s exists already (names are compared ignoring case).", name)}
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
		return err
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
		out.Name, out.Description, out.RateLimitPerMinute, out.MonthlyQuota = f.Name, f.Description, f.RatePerMinute, f.MonthlyQuota
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
			return &InputError{Field: "api", Message: api.Name + " is retired: it answers no calls, so no group can include it."}
		}
		rev, err := tx.CurrentRevision(ctx, apiID)
		if err != nil {
			return err
		}
		chosen, err := checkScopes(api.Name, scopes, rev.Scopes)
		if err != nil {
			return err
		}
		return tx.SetGroupAPI(ctx, grp.ID, api.ID, chosen)
	})
	if err != nil {
		return nil, nil, err
	}
	return grp, api, nil
}

// checkScopes returns the chosen scopes trimmed, without duplicates and
// sorted, or an InputError naming what the API does not declare.
func checkScopes(apiName string, chosen, declared []string) ([]string, error) {
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
		return nil, &InputError{Field: "scopes", Message: fmt.Sprintf("%s does not declare %s %s. Its scopes are: %s.",
			apiName, word, strings.Join(unknown, ", "), strings.Join(declared, ", "))}
	}
	if len(out) == 0 {
		return nil, &InputError{Field: "scopes", Message: "Choose at least one scope of " + apiName + ". To take the API out of the group, remove it instead."}
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
		return err
	})
	return grp, api, err
}

// Delete deletes a group. It revokes nothing silently: while grants of it
// are open it is refused with an InputError naming the partners that hold
// them.
func (g *Groups) Delete(ctx context.Context, groupID int64) (*store.AccessGroup, error) {
	var grp *store.AccessGroup
	err := g.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		// Exclusive: a grant being made waits, then finds no group.
		if grp, err = tx.LockAccessGroup(ctx, groupID, true); err != nil {
			return err
		}
		partners, err := tx.OpenGrantPartners(ctx, grp.ID)
		if err != nil {
			return err
		}
		if len(partners) > 0 {
			return DeleteRefusal(grp.Name, partners)
		}
		return tx.DeleteAccessGroup(ctx, grp.ID)
	})
	if err != nil {
		return nil, err
	}
	return grp, nil
}

// DeleteRefusal is the InputError of a group that cannot be deleted while
// partners hold it.
func DeleteRefusal(group string, partners []string) *InputError {
	return &InputError{Field: "group", Message: group + " is still granted to " + strings.Join(partners, ", ") +
		". Revoke those grants first: deleting the group would take access away from them without a trace."}
}

// GrantTo says whom to grant a group to: exactly one of a team and a user.
// PartnerID, when set, is the partner the grantee must belong to; the
// grant's partner is always the grantee's own, never taken from a form.
type GrantTo struct {
	TeamID    int64
	UserID    int64
	PartnerID int64
}

// ParseGrantee reads a grant form's choice: "team:ID" or "user:ID".
// Anything else is the empty choice, which Grant refuses.
func ParseGrantee(v string) GrantTo {
	kind, id, _ := strings.Cut(strings.TrimSpace(v), ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return GrantTo{}
	}
	switch kind {
	case "team":
		return GrantTo{TeamID: n}
	case "user":
		return GrantTo{UserID: n}
	}
	return GrantTo{}
}

// Granted is the outcome of a grant.
type Granted struct {
	ID      int64
	Group   *store.AccessGroup
	Grantee *store.Grantee
}

// Grant gives a group to a team or a person of an active partner, recording
// who granted it. Refused with an InputError, nothing stored: no or an
// unknown grantee, a staff member, a removed person, a suspended partner,
// a grantee of another partner than to.PartnerID, and a grantee that holds
// the group already. An unknown group is store.ErrNotFound.
func (g *Groups) Grant(ctx context.Context, actor access.Actor, groupID int64, to GrantTo) (*Granted, error) {
	if (to.TeamID > 0) == (to.UserID > 0) {
		return nil, &InputError{Field: "grantee", Message: "Choose a team or a person of a partner to grant the group to."}
	}
	out := &Granted{}
	err := g.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if out.Group, err = tx.LockAccessGroup(ctx, groupID, false); err != nil {
			return err
		}
		var teamID, userID *int64
		if to.TeamID > 0 {
			teamID = &to.TeamID
			out.Grantee, err = tx.LockGranteeTeam(ctx, to.TeamID)
			if errors.Is(err, store.ErrNotFound) {
				return &InputError{Field: "grantee", Message: "That team does not exist (any more). Choose another."}
			}
		} else {
			userID = &to.UserID
			out.Grantee, err = tx.LockGranteeUser(ctx, to.UserID)
			if errors.Is(err, store.ErrNotFound) {
				return &InputError{Field: "grantee", Message: "Access groups are granted to the people of partners; that person is not a member of any partner."}
			}
		}
		if err != nil {
			return err
		}
		gt := out.Grantee
		if err := checkGrantee(ctx, tx, gt, to.PartnerID); err != nil {
			return err
		}
		held, err := tx.HasOpenGrant(ctx, out.Group.ID, teamID, userID)
		if err != nil {
			return err
		}
		if held {
			return alreadyHolds(gt, out.Group.Name)
		}
		out.ID, err = tx.Grant(ctx, out.Group.ID, gt.PartnerID, teamID, userID, actorRef(actor))
		if errors.Is(err, store.ErrAlreadyGranted) {
			return alreadyHolds(gt, out.Group.Name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkGrantee refuses grantees that cannot hold access now.
func checkGrantee(ctx context.Context, tx *store.Store, gt *store.Grantee, partnerID int64) error {
	if partnerID != 0 && gt.PartnerID != partnerID {
		p, err := tx.PartnerByID(ctx, partnerID)
		if errors.Is(err, store.ErrNotFound) {
			return &InputError{Field: "grantee", Message: "That partner does not exist."}
		}
		if err != nil {
			return err
		}
		return &InputError{Field: "grantee", Message: fmt.Sprintf("%s is not part of %s but of %s: a grant goes to a team or person of the partner it is for.",
			GranteeLabel(gt), p.Name, gt.PartnerName)}
	}
	if gt.PartnerStatus != store.PartnerActive {
		return &InputError{Field: "grantee", Message: gt.PartnerName + " is suspended. Reactivate the partner before granting it access."}
	}
	if gt.UserStatus != nil && *gt.UserStatus != "active" {
		return &InputError{Field: "grantee", Message: gt.Name + " was removed from " + gt.PartnerName + " and cannot be granted access."}
	}
	return nil
}

func alreadyHolds(gt *store.Grantee, group string) error {
	return &InputError{Field: "grantee", Message: fmt.Sprintf("%s of %s holds %s already.", GranteeLabel(gt), gt.PartnerName, group)}
}

// GranteeLabel names a grantee: "team Integrations" or "Dev Harbor".
func GranteeLabel(gt *store.Grantee) string {
	if gt.TeamID != nil {
		return "team " + gt.Name
	}
	return gt.Name
}

// Revoke takes a grant of the group back, recording who did; the row stays
// for the audit trail. A grant of another group is store.ErrNotFound; one
// revoked already is ErrAlreadyRevoked, returned with the grant.
func (g *Groups) Revoke(ctx context.Context, actor access.Actor, groupID, grantID int64) (*store.GrantRow, error) {
	var gr *store.GrantRow
	err := g.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.LockAccessGroup(ctx, groupID, false); err != nil {
			return err
		}
		var err error
		if gr, err = tx.LockGroupGrant(ctx, groupID, grantID); err != nil {
			return err
		}
		if gr.RevokedAt != nil {
			return ErrAlreadyRevoked
		}
		return tx.RevokeGrant(ctx, gr.ID, actorRef(actor))
	})
	return gr, err
}

// MembersAccess is EffectiveAccess for every active member of a partner,
// computed in one query: what each of them may call now. Members with
// nothing granted have no entry.
func MembersAccess(ctx context.Context, st *store.Store, partnerID int64) (map[int64]*Access, error) {
	rows, err := st.PartnerEffectiveGrants(ctx, partnerID)
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

// accessFrom folds effective grant rows into an Access, as EffectiveAccess
// does: scopes are the union over the groups, sorted.
func accessFrom(rows []store.EffectiveGrant) *Access {
	a := &Access{APIs: map[string]*APIAccess{}}
	seen := map[string]map[string]bool{}
	for _, r := range rows {
		api := a.APIs[r.APISlug]
		if api == nil {
			api = &APIAccess{Slug: r.APISlug, Status: r.APIStatus}
			a.APIs[r.APISlug] = api
			seen[r.APISlug] = map[string]bool{}
		}
		api.Groups = append(api.Groups, GroupLimit{ID: r.AccessGroupID, Name: r.GroupName, RatePerMinute: r.RatePerMinute, MonthlyQuota: r.MonthlyQuota})
		for _, sc := range r.Scopes {
			if !seen[r.APISlug][sc] {
				seen[r.APISlug][sc] = true
				api.Scopes = append(api.Scopes, sc)
			}
		}
	}
	for _, api := range a.APIs {
		sort.Strings(api.Scopes)
	}
	return a
}
