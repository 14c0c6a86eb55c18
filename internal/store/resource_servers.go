package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTooManyResourceServers is an insert past MaxResourceServers open
// credentials.
var ErrTooManyResourceServers = errors.New("too many open resource server credentials")

// ResourceServer is a credential a platform admin issued to a service
// that introspects and revokes access tokens; never its secret.
type ResourceServer struct {
	ID         int64      `db:"id"`
	Name       string     `db:"name"`
	ClientID   string     `db:"client_id"`
	Hash       []byte     `db:"hash"`
	Hint       string     `db:"hint"`
	CreatedAt  time.Time  `db:"created_at"`
	CreatedBy  *int64     `db:"created_by"`
	RevokedAt  *time.Time `db:"revoked_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	// CreatorName is filled by ResourceServers.
	CreatorName string `db:"creator_name"`
}

const resourceServerColumns = `r.id, r.name, r.client_id, r.hash, r.hint, r.created_at, r.created_by, r.revoked_at, r.last_used_at`

// MaxResourceServers bounds the open resource server credentials, so the
// platform admin's list stays one short page.
const MaxResourceServers = 50

// InsertResourceServer stores a new resource server credential and
// returns its id; ErrTooManyResourceServers when MaxResourceServers are open already.
// Run it in a transaction: the count and the insert are one decision,
// serialised on the portal settings row.
func (s *Store) InsertResourceServer(ctx context.Context, name, clientID string, hash []byte, hint string, by int64) (int64, error) {
	var open int
	err := s.q.GetContext(ctx, &open, `
		WITH lock AS (SELECT 1 FROM portal_settings WHERE id = 1 FOR UPDATE)
		SELECT count(*) FROM resource_servers, lock WHERE revoked_at IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("count resource servers: %w", err)
	}
	if open >= MaxResourceServers {
		return 0, fmt.Errorf("insert resource server %q: %w", name, ErrTooManyResourceServers)
	}
	var id int64
	err = s.q.GetContext(ctx, &id, `
		INSERT INTO resource_servers (name, client_id, hash, hint, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		name, clientID, hash, hint, by)
	if err != nil {
		return 0, fmt.Errorf("insert resource server %q: %w", name, err)
	}
	return id, nil
}

// ResourceServers lists the open resource server credentials, newest
// first: at most MaxResourceServers, so one page.
func (s *Store) ResourceServers(ctx context.Context) ([]ResourceServer, error) {
	var rs []ResourceServer
	err := s.q.SelectContext(ctx, &rs, `
		SELECT `+resourceServerColumns+`, COALESCE(u.name, '') AS creator_name
		FROM resource_servers r LEFT JOIN users u ON u.id = r.created_by
		WHERE r.revoked_at IS NULL
		ORDER BY r.created_at DESC, r.id DESC LIMIT $1`, MaxResourceServers)
	if err != nil {
		return nil, fmt.Errorf("resource servers: %w", err)
	}
	return rs, nil
}

// RevokedResourceServersList pages the revoked resource server credentials.
var RevokedResourceServersList = PageList{name: "rs", timed: true}

// RevokedResourceServers lists a page of the revoked credentials, most
// recently revoked first, after the key of the previous page's last row
// (nil: the first page); more says whether rows follow. Unlike the open
// ones they are not bounded: every rotation of a service leaves one.
func (s *Store) RevokedResourceServers(ctx context.Context, after *Key, limit int) (rs []ResourceServer, more bool, err error) {
	limit = pageLimit(limit)
	var at *time.Time
	var afterID int64
	if after != nil {
		t, err := time.Parse(time.RFC3339Nano, after.Sort)
		if err != nil {
			return nil, false, fmt.Errorf("revoked resource servers: cursor time %q: %w", after.Sort, err)
		}
		at, afterID = &t, after.ID
	}
	err = s.q.SelectContext(ctx, &rs, `
		SELECT `+resourceServerColumns+`, COALESCE(u.name, '') AS creator_name
		FROM resource_servers r LEFT JOIN users u ON u.id = r.created_by
		WHERE r.revoked_at IS NOT NULL
		  AND ($2::timestamptz IS NULL OR (r.revoked_at, r.id) < ($2::timestamptz, $3::bigint))
		ORDER BY r.revoked_at DESC, r.id DESC LIMIT $1`, limit+1, at, afterID)
	if err != nil {
		return nil, false, fmt.Errorf("revoked resource servers: %w", err)
	}
	rs, more = cut(rs, limit)
	return rs, more, nil
}

// RevokedResourceServerCursor is the cursor of the page after r.
func RevokedResourceServerCursor(r ResourceServer) string {
	return RevokedResourceServersList.Cursor(TimeKey(*r.RevokedAt, r.ID))
}

// ResourceServerByID returns one resource server credential.
func (s *Store) ResourceServerByID(ctx context.Context, id int64) (*ResourceServer, error) {
	var r ResourceServer
	err := s.q.GetContext(ctx, &r, `SELECT `+resourceServerColumns+`, '' AS creator_name FROM resource_servers r WHERE r.id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("resource server %d: %w", id, notFound(err))
	}
	return &r, nil
}

// ResourceServerByClientID returns the resource server with this public id.
func (s *Store) ResourceServerByClientID(ctx context.Context, clientID string) (*ResourceServer, error) {
	var r ResourceServer
	err := s.q.GetContext(ctx, &r, `SELECT `+resourceServerColumns+`, '' AS creator_name FROM resource_servers r WHERE r.client_id = $1`, clientID)
	if err != nil {
		return nil, fmt.Errorf("resource server %s: %w", clientID, notFound(err))
	}
	return &r, nil
}

// ResourceServerByHash returns the resource server whose secret has this
// hash (a secret sent as a bearer credential).
func (s *Store) ResourceServerByHash(ctx context.Context, hash []byte) (*ResourceServer, error) {
	var r ResourceServer
	err := s.q.GetContext(ctx, &r, `SELECT `+resourceServerColumns+`, '' AS creator_name FROM resource_servers r WHERE r.hash = $1`, hash)
	if err != nil {
		return nil, fmt.Errorf("resource server by hash: %w", notFound(err))
	}
	return &r, nil
}

// RevokeResourceServer revokes an open resource server credential; by is
// the platform admin, nil for a revocation nobody signed in made (a
// leaked-secret report). ErrNotFound when there is none.
func (s *Store) RevokeResourceServer(ctx context.Context, id int64, by *int64) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE resource_servers SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL`, id, by)
	if err != nil {
		return fmt.Errorf("revoke resource server %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke resource server %d: %w", id, ErrNotFound)
	}
	return nil
}

// RecordResourceServerUse stamps a resource server's last use; callers
// call it at most once a minute per server, not per request.
func (s *Store) RecordResourceServerUse(ctx context.Context, id int64, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		UPDATE resource_servers SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, id, at)
	if err != nil {
		return fmt.Errorf("record use of resource server %d: %w", id, err)
	}
	return nil
}
