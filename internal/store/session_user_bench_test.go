package store_test

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// BenchmarkSessionUser times the user read on every signed-in request:
// UserByID as before the assignment, and SessionUser, which also reads an
// account manager's book (here 500 of 2 000 partners, each with two
// account managers).
func BenchmarkSessionUser(b *testing.B) {
	db := pgtest.DB(b)
	ctx := context.Background()
	var am int64
	for _, q := range []string{
		`INSERT INTO partners (name, slug) SELECT 'P ' || i, 'p-' || i FROM generate_series(1, 2000) i`,
		`INSERT INTO users (email, name, role) SELECT 'am' || i || '@x.test', 'AM ' || i, 'account_manager' FROM generate_series(1, 8) i`,
		`INSERT INTO partner_managers (partner_id, user_id)
		 SELECT p.id, u.id FROM partners p JOIN users u ON u.role = 'account_manager'
		 AND (substr(u.email, 3, 1)::int - 1) % 4 = p.id % 4`,
		`ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Get(&am, `SELECT id FROM users WHERE email = 'am1@x.test'`); err != nil {
		b.Fatal(err)
	}
	st := store.New(db)
	b.Run("user-by-id", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.UserByID(ctx, am); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("session-user-500-partners", func(b *testing.B) {
		for b.Loop() {
			u, err := st.SessionUser(ctx, am)
			if err != nil || len(u.Managed) != 500 {
				b.Fatal(len(u.Managed), err)
			}
		}
	})
	// A book of 50, as an account manager's usually is.
	if _, err := db.ExecContext(ctx, `DELETE FROM partner_managers WHERE user_id = $1 AND partner_id > 200`, am); err != nil {
		b.Fatal(err)
	}
	b.Run("session-user-50-partners", func(b *testing.B) {
		for b.Loop() {
			u, err := st.SessionUser(ctx, am)
			if err != nil || len(u.Managed) != 50 {
				b.Fatal(len(u.Managed), err)
			}
		}
	})
}
