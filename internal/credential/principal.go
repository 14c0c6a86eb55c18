package credential

import (
	"net/netip"
	"slices"
	"strings"
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
	// PartnerLimit is the partner's ceiling on requests per minute across
	// all its access groups' APIs, set by its account manager; 0 for
	// none. PartnerRateKey ("rlp:PARTNER") is its rate limiter key,
	// computed once here, not per request.
	PartnerLimit   int
	PartnerRateKey string
	// ClientID is the OAuth client's public id when the credential is an
	// access token (TokenID is then the client's); empty for a PAT.
	ClientID string
	// ClientIDHeader is ClientID as a header value, made once with the
	// cached principal rather than per call; nil for a PAT. Read only.
	ClientIDHeader []string
	// IssuedAt is when an access token was issued; nil for a PAT.
	IssuedAt *time.Time
	// Networks are the source networks the credential may be used from;
	// empty: anywhere.
	Networks []netip.Prefix
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

// AllowedFrom reports whether ip (an address as the gateway saw it) is in
// one of the principal's networks; with none, every address is.
func (p *Principal) AllowedFrom(ip string) bool {
	if len(p.Networks) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, n := range p.Networks {
		if n.Contains(addr) {
			return true
		}
	}
	return false
}

// Scopes returns every effective scope as written on the credential
// ("SLUG/SCOPE" and portal scopes), sorted: what introspection reports.
func (p *Principal) Scopes() []string {
	out := slices.Clone(p.portal)
	for api, g := range p.apis {
		for _, s := range g.Scopes {
			out = append(out, api+"/"+s)
		}
	}
	slices.Sort(out)
	return out
}

// ScopeString is Scopes joined by spaces (RFC 6749's scope syntax).
func (p *Principal) ScopeString() string { return strings.Join(p.Scopes(), " ") }
