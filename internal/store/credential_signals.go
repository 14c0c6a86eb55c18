package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// TokenNetwork is a network a credential was used from in a flush window.
type TokenNetwork struct {
	TokenID int64
	Network string // an IPv4 /24 or IPv6 /48, e.g. 192.0.2.0/24
	At      time.Time
}

// RecordTokenNetworks notes the networks credentials were used from, in
// one statement: a new one gets its first_seen, a known one its last_seen.
func (s *Store) RecordTokenNetworks(ctx context.Context, ns []TokenNetwork) error {
	if len(ns) == 0 {
		return nil
	}
	ids, nets, ats := make([]int64, len(ns)), make([]string, len(ns)), make([]time.Time, len(ns))
	for i, n := range ns {
		ids[i], nets[i], ats[i] = n.TokenID, n.Network, n.At
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO token_networks AS tn (token_id, network, first_seen, last_seen)
		SELECT u.id, u.net::cidr, u.at, u.at
		FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS u(id, net, at)
		WHERE EXISTS (SELECT 1 FROM tokens t WHERE t.id = u.id)
		ON CONFLICT (token_id, network) DO UPDATE SET last_seen = greatest(tn.last_seen, EXCLUDED.last_seen)`,
		pq.Array(ids), pq.Array(nets), pq.Array(ats))
	if err != nil {
		return fmt.Errorf("record %d token networks: %w", len(ns), err)
	}
	return nil
}

// Refusal reasons of a known credential.
const (
	RefusedRevoked  = "revoked"
	RefusedExpired  = "expired"
	RefusedWrongEnv = "wrong_environment"
)

// Refusal counts presentations of one credential refused for one reason
// in an hour.
type Refusal struct {
	Hour    time.Time
	TokenID int64
	Reason  string
	Count   int64
}

// RecordRefusals adds counted refusals in one statement.
func (s *Store) RecordRefusals(ctx context.Context, rs []Refusal) error {
	if len(rs) == 0 {
		return nil
	}
	hours, ids, reasons, counts := make([]time.Time, len(rs)), make([]int64, len(rs)), make([]string, len(rs)), make([]int64, len(rs))
	for i, r := range rs {
		hours[i], ids[i], reasons[i], counts[i] = r.Hour, r.TokenID, r.Reason, r.Count
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO credential_refusals AS cr (hour, token_id, reason, count)
		SELECT u.hour, u.id, u.reason, u.n
		FROM unnest($1::timestamptz[], $2::bigint[], $3::text[], $4::bigint[]) AS u(hour, id, reason, n)
		WHERE EXISTS (SELECT 1 FROM tokens t WHERE t.id = u.id)
		ON CONFLICT (hour, token_id, reason) DO UPDATE SET count = cr.count + EXCLUDED.count`,
		pq.Array(hours), pq.Array(ids), pq.Array(reasons), pq.Array(counts))
	if err != nil {
		return fmt.Errorf("record %d credential refusals: %w", len(rs), err)
	}
	return nil
}

// NewNetwork is a credential seen from a network for the first time, when
// it had been used from another before.
type NewNetwork struct {
	TokenID   int64     `db:"token_id"`
	PartnerID int64     `db:"partner_id"`
	UserID    int64     `db:"user_id"`
	Name      string    `db:"name"`
	Hint      string    `db:"hint"`
	Network   string    `db:"network"`
	FirstSeen time.Time `db:"first_seen"`
}

// NewTokenNetworks lists the networks first seen since `since` of open
// credentials (not the docs console's) that had been used from another
// network more than an hour before: the networks of a credential's first
// hour (load-balanced hosts, several gateway nodes) are all its own. One
// already alerted on (rule new_network, cause the network) is left out, so
// the bounded list never fills with what was raised.
func (s *Store) NewTokenNetworks(ctx context.Context, since time.Time) ([]NewNetwork, error) {
	var out []NewNetwork
	err := s.q.SelectContext(ctx, &out, `
		SELECT n.token_id, t.partner_id, t.user_id, t.name, t.hint, n.network::text AS network, n.first_seen
		FROM token_networks n JOIN tokens t ON t.id = n.token_id
		WHERE n.first_seen >= $1 AND t.revoked_at IS NULL AND NOT t.console
		  AND EXISTS (SELECT 1 FROM token_networks o WHERE o.token_id = n.token_id AND o.first_seen < n.first_seen - interval '1 hour')
		  AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.partner_id = t.partner_id AND a.rule = 'new_network'
		                  AND coalesce(a.token_id, 0) = n.token_id AND a.cause = n.network::text)
		ORDER BY n.first_seen, n.token_id
		LIMIT 1000`, since)
	if err != nil {
		return nil, fmt.Errorf("new token networks: %w", err)
	}
	return out, nil
}

// RefusedCredential is a credential refused for a reason since a time,
// with the alert rule and cause it raises.
type RefusedCredential struct {
	Rule      string    `db:"rule"`
	Cause     string    `db:"cause"`
	TokenID   int64     `db:"token_id"`
	PartnerID int64     `db:"partner_id"`
	UserID    int64     `db:"user_id"`
	Name      string    `db:"name"`
	Hint      string    `db:"hint"`
	Env       string    `db:"environment"`
	Reason    string    `db:"reason"`
	Count     int64     `db:"count"`
	ExpiresAt time.Time `db:"expires_at"`
}

// RefusedCredentials lists the credentials (not the docs console's)
// refused in the hours from `since`, by reason, with how many times and
// the alert each raises: revoked_in_use once per credential, expired_in_use
// once per expiry, wrong_environment once per UTC day of now. Those already
// alerted on are left out, so the bounded list never fills with them.
func (s *Store) RefusedCredentials(ctx context.Context, since, now time.Time) ([]RefusedCredential, error) {
	var out []RefusedCredential
	err := s.q.SelectContext(ctx, &out, `
		WITH r AS (
			SELECT r.token_id, t.partner_id, t.user_id, t.name, t.hint, t.environment, r.reason, sum(r.count)::bigint AS count, t.expires_at,
			       CASE r.reason WHEN 'revoked' THEN 'revoked_in_use' WHEN 'expired' THEN 'expired_in_use' ELSE 'wrong_environment' END AS rule,
			       CASE r.reason WHEN 'revoked' THEN 'revoked'
			                     WHEN 'expired' THEN 'expired ' || floor(extract(epoch FROM t.expires_at))::bigint
			                     ELSE to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD') END AS cause
			FROM credential_refusals r JOIN tokens t ON t.id = r.token_id
			WHERE r.hour >= $1 AND NOT t.console
			GROUP BY r.token_id, t.partner_id, t.user_id, t.name, t.hint, t.environment, r.reason, t.expires_at)
		SELECT r.* FROM r
		WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.partner_id = r.partner_id AND a.rule = r.rule
		                  AND coalesce(a.token_id, 0) = r.token_id AND a.cause = r.cause)
		ORDER BY r.token_id, r.reason
		LIMIT 1000`, since, now)
	if err != nil {
		return nil, fmt.Errorf("refused credentials: %w", err)
	}
	return out, nil
}

// DeleteOldSignals deletes up to limit refusal counts older than
// refusalsBefore and up to limit networks last seen before networksBefore,
// and returns how many rows went; retention calls it in batches.
func (s *Store) DeleteOldSignals(ctx context.Context, refusalsBefore, networksBefore time.Time, limit int) (int64, error) {
	a, err := s.q.ExecContext(ctx, `
		DELETE FROM credential_refusals WHERE (hour, token_id, reason) IN (
			SELECT hour, token_id, reason FROM credential_refusals WHERE hour < $1 ORDER BY hour LIMIT $2)`, refusalsBefore, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old credential refusals: %w", err)
	}
	b, err := s.q.ExecContext(ctx, `
		DELETE FROM token_networks WHERE (token_id, network) IN (
			SELECT token_id, network FROM token_networks WHERE last_seen < $1 ORDER BY last_seen LIMIT $2)`, networksBefore, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old token networks: %w", err)
	}
	na, _ := a.RowsAffected()
	nb, _ := b.RowsAffected()
	return na + nb, nil
}
