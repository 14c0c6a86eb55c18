package dataset

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
)

// Result names the rows of a generated data set that pages are measured on.
type Result struct {
	// BigPartnerID is the partner with most of the data.
	BigPartnerID int64
	// BigTeamID is its largest team.
	BigTeamID int64
	// GroupID is the access group with the most grants.
	GroupID int64
	// DeveloperID is the developer who signs in (DeveloperEmail).
	DeveloperID int64
	// APISlug is the API with Spec.Revisions revisions.
	APISlug string
}

// step is one part of the data set, run in its own transaction.
type step struct {
	name string
	run  func(ctx context.Context, tx *sqlx.Tx, g *gen) (rows int64, err error)
}

// gen carries what the steps share.
type gen struct {
	spec    Spec
	partner int64  // the big partner
	hash    string // argon2id of demo.Password, for the accounts that sign in
}

// Generate fills db (migrated) with the data set of spec, printing one line
// per step (rows and seconds) to progress. It seeds the demo data first
// (idempotent) and refuses with ErrExists when the generated data is there
// already: generation is not repeatable into the same database, and
// refusing is clearer than doubling some tables and not others. Each step
// commits on its own, so a run that fails halfway leaves part of the data
// set (and a refusal next time): generate into a fresh database again.
func Generate(ctx context.Context, db *sqlx.DB, spec Spec, progress io.Writer) (*Result, error) {
	if err := spec.Check(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	st := store.New(db)
	if _, err := st.PartnerBySlug(ctx, BigPartnerSlug); err == nil {
		return nil, ErrExists
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	start := time.Now()
	if _, err := demo.Seed(ctx, st); err != nil {
		return nil, err
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "%-14s %12s rows %7.1fs\n", "demo data", "-", time.Since(start).Seconds())
	hash, err := password.Hash(demo.Password)
	if err != nil {
		return nil, err
	}
	g := &gen{spec: spec, hash: hash}
	steps := []step{
		{"partners", genPartners},
		{"users", genUsers},
		{"managers", genManagers},
		{"teams", genTeams},
		{"memberships", genMemberships},
		{"invitations", genInvitations},
		{"apis", genAPIs},
		{"access groups", genAccessGroups},
		{"grants", genGrants},
		{"tokens", genTokens},
		{"outbox", genMails},
	}
	for _, s := range steps {
		if err := g.runStep(ctx, db, progress, s); err != nil {
			return nil, err
		}
	}
	for i, b := range eventBatches(spec) {
		if err := g.runStep(ctx, db, progress, step{fmt.Sprintf("audit %d/%d", i+1, len(eventBatches(spec))), b}); err != nil {
			return nil, err
		}
	}
	if err := g.calls(ctx, db, progress); err != nil {
		return nil, err
	}
	t := time.Now()
	// Statistics as autovacuum would have them on a database this size.
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	fmt.Fprintf(progress, "%-14s %12s rows %7.1fs\n", "analyze", "-", time.Since(t).Seconds())
	fmt.Fprintf(progress, "%-14s %12s      %7.1fs\n", "total", "", time.Since(start).Seconds())
	return Lookup(ctx, db)
}

func (g *gen) runStep(ctx context.Context, db *sqlx.DB, progress io.Writer, s step) error {
	t := time.Now()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("generate %s: %w", s.name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	n, err := s.run(ctx, tx, g)
	if err != nil {
		return fmt.Errorf("generate %s: %w", s.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("generate %s: %w", s.name, err)
	}
	fmt.Fprintf(progress, "%-14s %12d rows %7.1fs\n", s.name, n, time.Since(t).Seconds())
	return nil
}

// exec runs one statement and returns the rows it wrote.
func exec(ctx context.Context, tx *sqlx.Tx, q string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Lookup finds the named rows of a data set generated earlier, for
// benchmarks run against a database filled by `portico dev generate`.
func Lookup(ctx context.Context, db *sqlx.DB) (*Result, error) {
	var r Result
	err := db.QueryRowxContext(ctx, `
		SELECT p.id,
			(SELECT id FROM teams WHERE partner_id = p.id ORDER BY id LIMIT 1),
			(SELECT g.id FROM access_groups g LEFT JOIN grants gr ON gr.access_group_id = g.id AND gr.revoked_at IS NULL
			 GROUP BY g.id ORDER BY count(gr.id) DESC, g.id LIMIT 1),
			(SELECT id FROM users WHERE email = $2 AND status = 'active'),
			(SELECT slug FROM apis ORDER BY current_revision DESC, id LIMIT 1)
		FROM partners p WHERE p.slug = $1`, BigPartnerSlug, DeveloperEmail).
		Scan(&r.BigPartnerID, &r.BigTeamID, &r.GroupID, &r.DeveloperID, &r.APISlug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no generated data set in this database (no partner %s): run `portico dev generate`", BigPartnerSlug)
	}
	if err != nil {
		return nil, fmt.Errorf("look up the data set: %w", err)
	}
	return &r, nil
}
