package dataset

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// genAPIs adds Spec.APIs APIs with the fleet API's document (their own
// slugs and names) and gives the fleet API Spec.Revisions revisions.
func genAPIs(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	apis, err := exec(ctx, tx, `
		WITH src AS (
			SELECT r.* FROM api_revisions r JOIN apis a ON a.id = r.api_id WHERE a.slug = 'fleet' AND r.revision = 1
		), a AS (
			INSERT INTO apis (slug, name, created_at)
			SELECT 'gen-api-' || lpad(i::text, 3, '0'), 'Generated API ' || lpad(i::text, 3, '0'), now() - make_interval(days => i)
			FROM generate_series(1, $1) i RETURNING id
		)
		INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes)
		SELECT a.id, 1, src.version, src.spec, src.operations, src.scopes FROM a, src`, g.spec.APIs)
	if err != nil {
		return 0, err
	}
	revs, err := exec(ctx, tx, `
		INSERT INTO api_revisions (api_id, revision, version, spec, operations, scopes, imported_at)
		SELECT r.api_id, i, r.version || '-r' || i, r.spec, r.operations, r.scopes, now() - make_interval(days => $1 - i)
		FROM api_revisions r JOIN apis a ON a.id = r.api_id, generate_series(2, $1) i
		WHERE a.slug = 'fleet' AND r.revision = 1`, g.spec.Revisions)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE apis SET current_revision = $1 WHERE slug = 'fleet' AND $1 > 1`, g.spec.Revisions); err != nil {
		return 0, err
	}
	return apis + revs, nil
}

// genAccessGroups adds the groups: each includes the fleet API, one in two
// telemetry, one in three maintenance; the first also every generated API.
func genAccessGroups(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	groups, err := exec(ctx, tx, `
		INSERT INTO access_groups (name, description, rate_limit_per_minute, monthly_quota, created_at)
		SELECT 'Generated group ' || lpad(i::text, 3, '0'), 'Generated for measurements.', 60 * (1 + i % 10),
			CASE WHEN i % 2 = 0 THEN 100000 * i END, now() - make_interval(days => i)
		FROM generate_series(1, $1) i`, g.spec.AccessGroups)
	if err != nil {
		return 0, err
	}
	apis, err := exec(ctx, tx, `
		INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT g.id, a.id, CASE a.slug WHEN 'telemetry' THEN ARRAY['telemetry:read']
			WHEN 'maintenance' THEN ARRAY['maintenance:read', 'maintenance:write'] ELSE ARRAY['fleet:read'] END
		FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM access_groups WHERE name LIKE 'Generated group %') g, apis a
		WHERE a.slug = 'fleet' OR (a.slug = 'telemetry' AND g.n % 2 = 1) OR (a.slug = 'maintenance' AND g.n % 3 = 1)
			OR (a.slug LIKE 'gen-api-%' AND g.n = 1)`)
	return groups + apis, err
}

// genGrants grants the groups in order, the first one first: to the big
// partner's teams (up to half of its grants), then to its members (the
// admin and the developer first), then round-robin to the other partners'
// members. The first group ends up with the most grants.
func genGrants(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	s := g.spec
	teamGrants := min(s.BigGrants/2, s.BigTeams*s.AccessGroups)
	const groups = `g AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM access_groups WHERE name LIKE 'Generated group %'),
		am AS (SELECT id FROM users WHERE email = '` + AccountManagerEmail + `')`
	teams, err := exec(ctx, tx, `
		WITH `+groups+`, t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM teams WHERE partner_id = $1)
		INSERT INTO grants (access_group_id, partner_id, team_id, granted_by, granted_at)
		SELECT x.gid, $1, x.tid, (SELECT id FROM am), now() - make_interval(days => x.d::int)
		FROM (SELECT g.id AS gid, t.id AS tid, (g.n + t.n) % 200 AS d FROM g, t ORDER BY g.n, t.n LIMIT $2) x`, g.partner, teamGrants)
	if err != nil {
		return 0, err
	}
	users, err := exec(ctx, tx, `
		WITH `+groups+`, u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id = $1)
		INSERT INTO grants (access_group_id, partner_id, user_id, granted_by, granted_at)
		SELECT x.gid, $1, x.uid, (SELECT id FROM am), now() - make_interval(days => x.d::int)
		FROM (SELECT g.id AS gid, u.id AS uid, (g.n + u.n) % 200 AS d FROM g, u ORDER BY g.n, u.n LIMIT $2) x`, g.partner, s.BigGrants-teamGrants)
	if err != nil {
		return 0, err
	}
	others, err := exec(ctx, tx, `
		WITH `+groups+`, k AS (SELECT count(*) AS k FROM g),
		u AS (SELECT u.id, u.partner_id, row_number() OVER (ORDER BY u.id) - 1 AS n FROM users u
		      JOIN partners p ON p.id = u.partner_id WHERE p.slug LIKE 'gen-partner-%')
		INSERT INTO grants (access_group_id, partner_id, user_id, granted_by, granted_at)
		SELECT x.gid, x.pid, x.uid, (SELECT id FROM am), now() - make_interval(days => x.d::int)
		FROM (SELECT g.id AS gid, u.partner_id AS pid, u.id AS uid, (g.n + u.n) % 300 AS d FROM g, u
		      ORDER BY (g.n - u.n % (SELECT k FROM k) + (SELECT k FROM k)) % (SELECT k FROM k), u.n LIMIT $1) x`, s.Grants-s.BigGrants)
	return teams + users + others, err
}

// tokenColumns and tokenValues insert the i-th token (from 0) of a
// partner: six in ten open, two expired, one revoked, one pending approval
// (live); one in three live; one in four used lately.
const (
	tokenColumns = `user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, pending,
		revoked_at, revoke_reason, last_used_at, last_used_ip`
	// #nosec G101 -- SQL making fake tokens' rows (their hashes are of public strings), no credential
	tokenValues = `
		(ARRAY['ci-deploy', 'nightly-sync', 'dashboard', 'billing-export', 'staging', 'local-dev', 'monitoring', 'partner-sync'])[1 + i % 8] || '-' || i,
		CASE WHEN i % 10 = 9 OR i % 3 = 0 THEN 'live' ELSE 'sandbox' END,
		sha256(('gen-token-' || u.partner_id || '-' || i)::bytea),
		'ptc_' || CASE WHEN i % 10 = 9 OR i % 3 = 0 THEN 'live' ELSE 'sbx' END || '_…' || substr(md5(i::text), 1, 4),
		CASE WHEN i % 3 = 0 THEN ARRAY['fleet/fleet:read', 'telemetry/telemetry:read'] ELSE ARRAY['fleet/fleet:read'] END,
		now() - make_interval(mins => (i * 7919) % 525600) - CASE WHEN i % 10 IN (6, 7) THEN interval '61 days' ELSE interval '0' END,
		CASE WHEN i % 10 IN (6, 7) THEN now() - make_interval(days => 1 + i % 60) ELSE now() + make_interval(days => 1 + i % 300) END,
		i % 10 = 9,
		CASE WHEN i % 10 = 8 THEN now() - make_interval(days => i % 30) END,
		CASE WHEN i % 10 = 8 THEN 'revoked by the generator' ELSE '' END,
		CASE WHEN i % 4 = 0 THEN now() - make_interval(mins => i % 10000) END,
		CASE WHEN i % 4 = 0 THEN ('10.30.' || (i / 256 % 256) || '.' || (i % 256))::inet END`
)

// genTokens gives the big partner's developer and admin OwnTokens tokens
// each, its other members (if any) the rest of BigTokens round-robin, and the
// other partners' members the other tokens round-robin.
func genTokens(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	s := g.spec
	big, err := exec(ctx, tx, `
		WITH u AS (SELECT id, partner_id, row_number() OVER (ORDER BY id) - 1 AS n FROM users WHERE partner_id = $1),
		     k AS (SELECT count(*) AS k FROM u)
		INSERT INTO tokens (`+tokenColumns+`)
		SELECT u.id, u.partner_id, `+tokenValues+`
		FROM generate_series(0, $2 - 1) i
		JOIN u ON u.n = CASE WHEN i < $3 THEN 1 WHEN i < 2 * $3 THEN 0 ELSE 2 + i % greatest((SELECT k FROM k) - 2, 1) END`,
		g.partner, s.BigTokens, s.OwnTokens)
	if err != nil {
		return 0, err
	}
	others, err := exec(ctx, tx, `
		WITH u AS (SELECT u.id, u.partner_id, row_number() OVER (ORDER BY u.id) - 1 AS n FROM users u
		           JOIN partners p ON p.id = u.partner_id WHERE p.slug LIKE 'gen-partner-%'),
		     k AS (SELECT greatest(count(*), 1) AS k FROM u)
		INSERT INTO tokens (`+tokenColumns+`)
		SELECT u.id, u.partner_id, `+tokenValues+`
		FROM generate_series(0, $1 - 1) i
		JOIN u ON u.n = i % (SELECT k FROM k)`, s.Tokens-s.BigTokens)
	return big + others, err
}

func genMails(ctx context.Context, tx *sqlx.Tx, g *gen) (int64, error) {
	return exec(ctx, tx, `
		INSERT INTO outbox (to_email, to_name, subject, text_body, status, attempts, created_at, next_attempt_at, sent_at)
		SELECT 'm' || i || '@big.test', 'Member ' || i, 'You are invited to Big Partner (generated)',
			'Generated mail ' || i || E'.\n', 'sent', 1, x.t, x.t, x.t
		FROM generate_series(1, $1) i, LATERAL (SELECT now() - make_interval(mins => i * 37) AS t) x`, g.spec.Mails)
}
