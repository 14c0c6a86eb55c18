package dataset

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Names of generated people: first × last gives 1 200 different names, so
// a name sort has ties (broken by id) as in life.
var (
	firstNames = pq.StringArray{"Ada", "Ben", "Chiara", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ines", "Jonas",
		"Kwame", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tomás",
		"Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zofia", "Amir", "Beatriz", "Chen", "Dalia"}
	lastNames = pq.StringArray{"Andersen", "Brennan", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Horvat",
		"Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
		"Schmidt", "Tanaka", "Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zimmermann", "Almeida", "Berg", "Chowdhury",
		"Demir", "Esposito", "Fontaine", "Gruber", "Haddad", "Iqbal", "Janssen", "Kim", "Lopez", "Meyer", "Novak"}
)

// personName is the SQL of the i-th generated person's name: the
// statements using it take firstNames as $2 and lastNames as $3.
const personName = `($2::text[])[1 + i % 30] || ' ' || ($3::text[])[1 + (i / 30) % 40]`

func genPartners(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	if err := tx.GetContext(ctx, &g.partner, `
		INSERT INTO partners (name, slug, require_live_approval, created_at)
		VALUES ('Big Partner (generated)', $1, true, now() - interval '400 days') RETURNING id`, BigPartnerSlug); err != nil {
		return 0, err
	}
	n, err := exec(ctx, tx, `
		INSERT INTO partners (name, slug, status, created_at)
		SELECT 'Partner ' || lpad(i::text, 4, '0'), 'gen-partner-' || i,
			CASE WHEN i % 25 = 0 THEN 'suspended' ELSE 'active' END, now() - make_interval(days => i)
		FROM generate_series(1, $1) i`, g.spec.Partners-1)
	return n + 1, err
}

// genUsers adds the big partner's members (the first is its admin, the
// second its developer, both signing in with demo.Password; one in a
// hundred more is a partner admin), the other partners' members and the
// account managers.
func genUsers(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	big, err := exec(ctx, tx, `
		INSERT INTO users (email, name, role, partner_id, password_hash, created_at)
		SELECT CASE i WHEN 1 THEN $5 WHEN 2 THEN $6 ELSE 'm' || i || '@big.test' END,
			CASE i WHEN 1 THEN 'Ada Big' WHEN 2 THEN 'Dev Big' ELSE `+personName+` END,
			CASE WHEN i = 1 OR i % 100 = 0 THEN 'partner_admin' ELSE 'developer' END,
			$1, CASE WHEN i <= 2 THEN $7 END, now() - make_interval(days => i % 365)
		FROM generate_series(1, $4) i`, g.partner, firstNames, lastNames, g.spec.BigMembers, PartnerAdminEmail, DeveloperEmail, g.hash)
	if err != nil {
		return 0, err
	}
	others, err := exec(ctx, tx, `
		INSERT INTO users (email, name, role, partner_id, created_at)
		SELECT 'm' || i || '@' || p.slug || '.test', `+personName+`,
			CASE WHEN i = 1 THEN 'partner_admin' ELSE 'developer' END, p.id, p.created_at
		FROM partners p, generate_series(1, $1) i
		WHERE p.slug LIKE 'gen-partner-%'`, g.spec.MembersPerPartner, firstNames, lastNames)
	if err != nil {
		return 0, err
	}
	staff, err := exec(ctx, tx, `
		INSERT INTO users (email, name, role)
		SELECT 'am' || i || '@staff.portico.test', `+personName+`, 'account_manager'
		FROM generate_series(1, $1) i`, g.spec.Staff, firstNames, lastNames)
	return big + others + staff, err
}

// genManagers gives each generated partner one of the generated account
// managers, round-robin, and gives the demo account manager the big
// partner and every other generated partner besides: their lists span a
// book of half the directory, as a real account manager's would.
func genManagers(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	var round int64
	var err error
	if g.spec.Staff > 0 {
		round, err = exec(ctx, tx, `
		WITH am AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE email LIKE 'am%@staff.portico.test'),
		     p AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM partners WHERE slug LIKE 'gen-partner-%')
		INSERT INTO partner_managers (partner_id, user_id)
		SELECT p.id, am.id FROM p JOIN am ON am.n = p.n % $1`, g.spec.Staff)
		if err != nil {
			return 0, err
		}
	}
	demo, err := exec(ctx, tx, `
		INSERT INTO partner_managers (partner_id, user_id)
		SELECT p.id, (SELECT id FROM users WHERE email = '`+AccountManagerEmail+`') FROM partners p
		WHERE p.id = $1 OR (p.slug LIKE 'gen-partner-%' AND p.id % 2 = 0)
		ON CONFLICT DO NOTHING`, g.partner)
	return round + demo, err
}

func genTeams(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	return exec(ctx, tx, `
		INSERT INTO teams (partner_id, name, created_at)
		SELECT $1, 'Team ' || lpad(i::text, 3, '0'), now() - make_interval(days => 300 - i % 300)
		FROM generate_series(1, $2) i`, g.partner, g.spec.BigTeams)
}

// genMemberships puts the big partner's first BigTeam members in its first
// team, the others round the other teams, and one in ten of those in a
// second team too.
func genMemberships(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	return exec(ctx, tx, `
		WITH u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id = $1),
		     t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM teams WHERE partner_id = $1)
		INSERT INTO team_memberships (team_id, user_id)
		SELECT t.id, u.id FROM u JOIN t ON
			(u.n < $2 AND t.n = 0)
			OR (u.n >= $2 AND $3 > 1 AND t.n = 1 + (u.n - $2) % ($3 - 1))
			OR (u.n >= $2 AND $3 > 2 AND u.n % 10 = 0 AND t.n = 1 + (u.n - $2 + 1) % ($3 - 1))`,
		g.partner, g.spec.BigTeam, g.spec.BigTeams)
}

func genInvitations(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	return exec(ctx, tx, `
		INSERT INTO invitations (partner_id, email, role, token_hash, invited_by, created_at, sent_at, expires_at)
		SELECT $1, 'invitee' || i || '@example.test', CASE WHEN i % 10 = 0 THEN 'partner_admin' ELSE 'developer' END,
			sha256(('gen-invitation-' || i)::bytea), (SELECT id FROM users WHERE email = $3),
			now() - make_interval(hours => i % 150), now() - make_interval(hours => i % 150),
			now() + make_interval(hours => 168 - i % 150)
		FROM generate_series(1, $2) i`, g.partner, g.spec.Invitations, PartnerAdminEmail)
}
