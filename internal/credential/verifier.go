// Package credential verifies the bearer credentials machines present:
// one function, Verifier.Verify, for every surface (the management API,
// the sandbox and live gateway). It parses and checks the checksum without
// I/O, so garbage never reaches the database; then it looks the HMAC up in
// a cache in front of PostgreSQL. The cache is invalidated through
// LISTEN/NOTIFY on every change that matters (a token revoked, regenerated
// or approved, a grant or group changed, a member removed, a partner
// suspended or its rate ceiling changed), so every node stops honouring a
// revoked token within moments.
package credential

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// Errors of Verify. Unknown, revoked, malformed and wrong-checksum tokens
// all get ErrInvalid, so the answer never tells which strings were ever
// tokens; the others concern a token its caller owns.
var (
	ErrInvalid     = errors.New("the access token is invalid or revoked")
	ErrExpired     = errors.New("the access token expired")
	ErrPending     = errors.New("the access token waits for a partner admin's approval")
	ErrEnvironment = errors.New("the access token is for another environment")
	// ErrNetwork is a credential used from outside the networks its
	// owner allowed.
	ErrNetwork = errors.New("the credential may not be used from this network")
	// ErrAccessTokenExpired is an OAuth access token past its lifetime:
	// the client asks /oauth/token for a new one. It is an ErrExpired.
	ErrAccessTokenExpired = fmt.Errorf("the OAuth access token expired: %w", ErrExpired)
)

// DefaultTTL bounds how long a cached verification is trusted without a
// notification, in case the listener connection is down.
const DefaultTTL = time.Minute

// Verifier verifies credentials. It is safe for concurrent use.
type Verifier struct {
	store  *store.Store
	hasher *token.Hasher
	// TTL is how long a cache entry lives (DefaultTTL).
	TTL time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[[32]byte]*entry
	// gen counts flushes: a lookup that began before a flush does not
	// cache what it read, which may already be stale.
	gen atomic.Uint64
	// hits and misses count lookups answered from the cache and those
	// that read the database, for the metrics listener.
	hits, misses atomic.Uint64

	usesMu sync.Mutex
	uses   map[int64]store.TokenUse
	// nets are the networks each credential was used from since the last
	// flush, and refusals the presentations of known credentials refused
	// (revoked, expired, wrong environment), both under usesMu and
	// written by Flush, for the alert rules.
	nets     map[netKey]time.Time
	refusals map[refusalKey]int64

	hooksMu sync.Mutex
	hooks   []func()
}

// OnAccessChange registers fn to run whenever everything is forgotten (an
// access change, a reconnect), so other caches keyed on the catalog (the
// gateway's routes) follow the same notifications.
func (v *Verifier) OnAccessChange(fn func()) {
	v.hooksMu.Lock()
	v.hooks = append(v.hooks, fn)
	v.hooksMu.Unlock()
}

type entry struct {
	id int64
	// partner is the credential's partner, whose own settings (its rate
	// ceiling) the principal holds: a change to them forgets the entry.
	partner int64
	p       *Principal
	err     error // ErrPending: cached so a pending token costs no lookups
	until   time.Time
	fetched time.Time
}

// NewVerifier returns a verifier over st whose hashes are keyed by hasher.
func NewVerifier(st *store.Store, hasher *token.Hasher) *Verifier {
	return &Verifier{store: st, hasher: hasher, TTL: DefaultTTL, now: time.Now,
		entries: map[[32]byte]*entry{}, uses: map[int64]store.TokenUse{},
		nets: map[netKey]time.Time{}, refusals: map[refusalKey]int64{}}
}

// Verify checks a bearer credential presented from ip for environment env
// ("sandbox", "live", or "" for any, as on the management API) and returns
// its principal.
func (v *Verifier) Verify(ctx context.Context, plaintext, env, ip string) (*Principal, error) {
	e, now, err := v.lookup(ctx, plaintext)
	if err != nil {
		return nil, err
	}
	p := e.p
	if env != "" && p.Environment != env {
		v.recordRefusal(p.TokenID, store.RefusedWrongEnv, now)
		return nil, ErrEnvironment
	}
	if len(p.Networks) > 0 && !p.AllowedFrom(ip) {
		return nil, ErrNetwork
	}
	v.recordUse(p.TokenID, now, ip)
	return p, nil
}

// Inspect returns the principal of a credential that is valid now, in any
// environment and from anywhere, without counting it as used, and until
// when this secret is valid: the principal's expiry, or the earlier end of
// the grace period of a secret a rotation replaced. That is what token
// introspection (RFC 7662) reports to a resource server, which may cache
// the answer until then.
func (v *Verifier) Inspect(ctx context.Context, plaintext string) (*Principal, time.Time, error) {
	e, _, err := v.lookup(ctx, plaintext)
	if err != nil {
		return nil, time.Time{}, err
	}
	until := e.p.ExpiresAt
	if e.until.Before(until) {
		until = e.until
	}
	return e.p, until, nil
}

// lookup parses a personal access token or OAuth access token, finds it
// (cache, then database) and checks that it is valid now; the entry's
// principal is then set.
func (v *Verifier) lookup(ctx context.Context, plaintext string) (*entry, time.Time, error) {
	parsed, err := token.Parse(plaintext)
	if err != nil {
		return nil, time.Time{}, ErrInvalid
	}
	switch parsed.Kind {
	case token.KindSandbox, token.KindLive, token.KindAccessToken:
	default:
		return nil, time.Time{}, ErrInvalid
	}
	key := v.hasher.Sum(plaintext)
	now := v.now()
	v.mu.RLock()
	e := v.entries[key]
	v.mu.RUnlock()
	if e == nil || now.Sub(e.fetched) > v.TTL {
		v.misses.Add(1)
		if e, err = v.fetch(ctx, parsed.Kind, key, now); err != nil {
			return nil, now, err
		}
	} else {
		v.hits.Add(1)
	}
	if e.err != nil {
		return nil, now, e.err
	}
	if !now.Before(e.until) {
		if e.until.Before(e.p.ExpiresAt) {
			return nil, now, ErrInvalid // the grace period of a replaced secret is over
		}
		if parsed.Kind == token.KindAccessToken {
			// An expired access token is routine (the client asks for a
			// new one), and e.id is its client's row: nothing to note.
			return nil, now, ErrAccessTokenExpired
		}
		v.recordRefusal(e.id, store.RefusedExpired, now)
		return nil, now, ErrExpired
	}
	return e, now, nil
}

// CacheCounts returns how many verifications were answered from the cache
// (hits) and how many read the database (misses: not cached, or stale).
func (v *Verifier) CacheCounts() (hits, misses uint64) {
	return v.hits.Load(), v.misses.Load()
}

// fetch reads a token and its owner's grants and caches the result. An
// OAuth access token is read with its client's row, whose id it caches
// under: revoking or changing the client forgets its access tokens too.
func (v *Verifier) fetch(ctx context.Context, kind token.Kind, key [32]byte, now time.Time) (*entry, error) {
	gen := v.gen.Load()
	read := v.store.TokenAuthByHash
	if kind == token.KindAccessToken {
		read = v.store.AccessTokenAuthByHash
	}
	a, err := read(ctx, key[:])
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("verify credential: %w", err)
	}
	if a.Revoked || !a.UserActive || !a.PartnerActive {
		// Not cached: a revoked token costs the same lookup as an unknown
		// one, so timing does not tell them apart either.
		// Only a personal access token's own revocation is noted: an access
		// token's row is its client's, revoked with it or on its own.
		if a.Revoked && kind != token.KindAccessToken {
			v.recordRefusal(a.ID, store.RefusedRevoked, now)
		}
		return nil, ErrInvalid
	}
	e := &entry{id: a.ID, partner: a.PartnerID, fetched: now, until: a.ExpiresAt}
	if a.Previous && a.PreviousUntil != nil && a.PreviousUntil.Before(e.until) {
		e.until = *a.PreviousUntil
	}
	if a.Pending {
		e.err = ErrPending
	} else {
		granted, err := catalog.EffectiveAccess(ctx, v.store, a.UserID)
		if err != nil {
			return nil, fmt.Errorf("verify credential: %w", err)
		}
		e.p = principal(a, granted)
	}
	v.mu.Lock()
	if v.gen.Load() == gen {
		v.entries[key] = e
	}
	v.mu.Unlock()
	return e, nil
}

// principal intersects the token's scopes with what its owner holds now.
func principal(a *store.TokenAuth, granted *catalog.Access) *Principal {
	p := &Principal{TokenID: a.ID, UserID: a.UserID, PartnerID: a.PartnerID, Role: a.Role,
		Environment: a.Environment, ExpiresAt: a.ExpiresAt, ClientID: a.ClientID, IssuedAt: a.IssuedAt,
		apis: map[string]*APIGrant{}}
	if a.ClientID != "" {
		p.ClientIDHeader = []string{a.ClientID}
	}
	for _, n := range a.AllowedNetworks {
		if pfx, err := netip.ParsePrefix(n); err == nil {
			p.Networks = append(p.Networks, pfx.Masked())
		}
	}
	if a.RateLimitPerMinute != nil && *a.RateLimitPerMinute > 0 {
		p.TokenLimit = *a.RateLimitPerMinute
		p.TokenRateKey = "rlt:" + strconv.FormatInt(a.ID, 10)
	}
	if a.PartnerRateLimit != nil && *a.PartnerRateLimit > 0 {
		p.PartnerLimit = *a.PartnerRateLimit
		p.PartnerRateKey = "rlp:" + strconv.FormatInt(a.PartnerID, 10)
	}
	for _, sc := range a.Scopes {
		api, scope, ok := strings.Cut(sc, "/")
		if !ok {
			if access.IsPortalScope(a.Role, sc) {
				p.portal = append(p.portal, sc)
			}
			continue
		}
		if !granted.Allows(api, scope) {
			continue
		}
		g := p.apis[api]
		if g == nil {
			g = &APIGrant{Groups: granted.APIs[api].Groups}
			p.apis[api] = g
		}
		g.Scopes = append(g.Scopes, scope)
	}
	for _, g := range p.apis {
		slices.Sort(g.Scopes)
		g.ScopeHeader = strings.Join(g.Scopes, " ")
		g.Limit = limitOf(a.PartnerID, g.Groups)
	}
	slices.Sort(p.portal)
	return p
}

// limitOf picks the most generous of the groups through which a partner
// reaches an API: being granted an API twice never makes a caller slower.
func limitOf(partnerID int64, groups []catalog.GroupLimit) Limit {
	var best *catalog.GroupLimit
	for i := range groups {
		if best == nil || groups[i].RatePerMinute > best.RatePerMinute {
			best = &groups[i]
		}
	}
	if best == nil {
		return Limit{}
	}
	l := Limit{GroupID: best.ID, Policy: best.Name, PerMinute: best.RatePerMinute,
		RateKey:  "rl:" + strconv.FormatInt(partnerID, 10) + ":" + strconv.FormatInt(best.ID, 10),
		QuotaKey: "q:" + strconv.FormatInt(partnerID, 10) + ":" + strconv.FormatInt(best.ID, 10)}
	if best.MonthlyQuota != nil {
		l.MonthlyQuota = *best.MonthlyQuota
	}
	return l
}

// Forget drops a token's cached verification (all of them when tokenID is
// 0). The listener calls it; tests and single-node set-ups may too.
func (v *Verifier) Forget(tokenID int64) {
	v.gen.Add(1)
	if tokenID == 0 {
		v.mu.Lock()
		clear(v.entries)
		v.mu.Unlock()
		v.hooksMu.Lock()
		hooks := slices.Clone(v.hooks)
		v.hooksMu.Unlock()
		for _, fn := range hooks {
			fn()
		}
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, e := range v.entries {
		if e.id == tokenID {
			delete(v.entries, k)
		}
	}
}

// ForgetPartner drops the cached verifications of every credential of a
// partner, when one of the partner's own settings they hold changed (its
// rate ceiling). The listener calls it.
func (v *Verifier) ForgetPartner(partnerID int64) {
	v.gen.Add(1)
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, e := range v.entries {
		if e.partner == partnerID {
			delete(v.entries, k)
		}
	}
}

// recordUse notes the last use of a token; Flush writes them in one
// statement, so verifying never writes to the database.
func (v *Verifier) recordUse(id int64, at time.Time, ip string) {
	nk, netOK := networkOf(id, ip)
	v.usesMu.Lock()
	v.uses[id] = store.TokenUse{ID: id, At: at, IP: ip}
	if _, seen := v.nets[nk]; netOK && !seen && len(v.nets) < maxNets {
		v.nets[nk] = at // the window's first use: first_seen when new
	}
	v.usesMu.Unlock()
}

// Flush writes the uses, networks and refusals recorded since the last
// flush, a statement each.
func (v *Verifier) Flush(ctx context.Context) error {
	v.usesMu.Lock()
	batch := make([]store.TokenUse, 0, len(v.uses))
	for _, u := range v.uses {
		batch = append(batch, u)
	}
	clear(v.uses)
	nets := make([]store.TokenNetwork, 0, len(v.nets))
	for k, at := range v.nets {
		nets = append(nets, store.TokenNetwork{TokenID: k.id, Network: k.net.String(), At: at})
	}
	clear(v.nets)
	refusals := make([]store.Refusal, 0, len(v.refusals))
	for k, n := range v.refusals {
		refusals = append(refusals, store.Refusal{Hour: time.Unix(k.hour, 0).UTC(), TokenID: k.id, Reason: k.reason, Count: n})
	}
	clear(v.refusals)
	v.usesMu.Unlock()
	// Each batch is written even when another fails: they are cleared
	// already, and one failing table should not lose the others' notes.
	return errors.Join(v.store.RecordTokenUses(ctx, batch), v.store.RecordTokenNetworks(ctx, nets),
		v.store.RecordRefusals(ctx, refusals))
}
