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

// Queries counts the statements sent to PostgreSQL through a QueryCountingDB,
// so a test can check that a page's number of queries does not grow with
// its data.
type Queries struct{ n atomic.Int64 }

// Count is the number of statements sent so far.
func (q *Queries) Count() int64 { return q.n.Load() }

// QueryCountingDB is DB over a fresh, migrated database whose every statement
// (query, exec or prepare, in or out of a transaction) is counted. The
// driver is the real lib/pq: only the counting is added.
func QueryCountingDB(t testing.TB) (*sqlx.DB, *Queries) {
	t.Helper()
	c, err := pq.NewConnector(URL(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	q := &Queries{}
	db := sqlx.NewDb(sql.OpenDB(queryCountConnector{c, q}), "postgres")
	db.SetMaxOpenConns(25)
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return db, q
}

type queryCountConnector struct {
	driver.Connector
	q *Queries
}

func (c queryCountConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &queryCountConn{Conn: conn, q: c.q}, nil
}

// queryCountConn passes everything to lib/pq's connection, counting
// statements. It offers the context forms database/sql prefers, so no
// statement takes a path that is not counted.
type queryCountConn struct {
	driver.Conn
	q *Queries
}

var errNoContextMethod = errors.New("pgtest: the driver lacks a context method")

func (c *queryCountConn) Prepare(query string) (driver.Stmt, error) {
	c.q.n.Add(1)
	return c.Conn.Prepare(query)
}

func (c *queryCountConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.q.n.Add(1)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c *queryCountConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, errNoContextMethod
	}
	c.q.n.Add(1)
	return q.QueryContext(ctx, query, args)
}

func (c *queryCountConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, errNoContextMethod
	}
	c.q.n.Add(1)
	return e.ExecContext(ctx, query, args)
}

func (c *queryCountConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errNoContextMethod
}

func (c *queryCountConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *queryCountConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *queryCountConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *queryCountConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
