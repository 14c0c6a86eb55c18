package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// ErrNotInMappedGroup says the provider requires a mapped group
// (RequireGroup) and the person is in none of them: they may not sign in,
// and a sync ends their access.
var ErrNotInMappedGroup = errors.New("not in any group mapped to this portal")

// ErrGroupsUnknown says the provider requires a mapped group and did not
// say which groups the person is in (its token lacks the groups claim):
// they may not sign in, but nothing is taken from them for it.
var ErrGroupsUnknown = errors.New("the provider did not say which groups the person is in")

// Bounds on a groups claim: it comes from the provider's token, so the
// portal reads no more of it than a real directory sends. Every group
// name a mapping can have (MaxGroup characters, at most 4 bytes each) is
// within MaxGroupBytes, so any mapped group can match the claim.
const (
	// MaxGroups is how many distinct groups of a claim are considered;
	// the rest are ignored. Large directories list hundreds.
	MaxGroups = 1000
	// MaxGroupBytes is the longest group name considered; longer names
	// are ignored.
	MaxGroupBytes = 1024
)

// GroupChanges is what ApplyGroups changed for a person.
type GroupChanges struct {
	// TeamsAdded and TeamsRemoved name the teams joined and left.
	TeamsAdded, TeamsRemoved []string
	// RoleFrom and RoleTo are set when the role changed.
	RoleFrom, RoleTo string
	// RoleKept is set when the claim would have demoted the partner's
	// last active admin, who stays admin.
	RoleKept bool
}

// Changed reports whether anything changed.
func (c *GroupChanges) Changed() bool {
	return len(c.TeamsAdded)+len(c.TeamsRemoved) > 0 || c.RoleTo != ""
}

// BoundGroups keeps the first MaxGroups distinct groups of a claim that
// are at most MaxGroupBytes long and not empty, in their order.
func BoundGroups(groups []string) []string {
	out := make([]string, 0, min(len(groups), MaxGroups))
	seen := make(map[string]bool, min(len(groups), MaxGroups))
	for _, g := range groups {
		if len(out) == MaxGroups {
			break
		}
		if g == "" || len(g) > MaxGroupBytes || seen[g] {
			continue
		}
		seen[g] = true
		out = append(out, g)
	}
	return out
}

// GroupsFromClaims reads the groups claim named claim of an ID token or
// userinfo: a list of strings or one string, bounded by BoundGroups
// (entries that are not strings are skipped). present is false when the
// claim is not there, is null, or is neither a string nor a list: the
// claims then say nothing about the person's groups (Azure, for one,
// replaces a long list by a reference in _claim_names), which is not the
// same as an empty list.
func GroupsFromClaims(claims map[string]json.RawMessage, claim string) (groups []string, present bool) {
	raw, ok := claims[claim]
	if !ok {
		return nil, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil, false
	}
	var names []string
	switch v := v.(type) {
	case string:
		names = []string{v}
	case []any:
		names = make([]string, 0, min(len(v), MaxGroups))
		for _, e := range v {
			if g, ok := e.(string); ok {
				names = append(names, g)
			}
		}
	default: // null, a number, an object: no list of groups
		return nil, false
	}
	return BoundGroups(names), true
}

// requiresGroup reports whether p's "require a mapped group" is in
// effect: set, and at least one group mapped. Without mappings no group
// could qualify, so switching it on before mapping groups, or removing
// the last mapping, locks nobody out.
func requiresGroup(p *store.IdentityProvider, mappings int) bool {
	return p.RequireGroup && mappings > 0
}

// KeepGroups is ApplyGroups for a claim that is not there: the provider
// did not say which groups the person is in, so nothing changes. Where p
// requires a mapped group (and maps some), ErrGroupsUnknown: the person
// can neither be let in on that answer nor taken for gone.
func KeepGroups(ctx context.Context, tx *store.Store, p *store.IdentityProvider) error {
	if p.IsStaff() || !p.RequireGroup {
		return nil
	}
	n, err := tx.GroupMappingCount(ctx, p.ID)
	if err != nil {
		return err
	}
	if requiresGroup(p, n) {
		return ErrGroupsUnknown
	}
	return nil
}

// ApplyGroups makes u's mapped teams and role follow groups (what the
// provider's claim says now), in tx (a Store in a transaction), audited.
//
// A team with at least one mapping of p is governed by the claim: u is in
// it exactly when one of groups maps to it; other teams are left alone.
// When p has a role mapping, u is partner admin exactly when one of groups
// maps to the role, developer otherwise, except that the partner's last
// active admin is never demoted (kept, audited as sso.role_kept). The
// staff's provider has no mappings: nothing changes. With p.RequireGroup,
// at least one mapping and no group of groups mapped,
// ErrNotInMappedGroup and nothing changes (RequireGroup without mappings
// is as if not set).
// u.Role is updated to the role u has afterwards.
func ApplyGroups(ctx context.Context, tx *store.Store, p *store.IdentityProvider, u *store.User, groups []string) (*GroupChanges, error) {
	ch := &GroupChanges{}
	if p.IsStaff() {
		return ch, nil
	}
	if u.PartnerID == nil || *u.PartnerID != *p.PartnerID {
		return nil, fmt.Errorf("apply groups: user %d is not a member of the provider's partner", u.ID)
	}
	// Locking the member orders concurrent sign-ins and syncs of one person.
	if _, err := tx.LockPartnerMember(ctx, *p.PartnerID, u.ID); err != nil {
		return nil, err
	}
	mappings, err := tx.GroupMappings(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	in := map[string]bool{}
	for _, g := range BoundGroups(groups) {
		in[g] = true
	}
	// team id -> whether a group of the claim maps to it; its name.
	teams, names := map[int64]bool{}, map[int64]string{}
	var teamOrder []int64
	roleMapped, admin, anyMapped := false, false, false
	for _, m := range mappings {
		anyMapped = anyMapped || in[m.Group]
		switch {
		case m.TeamID != nil:
			if _, seen := teams[*m.TeamID]; !seen {
				teamOrder = append(teamOrder, *m.TeamID)
				if m.TeamName != nil {
					names[*m.TeamID] = *m.TeamName
				}
			}
			teams[*m.TeamID] = teams[*m.TeamID] || in[m.Group]
		case m.Role != nil && *m.Role == store.RolePartnerAdmin:
			roleMapped = true
			admin = admin || in[m.Group]
		}
	}
	if requiresGroup(p, len(mappings)) && !anyMapped {
		return nil, ErrNotInMappedGroup
	}
	for _, id := range teamOrder {
		if teams[id] {
			added, err := tx.AddTeamMember(ctx, id, u.ID)
			if err != nil {
				return nil, err
			}
			if added {
				ch.TeamsAdded = append(ch.TeamsAdded, names[id])
				if err := webhook.QueueTeamMembership(ctx, tx, *u.PartnerID, id, names[id], webhook.Person{ID: u.ID, Email: u.Email}, true); err != nil {
					return nil, err
				}
			}
			continue
		}
		removed, err := tx.RemoveTeamMember(ctx, id, u.ID)
		if err != nil {
			return nil, err
		}
		if removed {
			ch.TeamsRemoved = append(ch.TeamsRemoved, names[id])
			if err := webhook.QueueTeamMembership(ctx, tx, *u.PartnerID, id, names[id], webhook.Person{ID: u.ID, Email: u.Email}, false); err != nil {
				return nil, err
			}
		}
	}
	if err := applyRole(ctx, tx, p, u, roleMapped, admin, ch); err != nil {
		return nil, err
	}
	if !ch.Changed() {
		return ch, nil
	}
	details := map[string]any{"provider": p.DisplayName, "teams_added": nonNil(ch.TeamsAdded), "teams_removed": nonNil(ch.TeamsRemoved)}
	if ch.RoleTo != "" {
		details["role_from"], details["role_to"] = ch.RoleFrom, ch.RoleTo
	}
	return ch, audit.Record(ctx, tx, userEvent("member.sso_groups_applied", u, details))
}

// applyRole makes u partner admin or developer as the claim says, when
// the provider maps a group to the role; the last admin is kept.
func applyRole(ctx context.Context, tx *store.Store, p *store.IdentityProvider, u *store.User, roleMapped, admin bool, ch *GroupChanges) error {
	if !roleMapped {
		return nil
	}
	want := store.RoleDeveloper
	if admin {
		want = store.RolePartnerAdmin
	}
	if u.Role == want {
		return nil
	}
	if u.Role == store.RolePartnerAdmin {
		// Counting locks the admin rows: two demotions at once cannot
		// both pass.
		n, err := tx.CountPartnerAdmins(ctx, *p.PartnerID)
		if err != nil {
			return err
		}
		if n <= 1 {
			ch.RoleKept = true
			return audit.Record(ctx, tx, userEvent("sso.role_kept", u, map[string]any{
				"provider": p.DisplayName, "role": u.Role, "reason": "last_admin"}))
		}
	}
	if err := tx.SetUserRole(ctx, u.ID, want); err != nil {
		return err
	}
	ch.RoleFrom, ch.RoleTo = u.Role, want
	u.Role = want
	return nil
}

// userEvent is an audit event about u, in u's partner (if any).
func userEvent(action string, u *store.User, details map[string]any) audit.Event {
	e := audit.Event{Action: action, TargetType: "user", TargetID: u.ID, Target: u.Email, Details: details}
	if u.PartnerID != nil {
		e.PartnerID = *u.PartnerID
	}
	return e
}

// nonNil makes an empty list a JSON [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
