package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// BenchmarkAuditEventsPage times a page of the audit trail for each scope
// and filter, on the access data set plus 1 000 000 events over 90 days:
// a fifth of them the big partner's, one in a thousand a setting change.
func BenchmarkAuditEventsPage(b *testing.B) {
	db := pgtest.DB(b)
	partnerID := fillAccessAtScale(b, db)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `
		WITH big AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE partner_id = $1),
		     rest AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE partner_id <> $1)
		INSERT INTO audit_events (at, actor_id, actor, partner_id, action, target_type, target_id, target, request_id)
		SELECT now() - (i * interval '90 days' / 1000000), u.id, u.email, u.partner_id,
		       CASE WHEN i % 1000 = 0 THEN 'settings.token_max_days' WHEN i % 3 = 0 THEN 'token.create' WHEN i % 3 = 1 THEN 'user.sign_in' ELSE 'team.member_add' END,
		       'token', i, 'name ' || i, 'req-' || i
		FROM big CROSS JOIN rest CROSS JOIN generate_series(1, 1000000) i
		JOIN users u ON u.id = CASE WHEN i % 5 = 0 THEN big.ids[1 + i % cardinality(big.ids)] ELSE rest.ids[1 + i % cardinality(rest.ids)] END`, partnerID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	st := store.New(db)
	var admin, dev int64
	if err := db.GetContext(ctx, &admin, `SELECT id FROM users WHERE partner_id = $1 AND role = 'partner_admin' ORDER BY id LIMIT 1`, partnerID); err != nil {
		b.Fatal(err)
	}
	if err := db.GetContext(ctx, &dev, `SELECT actor_id FROM audit_events WHERE partner_id = $1 LIMIT 1`, partnerID); err != nil {
		b.Fatal(err)
	}
	// Two account managers: one with every other partner (100, the big
	// one among them), one with 5 small partners.
	var half, few int64
	if err := db.GetContext(ctx, &half, `
		WITH am AS (INSERT INTO users (email, name, role) VALUES ('half@portico.test', 'Half', 'account_manager') RETURNING id),
		     pm AS (INSERT INTO partner_managers (partner_id, user_id) SELECT p.id, am.id FROM partners p, am WHERE (p.id - $1) % 2 = 0)
		SELECT id FROM am`, partnerID); err != nil {
		b.Fatal(err)
	}
	if err := db.GetContext(ctx, &few, `
		WITH am AS (INSERT INTO users (email, name, role) VALUES ('few@portico.test', 'Few', 'account_manager') RETURNING id),
		     pm AS (INSERT INTO partner_managers (partner_id, user_id) SELECT p.id, am.id FROM partners p, am WHERE p.id - $1 BETWEEN 1 AND 5)
		SELECT id FROM am`, partnerID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE partner_managers`); err != nil {
		b.Fatal(err)
	}
	deep := store.TimeKey(mustTime(b, db, `SELECT at FROM audit_events WHERE partner_id = $1 ORDER BY at DESC OFFSET 100000 LIMIT 1`, partnerID), 1<<62)
	for _, bc := range []struct {
		name string
		q    store.AuditQuery
	}{
		{"platform admin", store.AuditQuery{Scope: store.AuditScope{All: true}}},
		{"account manager", store.AuditQuery{Scope: store.AuditScope{Partners: true}}},
		{"account manager, book of 100", store.AuditQuery{Scope: store.AuditScope{Partners: true, Book: half}}},
		{"account manager, book of 5", store.AuditQuery{Scope: store.AuditScope{Partners: true, Book: few}}},
		{"account manager, partner filter", store.AuditQuery{Scope: store.AuditScope{PartnerID: partnerID, Book: half}}},
		{"account manager, book of 100, rare kind", store.AuditQuery{Scope: store.AuditScope{Partners: true, Book: half}, Actions: []string{"settings.", "sandbox."}}},
		{"account manager, book of 5, rare kind", store.AuditQuery{Scope: store.AuditScope{Partners: true, Book: few}, Actions: []string{"settings.", "sandbox."}}},
		{"partner admin", store.AuditQuery{Scope: store.AuditScope{PartnerID: partnerID}}},
		{"partner admin, page 2000", store.AuditQuery{Scope: store.AuditScope{PartnerID: partnerID}, After: &deep}},
		{"partner admin, one person", store.AuditQuery{Scope: store.AuditScope{PartnerID: partnerID}, ActorID: dev}},
		{"partner admin, rare kind", store.AuditQuery{Scope: store.AuditScope{PartnerID: partnerID}, Actions: []string{"settings."}}},
		{"account manager, rare kind", store.AuditQuery{Scope: store.AuditScope{Partners: true}, Actions: []string{"settings.", "sandbox."}}},
		{"platform admin, common kind", store.AuditQuery{Scope: store.AuditScope{All: true}, Actions: []string{"token."}}},
		{"developer", store.AuditQuery{Scope: store.AuditScope{PartnerID: partnerID, UserID: dev}}},
		{"request id", store.AuditQuery{Scope: store.AuditScope{All: true}, RequestID: "req-777777"}},
	} {
		bc.q.Limit = 50
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := st.AuditEventsPage(ctx, bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// mustTime reads one time from the database.
func mustTime(tb testing.TB, db interface {
	GetContext(context.Context, any, string, ...any) error
}, query string, args ...any) time.Time {
	tb.Helper()
	var t time.Time
	if err := db.GetContext(context.Background(), &t, query, args...); err != nil {
		tb.Fatal(err)
	}
	return t
}
