package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// DeleteProviderIdentities unlinks every identity of the provider and
// returns how many there were: subjects are unique per issuer only, and
// refresh tokens per client, so none of them means anything to a new
// issuer or client.
func (s *Store) DeleteProviderIdentities(ctx context.Context, providerID int64) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM user_identities WHERE provider_id = $1`, providerID)
	if err != nil {
		return 0, fmt.Errorf("unlink identities of provider %d: %w", providerID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DomainWithOthers returns the first of domains (in order) where an
// active account exists outside the partner (partnerID nil: outside the
// staff, so any partner's), "" when there is none: a provider may vouch
// only for the addresses of its own organisation.
func (s *Store) DomainWithOthers(ctx context.Context, partnerID *int64, domains []string) (string, error) {
	var d string
	// Domains hold only [a-z0-9.-], so none is a LIKE wildcard.
	err := s.q.GetContext(ctx, &d, `
		SELECT d.domain FROM unnest($2::text[]) WITH ORDINALITY AS d (domain, n)
		WHERE EXISTS (SELECT 1 FROM users u WHERE u.status = 'active' AND u.email LIKE '%@' || d.domain
		                AND u.partner_id IS DISTINCT FROM $1::bigint)
		ORDER BY d.n LIMIT 1`, partnerID, pq.StringArray(domains))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("accounts of others in domains %v: %w", domains, err)
	}
	return d, nil
}

// DeletePartnerIdentityProvider removes the partner's provider, if it has
// one, with its domains, mappings and identities (by cascade), and
// returns how many providers (0 or 1) and identities went.
func (s *Store) DeletePartnerIdentityProvider(ctx context.Context, partnerID int64) (providers, identities int, err error) {
	err = s.q.GetContext(ctx, &identities, `
		SELECT count(*) FROM user_identities i JOIN identity_providers ip ON ip.id = i.provider_id WHERE ip.partner_id = $1`, partnerID)
	if err != nil {
		return 0, 0, fmt.Errorf("identities of partner %d's provider: %w", partnerID, err)
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM identity_providers WHERE partner_id = $1`, partnerID)
	if err != nil {
		return 0, 0, fmt.Errorf("delete partner %d's identity provider: %w", partnerID, err)
	}
	n, err := res.RowsAffected()
	return int(n), identities, err
}
