package store

import (
	"context"
	"fmt"
)

// ProviderPeopleCount counts the active people who sign in through the
// provider (their identity is linked to it): who removing it concerns.
func (s *Store) ProviderPeopleCount(ctx context.Context, providerID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(*) FROM user_identities i JOIN users u ON u.id = i.user_id
		WHERE i.provider_id = $1 AND u.status = 'active'`, providerID)
	if err != nil {
		return 0, fmt.Errorf("people of provider %d: %w", providerID, err)
	}
	return n, nil
}

// LockPartnerIdentityProvider returns the partner's provider, locking its
// row until the transaction ends (so two additions cannot both pass a
// bound on its mappings); ErrNotFound when it has none.
func (s *Store) LockPartnerIdentityProvider(ctx context.Context, partnerID int64) (*IdentityProvider, error) {
	var id int64
	if err := s.q.GetContext(ctx, &id, `SELECT id FROM identity_providers WHERE partner_id = $1 FOR UPDATE`, partnerID); err != nil {
		return nil, fmt.Errorf("lock identity provider of partner %d: %w", partnerID, notFound(err))
	}
	return s.IdentityProviderByID(ctx, id)
}

// LockStaffIdentityProvider is LockPartnerIdentityProvider for the
// staff's provider.
func (s *Store) LockStaffIdentityProvider(ctx context.Context) (*IdentityProvider, error) {
	var id int64
	if err := s.q.GetContext(ctx, &id, `SELECT id FROM identity_providers WHERE partner_id IS NULL FOR UPDATE`); err != nil {
		return nil, fmt.Errorf("lock identity provider of staff: %w", notFound(err))
	}
	return s.IdentityProviderByID(ctx, id)
}

// GroupMappingCount counts the provider's group mappings.
func (s *Store) GroupMappingCount(ctx context.Context, providerID int64) (int, error) {
	var n int
	if err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM sso_group_mappings WHERE provider_id = $1`, providerID); err != nil {
		return 0, fmt.Errorf("group mappings of provider %d: %w", providerID, err)
	}
	return n, nil
}
