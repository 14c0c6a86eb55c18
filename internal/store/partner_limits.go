package store

import (
	"context"
	"fmt"
)

// TokenLifetime is the longest lifetime a partner's new tokens may have:
// the portal's, or the partner's own when that is shorter.
type TokenLifetime struct {
	Portal int `db:"portal"`
	// Partner is the partner's own setting; nil: the portal's.
	Partner *int `db:"partner"`
}

// Days is the lifetime in force: the shorter of the two.
func (l TokenLifetime) Days() int {
	if l.Partner != nil && *l.Partner < l.Portal {
		return *l.Partner
	}
	return l.Portal
}

// PartnerCapped reports whether the partner's own setting is what limits.
func (l TokenLifetime) PartnerCapped() bool { return l.Partner != nil && *l.Partner < l.Portal }

// TokenLifetimeOf reads the portal's and the partner's longest token
// lifetime in one query.
func (s *Store) TokenLifetimeOf(ctx context.Context, partnerID int64) (TokenLifetime, error) {
	var l TokenLifetime
	err := s.q.GetContext(ctx, &l, `
		SELECT ps.token_max_days AS portal, p.token_max_days AS partner
		FROM portal_settings ps, partners p WHERE ps.id = 1 AND p.id = $1`, partnerID)
	if err != nil {
		return l, fmt.Errorf("token lifetime of partner %d: %w", partnerID, notFound(err))
	}
	return l, nil
}
