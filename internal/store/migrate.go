package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/portico/portico/migrations"
)

// Migration is one applied migration, for `portico migrate` to print.
type Migration struct {
	Version  int64
	Name     string
	Duration string
}

func provider(db *sqlx.DB) (*goose.Provider, error) {
	// A session-level advisory lock lets several nodes start at once: one
	// migrates, the others wait and then find nothing pending.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration, each in its own transaction
// unless it says -- +goose NO TRANSACTION (an index built CONCURRENTLY),
// and returns what ran (nothing when the schema is current).
func Migrate(ctx context.Context, db *sqlx.DB) ([]Migration, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	var ran []Migration
	for _, r := range results {
		if r.Error != nil {
			continue
		}
		ran = append(ran, Migration{Version: r.Source.Version, Name: baseName(r.Source.Path), Duration: r.Duration.Round(1000).String()})
	}
	if err != nil {
		return ran, fmt.Errorf("migrate: %w", err)
	}
	return ran, nil
}

// SchemaVersion returns the database's schema version (0 on an empty
// database) and the newest version this binary knows.
func SchemaVersion(ctx context.Context, db *sqlx.DB) (current, known int64, err error) {
	p, err := provider(db)
	if err != nil {
		return 0, 0, err
	}
	for _, src := range p.ListSources() {
		known = max(known, src.Version)
	}
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT to_regclass('goose_db_version') IS NOT NULL`); err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, known, nil
	}
	err = db.GetContext(ctx, &current, `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	return current, known, nil
}

// CheckSchema returns an error when the schema is behind this binary: the
// server refuses to serve on it.
func CheckSchema(ctx context.Context, db *sqlx.DB) error {
	current, known, err := SchemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if current < known {
		return fmt.Errorf("database schema is at version %d, this binary needs %d: run `portico migrate`", current, known)
	}
	return nil
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
