package store

import (
	"context"
	"fmt"
	"time"
)

// Partner statuses.
const (
	PartnerActive    = "active"
	PartnerSuspended = "suspended"
)

// Partner is an organisation the provider opens APIs to.
type Partner struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	Slug      string    `db:"slug"`
	Status    string    `db:"status"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// CreatePartner inserts a partner.
func (s *Store) CreatePartner(ctx context.Context, name, slug string) (*Partner, error) {
	var p Partner
	err := s.q.GetContext(ctx, &p, `
		INSERT INTO partners (name, slug) VALUES ($1, $2)
		RETURNING id, name, slug, status, created_at, updated_at`, name, slug)
	if err != nil {
		return nil, fmt.Errorf("create partner %q: %w", slug, err)
	}
	return &p, nil
}

// PartnerBySlug returns the partner with the given slug.
func (s *Store) PartnerBySlug(ctx context.Context, slug string) (*Partner, error) {
	var p Partner
	err := s.q.GetContext(ctx, &p, `
		SELECT id, name, slug, status, created_at, updated_at FROM partners WHERE slug = $1`, slug)
	if err != nil {
		return nil, fmt.Errorf("partner %q: %w", slug, notFound(err))
	}
	return &p, nil
}

// PartnerByID returns the partner with the given id.
func (s *Store) PartnerByID(ctx context.Context, id int64) (*Partner, error) {
	var p Partner
	err := s.q.GetContext(ctx, &p, `
		SELECT id, name, slug, status, created_at, updated_at FROM partners WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("partner %d: %w", id, notFound(err))
	}
	return &p, nil
}

// LockPartner is PartnerByID that also locks the partner's row until the
// transaction ends, so a change can compare against what it replaces.
func (s *Store) LockPartner(ctx context.Context, id int64) (*Partner, error) {
	var p Partner
	err := s.q.GetContext(ctx, &p, `
		SELECT id, name, slug, status, created_at, updated_at FROM partners WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return nil, fmt.Errorf("lock partner %d: %w", id, notFound(err))
	}
	return &p, nil
}

// SetPartnerStatus changes a partner's status.
func (s *Store) SetPartnerStatus(ctx context.Context, id int64, status string) (*Partner, error) {
	var p Partner
	err := s.q.GetContext(ctx, &p, `
		UPDATE partners SET status = $2, updated_at = now() WHERE id = $1
		RETURNING id, name, slug, status, created_at, updated_at`, id, status)
	if err != nil {
		return nil, fmt.Errorf("set status of partner %d: %w", id, notFound(err))
	}
	return &p, nil
}

// DeletePartnerSessions ends every session of a partner's users and says
// how many.
func (s *Store) DeletePartnerSessions(ctx context.Context, partnerID int64) (int64, error) {
	res, err := s.q.ExecContext(ctx, `
		DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE partner_id = $1)`, partnerID)
	if err != nil {
		return 0, fmt.Errorf("end sessions of partner %d: %w", partnerID, err)
	}
	return res.RowsAffected()
}
