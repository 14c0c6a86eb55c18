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

// PartnerSummary is a partner with the counts the partners list shows.
type PartnerSummary struct {
	Partner
	Members     int `db:"members"`
	Invitations int `db:"invitations"`
	Teams       int `db:"teams"`
}

// PartnerFilter narrows the partners list.
type PartnerFilter struct {
	// Query matches name or slug, case-insensitively.
	Query string
	// Status is "active", "suspended" or empty for both.
	Status string
	Limit  int
	Offset int
}

// ListPartners returns one page of partners with their counts, and how many
// match in all; one query, no per-row lookups.
func (s *Store) ListPartners(ctx context.Context, f PartnerFilter) ([]PartnerSummary, int, error) {
	var rows []struct {
		PartnerSummary
		Total int `db:"total"`
	}
	err := s.q.SelectContext(ctx, &rows, `
		SELECT p.id, p.name, p.slug, p.status, p.created_at, p.updated_at,
		       (SELECT count(*) FROM users u WHERE u.partner_id = p.id AND u.status = 'active') AS members,
		       (SELECT count(*) FROM invitations i WHERE i.partner_id = p.id AND i.accepted_at IS NULL
		            AND i.cancelled_at IS NULL AND i.expires_at > now()) AS invitations,
		       (SELECT count(*) FROM teams t WHERE t.partner_id = p.id) AS teams,
		       count(*) OVER () AS total
		FROM partners p
		WHERE ($1 = '' OR p.name ILIKE '%' || $1 || '%' OR p.slug ILIKE '%' || $1 || '%')
		  AND ($2 = '' OR p.status = $2)
		ORDER BY lower(p.name), p.id
		LIMIT $3 OFFSET $4`, likeEscape(f.Query), f.Status, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list partners: %w", err)
	}
	out := make([]PartnerSummary, len(rows))
	total := 0
	for i, r := range rows {
		out[i] = r.PartnerSummary
		total = r.Total
	}
	if len(rows) == 0 && f.Offset > 0 {
		// Past the end: count separately so the pager can still say how many.
		if err := s.q.GetContext(ctx, &total, `
			SELECT count(*) FROM partners p
			WHERE ($1 = '' OR p.name ILIKE '%' || $1 || '%' OR p.slug ILIKE '%' || $1 || '%') AND ($2 = '' OR p.status = $2)`,
			likeEscape(f.Query), f.Status); err != nil {
			return nil, 0, fmt.Errorf("count partners: %w", err)
		}
	}
	return out, total, nil
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

// DeletePartnerSessions ends every session of a partner's users.
func (s *Store) DeletePartnerSessions(ctx context.Context, partnerID int64) error {
	_, err := s.q.ExecContext(ctx, `
		DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE partner_id = $1)`, partnerID)
	if err != nil {
		return fmt.Errorf("end sessions of partner %d: %w", partnerID, err)
	}
	return nil
}
