package credential

import (
	"slices"
	"time"

	"github.com/portico/portico/internal/catalog"
)

// Principal is who a verified credential speaks for and what it may do at
// this moment: the token's scopes intersected with its owner's grants.
type Principal struct {
	TokenID   int64
	UserID    int64
	PartnerID int64
	Role      string
	// Environment is "sandbox" or "live".
	Environment string
	// Hint is the display form of the credential (ptc_sbx_…abcd).
	Hint      string
	ExpiresAt time.Time
	// TokenLimit is the token's own requests per minute, across every
	// API, on top of its partner's access-group limits; 0 for none.
	// TokenRateKey ("rlt:TOKEN") is its rate limiter key, computed once
	// here, not per request.
	TokenLimit   int
	TokenRateKey string
	// apis maps an API slug to the effective scopes on it, sorted.
	apis map[string]*APIGrant
	// portal are the effective portal scopes, sorted.
	portal []string
}

// APIGrant is what a principal may do with one API, and through which
// access groups (whose limits apply).
type APIGrant struct {
	Scopes []string
	Groups []catalog.GroupLimit
	// Limit is the group whose limits the gateway applies: of several
	// groups that include the API, the most generous one. Its keys are
	// computed once here, not per request.
	Limit Limit
	// ScopeHeader is Scopes joined by spaces, for X-Portico-Scopes.
	ScopeHeader string
}

// Limit is an access group's limits for one partner, with the keys the
// rate limiter and the quota counter use.
type Limit struct {
	GroupID      int64
	Policy       string // the group's name, for RateLimit-Policy
	PerMinute    int
	RateKey      string // "rl:PARTNER:GROUP": the limit is per partner per group
	MonthlyQuota int64  // 0: none
	QuotaKey     string // "q:PARTNER:GROUP"
}

// Allows reports whether the principal holds scope on api.
func (p *Principal) Allows(api, scope string) bool {
	g := p.apis[api]
	if g == nil {
		return false
	}
	_, ok := slices.BinarySearch(g.Scopes, scope)
	return ok
}

// API returns what the principal may do with api, or nil.
func (p *Principal) API(api string) *APIGrant { return p.apis[api] }

// HasPortalScope reports whether the principal holds a management API
// scope.
func (p *Principal) HasPortalScope(scope string) bool {
	_, ok := slices.BinarySearch(p.portal, scope)
	return ok
}

// PortalScopes returns the effective portal scopes.
func (p *Principal) PortalScopes() []string { return slices.Clone(p.portal) }
