package sso

import (
	"context"
	"errors"
	"time"

	"github.com/portico/portico/internal/store"
)

// SyncNowEvery is how often a partner admin's "sync now" may run: each
// sync asks the provider about every person, so a button held down must
// not turn the portal into a load on the partner's directory.
const SyncNowEvery = time.Minute

// SyncNowBudget bounds a "sync now": it answers within the portal's
// write timeout, and the people it did not reach are checked next time.
const SyncNowBudget = 90 * time.Second

// ErrSyncTooSoon says a sync of the provider ran less than SyncNowEvery
// ago.
var ErrSyncTooSoon = errors.New("a sync of this identity provider ran less than a minute ago")

// SyncNow runs a sync of the partner's provider at a partner admin's
// request: store.ErrNotFound when the partner has none, ErrSyncTooSoon
// when one ran (here or on another node) within SyncNowEvery.
func (s *Service) SyncNow(ctx context.Context, partnerID int64) (*SyncReport, error) {
	p, err := s.store.PartnerIdentityProvider(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	ok, err := s.store.ClaimIdentityProviderSync(ctx, p.ID, SyncNowEvery)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrSyncTooSoon
	}
	ctx, cancel := context.WithTimeout(ctx, SyncNowBudget)
	defer cancel()
	return s.Sync(ctx, p.ID)
}

// SyncOutcome is what a scheduled round did with one provider: Err is a
// failure of the portal, or discovery's when the provider could not be
// asked whether it issues refresh tokens; Report the sync's, which says
// itself whether the provider answered.
type SyncOutcome struct {
	ProviderID int64
	Report     *SyncReport
	Err        error
}

// SyncDue syncs each provider that issues refresh tokens and was last
// synchronised more than every ago, claiming it first so that of several
// nodes one runs each round. Providers without refresh tokens are left
// out: nobody can be asked about.
func (s *Service) SyncDue(ctx context.Context, every time.Duration) ([]SyncOutcome, error) {
	ids, err := s.store.IdentityProviderIDs(ctx)
	if err != nil {
		return nil, err
	}
	var out []SyncOutcome
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		o := SyncOutcome{ProviderID: id}
		o.Report, o.Err = s.syncIfDue(ctx, id, every)
		if o.Report != nil || o.Err != nil {
			out = append(out, o)
		}
	}
	return out, nil
}

// syncIfDue syncs one provider when it offers refresh tokens and its
// claim succeeds; nil, nil when there was nothing to do.
func (s *Service) syncIfDue(ctx context.Context, id int64, every time.Duration) (*SyncReport, error) {
	p, err := s.store.IdentityProviderByID(ctx, id)
	if err != nil {
		return nil, err
	}
	offline, err := s.Offline(ctx, p)
	if err != nil || !offline {
		return nil, err
	}
	ok, err := s.store.ClaimIdentityProviderSync(ctx, id, every)
	if err != nil || !ok {
		return nil, err
	}
	return s.Sync(ctx, id)
}

// OfflineSoon is Offline for a page: a provider whose discovery failed
// within the last seconds is not asked again while the page waits.
func (s *Service) OfflineSoon(ctx context.Context, p *store.IdentityProvider) (bool, error) {
	if err := s.recentFailure(p); err != nil {
		return false, err
	}
	return s.Offline(ctx, p)
}
