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
