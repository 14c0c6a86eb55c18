package store

import (
	"context"
	"fmt"
)

// LockIdentity returns the identity of subject at the provider, locking
// its row until the transaction ends: a sync holds it while it asks the
// provider with its refresh token, so two syncs (or a sync and a sign-in)
// never use one rotating refresh token twice.
func (s *Store) LockIdentity(ctx context.Context, providerID int64, subject string) (*UserIdentity, error) {
	var i UserIdentity
	err := s.q.GetContext(ctx, &i, `SELECT `+identityColumns+` FROM user_identities
		WHERE provider_id = $1 AND subject = $2 FOR UPDATE`, providerID, subject)
	if err != nil {
		return nil, fmt.Errorf("lock identity at provider %d: %w", providerID, notFound(err))
	}
	return &i, nil
}

// OpenClientsOfUser counts the user's OAuth clients not revoked.
func (s *Store) OpenClientsOfUser(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(*) FROM tokens WHERE user_id = $1 AND client_id IS NOT NULL AND revoked_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("open clients of user %d: %w", userID, err)
	}
	return n, nil
}

// MarkIdentityProviderSynced records that the provider was synchronised
// now (by a scheduled check or by "sync now").
func (s *Store) MarkIdentityProviderSynced(ctx context.Context, id int64) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE identity_providers SET last_sync_at = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("mark identity provider %d synced: %w", id, err)
	}
	return nil
}
