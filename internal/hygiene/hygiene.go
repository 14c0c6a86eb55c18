// Package hygiene tells a partner which of its credentials need
// attention: never used, idle, expiring, held by someone no longer active
// or no longer granted what they hold, or holding scopes they have not
// used. The time-based flags come from the database (and are what the
// "needs attention" count and filter use); the scope flags are worked out
// per page from the usage rollups and the owners' grants.
package hygiene

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/portico/portico/internal/catalog"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

// Flag is one reason a credential needs a look.
type Flag string

// The flags, in the order a page shows them.
const (
	NeverUsed       Flag = "never_used"
	Idle            Flag = "idle"
	Expiring        Flag = "expiring"
	OwnerInactive   Flag = "owner_inactive"
	OwnerNotGranted Flag = "owner_not_granted"
	UnusedScopes    Flag = "unused_scopes"
)

// UsageWindow is how far back the rollups are read for the scopes used.
const UsageWindow = 30 * 24 * time.Hour

// minAgeForScopes is how old a credential must be before its unused
// scopes are pointed out: a day-old token has had no chance to use them.
const minAgeForScopes = 7 * 24 * time.Hour

// Credential is an open credential with its flags.
type Credential struct {
	store.Token
	Flags []Flag
	// NotGranted are its API scopes its owner is no longer granted (the
	// gateway ignores them already).
	NotGranted []string
	// Unused are its API scopes (still granted) no operation it called in
	// UsageWindow needed; Used those some did.
	Unused, Used []string
}

// Has reports whether c carries flag f.
func (c Credential) Has(f Flag) bool { return slices.Contains(c.Flags, f) }

// Service reads the hygiene of a partner's credentials.
type Service struct {
	store   *store.Store
	catalog *catalog.Service
	outbox  *pmail.Outbox
	baseURL string
	now     func() time.Time
}

// New returns the service; baseURL is the portal's public URL, for links
// in mails.
func New(st *store.Store, cat *catalog.Service, outbox *pmail.Outbox, baseURL string) *Service {
	return &Service{store: st, catalog: cat, outbox: outbox, baseURL: strings.TrimSuffix(baseURL, "/"), now: time.Now}
}

// Page is a page of credentials and whether more follow.
type Page struct {
	Credentials []Credential
	More        bool
}

// Page reads one page of the partner's open credentials with their flags,
// after from (nil: the first); attention keeps those with a time-based
// flag. It costs a fixed number of queries whatever the page holds: the
// page, the operations its credentials used, their owners' grants, and
// the current revision of each API their scopes name.
func (s *Service) Page(ctx context.Context, partnerID int64, attention bool, from *store.Key, limit int) (*Page, error) {
	rows, more, err := s.store.HygienePage(ctx, partnerID, attention, from, limit)
	if err != nil {
		return nil, err
	}
	cs, err := s.assess(ctx, rows)
	if err != nil {
		return nil, err
	}
	return &Page{Credentials: cs, More: more}, nil
}

// assess flags rows with a fixed number of queries: the operations they
// used, their owners' grants, and each named API's current revision.
func (s *Service) assess(ctx context.Context, rows []store.HygieneToken) ([]Credential, error) {
	ids, owners := make([]int64, 0, len(rows)), []int64{}
	apis := map[string]bool{}
	for _, r := range rows {
		ids = append(ids, r.ID)
		if !slices.Contains(owners, r.UserID) {
			owners = append(owners, r.UserID)
		}
		for _, sc := range r.Scopes {
			if api, _, ok := strings.Cut(sc, "/"); ok {
				apis[api] = true
			}
		}
	}
	now := s.now()
	used, err := s.store.OperationsUsed(ctx, ids, now.Add(-UsageWindow))
	if err != nil {
		return nil, err
	}
	granted, err := catalog.EffectiveAccessOf(ctx, s.store, owners)
	if err != nil {
		return nil, err
	}
	opScopes, err := s.operationScopes(ctx, apis)
	if err != nil {
		return nil, err
	}
	calls := map[int64][]store.UsedOperation{}
	for _, u := range used {
		calls[u.TokenID] = append(calls[u.TokenID], u)
	}
	out := make([]Credential, 0, len(rows))
	for _, r := range rows {
		out = append(out, Assess(r, calls[r.ID], granted[r.UserID], opScopes, now))
	}
	return out, nil
}

// operationScopes maps each named API's operations to the scopes they
// accept: api -> operation id -> scopes.
func (s *Service) operationScopes(ctx context.Context, apis map[string]bool) (map[string]map[string][]string, error) {
	out := map[string]map[string][]string{}
	if len(apis) == 0 {
		return out, nil
	}
	list, err := s.store.ListAPIs(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if !apis[a.Slug] {
			continue
		}
		spec, _, err := s.catalog.Current(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		ops := map[string][]string{}
		for _, o := range spec.Operations {
			ops[o.OperationID] = o.Scopes
		}
		out[a.Slug] = ops
	}
	return out, nil
}

// Assess flags one credential: the database's flags, then its scopes
// against its owner's grants (access; nil is nothing granted) and the
// operations it called (with opScopes, every API's operations' scopes).
func Assess(t store.HygieneToken, called []store.UsedOperation, access *catalog.Access, opScopes map[string]map[string][]string, now time.Time) Credential {
	c := Credential{Token: t.Token}
	for _, f := range []struct {
		on   bool
		flag Flag
	}{{t.NeverUsed, NeverUsed}, {t.Idle, Idle}, {t.Expiring, Expiring}, {t.OwnerInactive, OwnerInactive}} {
		if f.on {
			c.Flags = append(c.Flags, f.flag)
		}
	}
	// The scopes some call needed: a call to an operation used every
	// scope of the operation the credential holds (any one was enough).
	used := map[string]bool{}
	for _, u := range called {
		for _, sc := range opScopes[u.API][u.Operation] {
			used[u.API+"/"+sc] = true
		}
	}
	for _, sc := range t.Scopes {
		api, scope, ok := strings.Cut(sc, "/")
		if !ok {
			continue // a portal scope: not in the usage rollups
		}
		switch {
		case t.OwnerInactive:
			// Everything is moot; OwnerInactive says so.
		case access == nil || !access.Allows(api, scope):
			c.NotGranted = append(c.NotGranted, sc)
		case used[sc]:
			c.Used = append(c.Used, sc)
		default:
			c.Unused = append(c.Unused, sc)
		}
	}
	if len(c.NotGranted) > 0 {
		c.Flags = append(c.Flags, OwnerNotGranted)
	}
	// Unused scopes are pointed out once the credential is old enough and
	// has used some: one that used none is never used or idle instead.
	if len(c.Unused) > 0 && len(c.Used) > 0 && now.Sub(t.CreatedAt) >= minAgeForScopes {
		c.Flags = append(c.Flags, UnusedScopes)
	}
	return c
}
