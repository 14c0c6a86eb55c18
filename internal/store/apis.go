package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// API statuses.
const (
	APIActive     = "active"
	APIDeprecated = "deprecated"
	APIRetired    = "retired"
)

// API is a catalog entry.
type API struct {
	ID              int64      `db:"id"`
	Slug            string     `db:"slug"`
	Name            string     `db:"name"`
	Status          string     `db:"status"`
	SunsetAt        *time.Time `db:"sunset_at"`
	UpstreamURL     *string    `db:"upstream_url"`
	CurrentRevision int        `db:"current_revision"`
	CreatedAt       time.Time  `db:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at"`
}

// NewRevision is an imported document of an API.
type NewRevision struct {
	Version    string
	Spec       []byte
	Operations any // marshalled to JSON
	Scopes     []string
	Added      []string
	Removed    []string
	ImportedBy *int64
}

const apiColumns = `id, slug, name, status, sunset_at, upstream_url, current_revision, created_at, updated_at`

// CreateAPI inserts an API with its first revision.
func (s *Store) CreateAPI(ctx context.Context, slug, name string, rev NewRevision) (*API, error) {
	var a API
	err := s.q.GetContext(ctx, &a, `INSERT INTO apis (slug, name) VALUES ($1, $2) RETURNING `+apiColumns, slug, name)
	if err != nil {
		return nil, fmt.Errorf("create API %q: %w", slug, uniqueAs(err, ErrSlugTaken))
	}
	if err := s.insertRevision(ctx, a.ID, 1, rev); err != nil {
		return nil, err
	}
	return &a, nil
}

func (s *Store) insertRevision(ctx context.Context, apiID int64, n int, rev NewRevision) error {
	ops, err := json.Marshal(rev.Operations)
	if err != nil {
		return fmt.Errorf("encode operations: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `
		INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes, added, removed, imported_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		apiID, n, rev.Version, rev.Spec, ops, stringArray(rev.Scopes), stringArray(rev.Added), stringArray(rev.Removed), rev.ImportedBy)
	if err != nil {
		return fmt.Errorf("store revision %d of API %d: %w", n, apiID, err)
	}
	return nil
}

// APIBySlug returns the API with the slug.
func (s *Store) APIBySlug(ctx context.Context, slug string) (*API, error) {
	var a API
	if err := s.q.GetContext(ctx, &a, `SELECT `+apiColumns+` FROM apis WHERE slug = $1`, slug); err != nil {
		return nil, fmt.Errorf("API %q: %w", slug, notFound(err))
	}
	return &a, nil
}

// SetAPIStatus changes an API's lifecycle status; sunset is required for
// deprecated APIs.
func (s *Store) SetAPIStatus(ctx context.Context, id int64, status string, sunset *time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE apis SET status = $2, sunset_at = $3, updated_at = now() WHERE id = $1`, id, status, sunset)
	if err != nil {
		return fmt.Errorf("set status of API %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set status of API %d: %w", id, ErrNotFound)
	}
	return nil
}
