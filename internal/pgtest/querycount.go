package pgtest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Queries counts the statements sent to PostgreSQL through a CountingDB,
// so a test can check that a page's number of queries does not grow with
// its data.
type Queries struct{ n atomic.Int64 }

// Count is the number of statements sent so far.
func (q *Queries) Count() int64 { return q.n.Load() }

// CountingDB is DB over a fresh, migrated database whose every statement
// (query, exec or prepare, in or out of a transaction) is counted. The
// driver is the real lib/pq: only the counting is added.
func CountingDB(t testing.TB) (*sqlx.DB, *Queries) {
	t.Helper()
	c, err := pq.NewConnector(URL(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	q := &Queries{}
	db := sqlx.NewDb(sql.OpenDB(countingConnector{c, q}), "postgres")
	db.SetMaxOpenConns(25)
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return db, q
}

type countingConnector struct {
	driver.Connector
	q *Queries
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, q: c.q}, nil
}

// countingConn passes everything to lib/pq's connection, counting
// statements. It offers the context forms database/sql prefers, so no
// statement takes a path that is not counted.
type countingConn struct {
	driver.Conn
	q *Queries
}

var errNoContext = errors.New("pgtest: the driver lacks a context method")

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	c.q.n.Add(1)
	return c.Conn.Prepare(query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.q.n.Add(1)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, errNoContext
	}
	c.q.n.Add(1)
	return q.QueryContext(ctx, query, args)
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, errNoContext
	}
	c.q.n.Add(1)
	return e.ExecContext(ctx, query, args)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errNoContext
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
