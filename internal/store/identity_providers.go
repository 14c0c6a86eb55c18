package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// DomainTakenError says an email domain already belongs to another
// identity provider: a domain picks at most one provider, so no partner's
// provider can vouch for another partner's addresses.
type DomainTakenError struct{ Domain string }

func (e *DomainTakenError) Error() string {
	return fmt.Sprintf("the domain %s already belongs to another identity provider", e.Domain)
}

// IdentityProvider is an OpenID Connect provider that signs in one
// partner's people, or (PartnerID nil) the provider's staff.
type IdentityProvider struct {
	ID          int64  `db:"id"`
	PartnerID   *int64 `db:"partner_id"`
	DisplayName string `db:"display_name"`
	Issuer      string `db:"issuer"`
	ClientID    string `db:"client_id"`
	// ClientSecretEnc is the client secret sealed by the sso package's
	// box; it is never shown again.
	ClientSecretEnc []byte `db:"client_secret_enc"`
	// GroupsClaim names the ID token claim listing the person's groups
	// ("" when the provider sends none).
	GroupsClaim  string     `db:"groups_claim"`
	Enforced     bool       `db:"enforced"`
	RequireGroup bool       `db:"require_group"`
	LastSyncAt   *time.Time `db:"last_sync_at"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
	// Domains are the email domains the provider may vouch for, sorted.
	Domains pq.StringArray `db:"domains"`
	// PartnerName is the partner's name ("" for the staff provider).
	PartnerName string `db:"partner_name"`
}

// IsStaff reports whether the provider signs in the provider's staff.
func (p *IdentityProvider) IsStaff() bool { return p.PartnerID == nil }

const identityProviderSelect = `
	SELECT ip.id, ip.partner_id, ip.display_name, ip.issuer, ip.client_id, ip.client_secret_enc,
	       ip.groups_claim, ip.enforced, ip.require_group, ip.last_sync_at, ip.created_at, ip.updated_at,
	       coalesce((SELECT array_agg(d.domain ORDER BY d.domain) FROM sso_domains d WHERE d.provider_id = ip.id), '{}') AS domains,
	       coalesce(p.name, '') AS partner_name
	FROM identity_providers ip LEFT JOIN partners p ON p.id = ip.partner_id`

func (s *Store) identityProvider(ctx context.Context, what, where string, args ...any) (*IdentityProvider, error) {
	var p IdentityProvider
	if err := s.q.GetContext(ctx, &p, identityProviderSelect+` WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("identity provider %s: %w", what, notFound(err))
	}
	return &p, nil
}

// IdentityProviderByID returns a provider by id.
func (s *Store) IdentityProviderByID(ctx context.Context, id int64) (*IdentityProvider, error) {
	return s.identityProvider(ctx, fmt.Sprint(id), `ip.id = $1`, id)
}

// PartnerIdentityProvider returns the partner's provider, ErrNotFound when
// it has none.
func (s *Store) PartnerIdentityProvider(ctx context.Context, partnerID int64) (*IdentityProvider, error) {
	return s.identityProvider(ctx, "of partner "+fmt.Sprint(partnerID), `ip.partner_id = $1`, partnerID)
}

// StaffIdentityProvider returns the staff's provider, ErrNotFound when
// none is configured.
func (s *Store) StaffIdentityProvider(ctx context.Context) (*IdentityProvider, error) {
	return s.identityProvider(ctx, "of staff", `ip.partner_id IS NULL`)
}

// IdentityProviderForDomain returns the provider an email domain belongs
// to, ErrNotFound when none.
func (s *Store) IdentityProviderForDomain(ctx context.Context, domain string) (*IdentityProvider, error) {
	return s.identityProvider(ctx, "for domain "+domain,
		`ip.id = (SELECT provider_id FROM sso_domains WHERE domain = $1)`, NormalizeEmail(domain))
}

// IdentityProviderInput is what SaveIdentityProvider writes.
type IdentityProviderInput struct {
	PartnerID   *int64
	DisplayName string
	Issuer      string
	ClientID    string
	// ClientSecretEnc nil keeps the stored secret (on an update).
	ClientSecretEnc []byte
	GroupsClaim     string
	Enforced        bool
	RequireGroup    bool
	Domains         []string
}

// SaveIdentityProvider creates the partner's (or the staff's) provider or
// updates it, replacing its domains; *DomainTakenError when a domain
// belongs to another provider. Call it in a transaction.
func (s *Store) SaveIdentityProvider(ctx context.Context, in IdentityProviderInput) (*IdentityProvider, error) {
	var id int64
	where := `partner_id = $1`
	if in.PartnerID == nil {
		where = `partner_id IS NULL AND $1::bigint IS NULL`
	}
	err := s.q.GetContext(ctx, &id, `
		UPDATE identity_providers SET display_name = $2, issuer = $3, client_id = $4,
		       client_secret_enc = coalesce($5, client_secret_enc), groups_claim = $6,
		       enforced = $7, require_group = $8, updated_at = now()
		WHERE `+where+` RETURNING id`,
		in.PartnerID, in.DisplayName, in.Issuer, in.ClientID, in.ClientSecretEnc, in.GroupsClaim, in.Enforced, in.RequireGroup)
	if errors.Is(err, sql.ErrNoRows) {
		if in.ClientSecretEnc == nil {
			return nil, fmt.Errorf("create identity provider: a client secret is needed")
		}
		err = s.q.GetContext(ctx, &id, `
			INSERT INTO identity_providers (partner_id, display_name, issuer, client_id, client_secret_enc, groups_claim, enforced, require_group)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			in.PartnerID, in.DisplayName, in.Issuer, in.ClientID, in.ClientSecretEnc, in.GroupsClaim, in.Enforced, in.RequireGroup)
	}
	if err != nil {
		return nil, fmt.Errorf("save identity provider: %w", err)
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM sso_domains WHERE provider_id = $1 AND domain <> ALL($2)`, id, pq.StringArray(in.Domains)); err != nil {
		return nil, fmt.Errorf("save identity provider %d domains: %w", id, err)
	}
	for _, d := range in.Domains {
		var owner int64
		err := s.q.GetContext(ctx, &owner, `
			INSERT INTO sso_domains (domain, provider_id) VALUES ($1, $2)
			ON CONFLICT (domain) DO UPDATE SET provider_id = sso_domains.provider_id
			RETURNING provider_id`, d, id)
		if err != nil {
			return nil, fmt.Errorf("save identity provider %d domain %q: %w", id, d, err)
		}
		if owner != id {
			return nil, &DomainTakenError{Domain: d}
		}
	}
	return s.IdentityProviderByID(ctx, id)
}

// DeleteIdentityProvider removes a provider with its domains, mappings
// and the identities linked through it.
func (s *Store) DeleteIdentityProvider(ctx context.Context, id int64) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM identity_providers WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete identity provider %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete identity provider %d: %w", id, ErrNotFound)
	}
	return nil
}

// PartnerSSOEnforced reports whether the partner requires signing in
// through its identity provider.
func (s *Store) PartnerSSOEnforced(ctx context.Context, partnerID int64) (bool, error) {
	var on bool
	err := s.q.GetContext(ctx, &on, `SELECT EXISTS (SELECT 1 FROM identity_providers WHERE partner_id = $1 AND enforced)`, partnerID)
	if err != nil {
		return false, fmt.Errorf("partner %d sso enforced: %w", partnerID, err)
	}
	return on, nil
}

// StaffSSOEnforced reports whether the staff's provider is enforced.
func (s *Store) StaffSSOEnforced(ctx context.Context) (bool, error) {
	var on bool
	err := s.q.GetContext(ctx, &on, `SELECT EXISTS (SELECT 1 FROM identity_providers WHERE partner_id IS NULL AND enforced)`)
	if err != nil {
		return false, fmt.Errorf("staff sso enforced: %w", err)
	}
	return on, nil
}

// ClaimIdentityProviderSync marks the provider synchronised now when its
// last synchronisation is older than every (or never happened), and
// reports whether it did: of several nodes, one wins each round.
func (s *Store) ClaimIdentityProviderSync(ctx context.Context, id int64, every time.Duration) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE identity_providers SET last_sync_at = now()
		WHERE id = $1 AND (last_sync_at IS NULL OR last_sync_at <= now() - make_interval(secs => $2))`,
		id, every.Seconds())
	if err != nil {
		return false, fmt.Errorf("claim identity provider %d sync: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// IdentityProviderIDs lists every provider's id, the staff's first.
func (s *Store) IdentityProviderIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := s.q.SelectContext(ctx, &ids, `SELECT id FROM identity_providers ORDER BY partner_id NULLS FIRST, id`); err != nil {
		return nil, fmt.Errorf("identity provider ids: %w", err)
	}
	return ids, nil
}
