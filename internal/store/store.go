// Package store is Portico's system of record: PostgreSQL through sqlx, one
// file per table, SQL written out in the method that runs it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver, registered as "postgres"
)

// ErrNotFound is returned when a looked-up row does not exist (or is not
// visible to the caller's partner).
var ErrNotFound = errors.New("not found")

// Store reads and writes Portico's tables.
type Store struct {
	db *sqlx.DB
	// q runs the queries: the pool, or the transaction of a Store given to
	// an InTx callback.
	q  Queryer
	tx bool
}

// New returns a Store over an open pool.
func New(db *sqlx.DB) *Store { return &Store{db: db, q: db} }

// DB returns the pool, for health checks and migrations.
func (s *Store) DB() *sqlx.DB { return s.db }

// Open connects to the database at url and checks it answers within the
// context's deadline.
func Open(ctx context.Context, url string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close() // the ping's error is the one to report
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.PingContext(ctx)
}

// Queryer is what both the pool and a transaction offer, so table methods
// can run inside or outside InTx.
type Queryer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// InTx runs fn with a Store bound to one transaction, committed when fn
// returns nil and rolled back otherwise (also on panic). Called on a Store
// that is already in a transaction, it runs fn in that same transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	if s.tx {
		return fn(s)
	}
	sqltx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqltx.Rollback()
		}
	}()
	if err := fn(&Store{db: s.db, q: sqltx, tx: true}); err != nil {
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
