package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"
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
	MaxBodyBytes    int64      `db:"max_body_bytes"` // request bodies the gateway reads for it
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

const apiColumns = `id, slug, name, status, sunset_at, upstream_url, max_body_bytes, current_revision, created_at, updated_at`

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

// SetAPIUpstream sets (or, with nil, clears) an API's live upstream URL.
func (s *Store) SetAPIUpstream(ctx context.Context, id int64, upstream *string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE apis SET upstream_url = $2, updated_at = now() WHERE id = $1`, id, upstream)
	if err != nil {
		return fmt.Errorf("set upstream of API %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set upstream of API %d: %w", id, ErrNotFound)
	}
	return nil
}

// Body limits of an API, in bytes: the default of a new API and the range
// staff may set (the column's CHECK says the same).
const (
	DefaultMaxBody = 1 << 20
	MinMaxBody     = 1 << 10
	MaxMaxBody     = 64 << 20
)

// SetAPIBodyLimit sets the largest request body the gateway reads for an API.
func (s *Store) SetAPIBodyLimit(ctx context.Context, id, maxBytes int64) error {
	res, err := s.q.ExecContext(ctx, `UPDATE apis SET max_body_bytes = $2, updated_at = now() WHERE id = $1`, id, maxBytes)
	if err != nil {
		return fmt.Errorf("set body limit of API %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set body limit of API %d: %w", id, ErrNotFound)
	}
	return nil
}

// Revision is one imported document of an API.
type Revision struct {
	APIID        int64          `db:"api_id"`
	Revision     int            `db:"revision"`
	Version      string         `db:"version"`
	Spec         []byte         `db:"spec"`
	Operations   []byte         `db:"operations"`
	Scopes       pq.StringArray `db:"scopes"`
	Added        pq.StringArray `db:"added"`
	Removed      pq.StringArray `db:"removed"`
	ImportedBy   *int64         `db:"imported_by"`
	ImporterName *string        `db:"importer_name"`
	ImportedAt   time.Time      `db:"imported_at"`
}

const revisionColumns = `r.api_id, r.revision, r.version, r.spec, r.operations, r.scopes, r.added, r.removed,
	r.imported_by, u.name AS importer_name, r.imported_at`

// CurrentRevision returns the API's current document.
func (s *Store) CurrentRevision(ctx context.Context, apiID int64) (*Revision, error) {
	var r Revision
	err := s.q.GetContext(ctx, &r, `SELECT `+revisionColumns+`
		FROM apis a JOIN api_revisions r ON r.api_id = a.id AND r.revision = a.current_revision
		LEFT JOIN users u ON u.id = r.imported_by WHERE a.id = $1`, apiID)
	if err != nil {
		return nil, fmt.Errorf("current revision of API %d: %w", apiID, notFound(err))
	}
	return &r, nil
}

// Revisions lists an API's revisions, newest first, without their documents.
func (s *Store) Revisions(ctx context.Context, apiID int64) ([]Revision, error) {
	var rs []Revision
	err := s.q.SelectContext(ctx, &rs, `SELECT r.api_id, r.revision, r.version, ''::bytea AS spec, '[]'::bytea AS operations,
		r.scopes, r.added, r.removed, r.imported_by, u.name AS importer_name, r.imported_at
		FROM api_revisions r LEFT JOIN users u ON u.id = r.imported_by
		WHERE r.api_id = $1 ORDER BY r.revision DESC`, apiID)
	if err != nil {
		return nil, fmt.Errorf("revisions of API %d: %w", apiID, err)
	}
	return rs, nil
}

// AddRevision stores a new current revision of an API, locking the API row
// so two imports get consecutive numbers.
func (s *Store) AddRevision(ctx context.Context, apiID int64, rev NewRevision) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT current_revision + 1 FROM apis WHERE id = $1 FOR UPDATE`, apiID)
	if err != nil {
		return 0, fmt.Errorf("add revision to API %d: %w", apiID, notFound(err))
	}
	if err := s.insertRevision(ctx, apiID, n, rev); err != nil {
		return 0, err
	}
	if _, err := s.q.ExecContext(ctx, `UPDATE apis SET current_revision = $2, updated_at = now() WHERE id = $1`, apiID, n); err != nil {
		return 0, fmt.Errorf("add revision to API %d: %w", apiID, err)
	}
	return n, nil
}

// ListAPIs returns every API, by name.
func (s *Store) ListAPIs(ctx context.Context) ([]API, error) {
	var as []API
	if err := s.q.SelectContext(ctx, &as, `SELECT `+apiColumns+` FROM apis ORDER BY lower(name), id`); err != nil {
		return nil, fmt.Errorf("list APIs: %w", err)
	}
	return as, nil
}

// GroupsIncludingAPI names the access groups that include an API, so a
// deletion can be refused with the list.
func (s *Store) GroupsIncludingAPI(ctx context.Context, apiID int64) ([]string, error) {
	var names []string
	err := s.q.SelectContext(ctx, &names, `
		SELECT g.name FROM access_group_apis aga JOIN access_groups g ON g.id = aga.access_group_id
		WHERE aga.api_id = $1 ORDER BY lower(g.name)`, apiID)
	if err != nil {
		return nil, fmt.Errorf("groups including API %d: %w", apiID, err)
	}
	return names, nil
}

// DeleteAPI removes an API and its revisions. Callers check
// GroupsIncludingAPI first; the foreign key refuses otherwise.
func (s *Store) DeleteAPI(ctx context.Context, apiID int64) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM apis WHERE id = $1`, apiID)
	if err != nil {
		return fmt.Errorf("delete API %d: %w", apiID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete API %d: %w", apiID, ErrNotFound)
	}
	return nil
}

// APIByID returns the API with the id.
func (s *Store) APIByID(ctx context.Context, id int64) (*API, error) {
	var a API
	if err := s.q.GetContext(ctx, &a, `SELECT `+apiColumns+` FROM apis WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("API %d: %w", id, notFound(err))
	}
	return &a, nil
}

// APIListing is an API with what a catalog list shows of its current
// revision, without the document itself.
type APIListing struct {
	API
	SortName       string `db:"sort_name"` // lower(name), set by APIListingsPage
	Version        string `db:"version"`
	OperationCount int    `db:"operation_count"`
}

// ListAPIListings returns every API with its current version and number of
// operations, by name, in one query.
func (s *Store) ListAPIListings(ctx context.Context) ([]APIListing, error) {
	var ls []APIListing
	err := s.q.SelectContext(ctx, &ls, `
		SELECT a.id, a.slug, a.name, a.status, a.sunset_at, a.upstream_url, a.max_body_bytes, a.current_revision, a.created_at, a.updated_at,
		       r.version, jsonb_array_length(r.operations) AS operation_count
		FROM apis a JOIN api_revisions r ON r.api_id = a.id AND r.revision = a.current_revision
		ORDER BY lower(a.name), a.id`)
	if err != nil {
		return nil, fmt.Errorf("list APIs: %w", err)
	}
	return ls, nil
}
