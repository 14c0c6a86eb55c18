package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ErrMappingExists says the group is already mapped to that team or role.
var ErrMappingExists = errors.New("this group is already mapped to it")

// GroupMapping maps a group of the identity provider's groups claim to a
// team of the partner (TeamID) or to the partner-admin role (Role).
type GroupMapping struct {
	ID         int64     `db:"id"`
	ProviderID int64     `db:"provider_id"`
	Group      string    `db:"idp_group"`
	TeamID     *int64    `db:"team_id"`
	TeamName   *string   `db:"team_name"`
	Role       *string   `db:"role"`
	CreatedAt  time.Time `db:"created_at"`
}

const groupMappingSelect = `
	SELECT m.id, m.provider_id, m.idp_group, m.team_id, t.name AS team_name, m.role, m.created_at
	FROM sso_group_mappings m LEFT JOIN teams t ON t.id = m.team_id`

// GroupMappings lists a provider's mappings by group, then team name.
func (s *Store) GroupMappings(ctx context.Context, providerID int64) ([]GroupMapping, error) {
	var ms []GroupMapping
	err := s.q.SelectContext(ctx, &ms, groupMappingSelect+`
		WHERE m.provider_id = $1 ORDER BY lower(m.idp_group), m.role NULLS LAST, lower(t.name), m.id`, providerID)
	if err != nil {
		return nil, fmt.Errorf("group mappings of provider %d: %w", providerID, err)
	}
	return ms, nil
}

// AddGroupMapping maps group to a team (teamID) or to role; the team must
// be checked to belong to the provider's partner by the caller.
// ErrMappingExists when the same mapping exists.
func (s *Store) AddGroupMapping(ctx context.Context, providerID int64, group string, teamID *int64, role *string) (*GroupMapping, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		INSERT INTO sso_group_mappings (provider_id, idp_group, team_id, role) VALUES ($1, $2, $3, $4)
		RETURNING id`, providerID, group, teamID, role)
	if err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" {
			return nil, ErrMappingExists
		}
		return nil, fmt.Errorf("add group mapping %q: %w", group, err)
	}
	return s.GroupMapping(ctx, providerID, id)
}

// GroupMapping returns one mapping of the provider; a mapping of another
// provider is ErrNotFound.
func (s *Store) GroupMapping(ctx context.Context, providerID, id int64) (*GroupMapping, error) {
	var m GroupMapping
	if err := s.q.GetContext(ctx, &m, groupMappingSelect+` WHERE m.provider_id = $1 AND m.id = $2`, providerID, id); err != nil {
		return nil, fmt.Errorf("group mapping %d: %w", id, notFound(err))
	}
	return &m, nil
}

// DeleteGroupMapping removes one mapping of the provider and returns it.
func (s *Store) DeleteGroupMapping(ctx context.Context, providerID, id int64) (*GroupMapping, error) {
	m, err := s.GroupMapping(ctx, providerID, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM sso_group_mappings WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("delete group mapping %d: %w", id, err)
	}
	return m, nil
}

// UserIdentity links a user to the subject an identity provider vouches
// for.
type UserIdentity struct {
	ProviderID int64  `db:"provider_id"`
	Subject    string `db:"subject"`
	UserID     int64  `db:"user_id"`
	// RefreshTokenEnc is the provider's refresh token, sealed; nil when the
	// provider gave none (the person cannot then be checked by a sync).
	RefreshTokenEnc []byte         `db:"refresh_token_enc"`
	Groups          pq.StringArray `db:"groups"`
	LastVerifiedAt  time.Time      `db:"last_verified_at"`
	CreatedAt       time.Time      `db:"created_at"`
}

const identityColumns = `provider_id, subject, user_id, refresh_token_enc, groups, last_verified_at, created_at`

// ErrIdentityTaken says the subject, or the user, was linked by a
// concurrent sign-in meanwhile.
var ErrIdentityTaken = errors.New("identity linked meanwhile")

// IdentityBySubject returns the identity of subject at the provider.
func (s *Store) IdentityBySubject(ctx context.Context, providerID int64, subject string) (*UserIdentity, error) {
	var i UserIdentity
	err := s.q.GetContext(ctx, &i, `SELECT `+identityColumns+` FROM user_identities WHERE provider_id = $1 AND subject = $2`, providerID, subject)
	if err != nil {
		return nil, fmt.Errorf("identity at provider %d: %w", providerID, notFound(err))
	}
	return &i, nil
}

// IdentityOfUser returns the user's identity, ErrNotFound when the user
// signs in with a password only.
func (s *Store) IdentityOfUser(ctx context.Context, userID int64) (*UserIdentity, error) {
	var i UserIdentity
	err := s.q.GetContext(ctx, &i, `SELECT `+identityColumns+` FROM user_identities WHERE user_id = $1`, userID)
	if err != nil {
		return nil, fmt.Errorf("identity of user %d: %w", userID, notFound(err))
	}
	return &i, nil
}

// SaveIdentity links (or re-links) the identity and records what the
// provider said now. A nil RefreshTokenEnc keeps the stored one.
func (s *Store) SaveIdentity(ctx context.Context, i UserIdentity) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO user_identities (provider_id, subject, user_id, refresh_token_enc, groups)
		VALUES ($1, $2, $3, $4, coalesce($5, '{}'::text[]))
		ON CONFLICT (provider_id, subject) DO UPDATE SET user_id = EXCLUDED.user_id,
		       refresh_token_enc = coalesce(EXCLUDED.refresh_token_enc, user_identities.refresh_token_enc),
		       groups = EXCLUDED.groups, last_verified_at = now()`,
		i.ProviderID, i.Subject, i.UserID, i.RefreshTokenEnc, pq.StringArray(i.Groups))
	if err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" {
			return ErrIdentityTaken
		}
		return fmt.Errorf("save identity of user %d: %w", i.UserID, err)
	}
	return nil
}

// DeleteIdentity unlinks a subject from its user.
func (s *Store) DeleteIdentity(ctx context.Context, providerID int64, subject string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM user_identities WHERE provider_id = $1 AND subject = $2`, providerID, subject); err != nil {
		return fmt.Errorf("delete identity at provider %d: %w", providerID, err)
	}
	return nil
}

// ProviderIdentity is an identity of an active user, as a sync reads it.
type ProviderIdentity struct {
	UserIdentity
	Email string `db:"email"`
	Name  string `db:"name"`
	Role  string `db:"role"`
}

// ProviderIdentities lists the identities of the provider's active users,
// by user id.
func (s *Store) ProviderIdentities(ctx context.Context, providerID int64) ([]ProviderIdentity, error) {
	var is []ProviderIdentity
	err := s.q.SelectContext(ctx, &is, `
		SELECT i.provider_id, i.subject, i.user_id, i.refresh_token_enc, i.groups, i.last_verified_at, i.created_at,
		       u.email, u.name, u.role
		FROM user_identities i JOIN users u ON u.id = i.user_id
		WHERE i.provider_id = $1 AND u.status = 'active'
		ORDER BY i.user_id`, providerID)
	if err != nil {
		return nil, fmt.Errorf("identities of provider %d: %w", providerID, err)
	}
	return is, nil
}
