package catalog

import (
	"context"
	"sort"

	"github.com/portico/portico/internal/store"
)

// GroupLimit is an access group through which a user reaches an API, with
// the limits it carries.
type GroupLimit struct {
	ID            int64
	Name          string
	RatePerMinute int
	MonthlyQuota  *int64
}

// APIAccess is what a user may do with one API now.
type APIAccess struct {
	Slug   string
	Status string
	// Scopes is the union of the scopes of every group that includes the
	// API, sorted.
	Scopes []string
	Groups []GroupLimit
}

// Access is everything a user is granted at one moment. It is computed
// fresh from the grants, so taking an access group away narrows every
// credential of the user at once.
type Access struct {
	APIs map[string]*APIAccess
}

// EffectiveAccess computes what userID is granted now: the union over the
// grants to them and to their teams, nothing when the user or their partner
// is not active, and never a retired API.
func EffectiveAccess(ctx context.Context, st *store.Store, userID int64) (*Access, error) {
	rows, err := st.EffectiveGrants(ctx, userID)
	if err != nil {
		return nil, err
	}
	return accessFrom(rows), nil
}

// accessFrom folds effective grant rows into an Access: scopes are the
// union over the groups, sorted.
// EffectiveAccessOf is EffectiveAccess of several users, read in one
// query; a user granted nothing has an empty Access.
func EffectiveAccessOf(ctx context.Context, st *store.Store, userIDs []int64) (map[int64]*Access, error) {
	rows, err := st.EffectiveGrantsOf(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	by := make(map[int64][]store.EffectiveGrant, len(userIDs))
	for _, r := range rows {
		by[r.UserID] = append(by[r.UserID], r.EffectiveGrant)
	}
	out := make(map[int64]*Access, len(userIDs))
	for _, id := range userIDs {
		out[id] = accessFrom(by[id])
	}
	return out, nil
}

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

// Allows reports whether scope of api is granted.
func (a *Access) Allows(api, scope string) bool {
	x := a.APIs[api]
	if x == nil {
		return false
	}
	i := sort.SearchStrings(x.Scopes, scope)
	return i < len(x.Scopes) && x.Scopes[i] == scope
}

// Narrow returns the scopes of want (a credential's scopes on api) that are
// still granted: a token's effective permission is its scopes intersected
// with what its owner holds now.
func (a *Access) Narrow(api string, want []string) []string {
	var out []string
	for _, sc := range want {
		if a.Allows(api, sc) {
			out = append(out, sc)
		}
	}
	return out
}
