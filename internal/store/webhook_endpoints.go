package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// WebhookEndpoint is where a partner's or a staff member's webhooks go.
type WebhookEndpoint struct {
	ID int64 `db:"id"`
	// PartnerID is the partner whose admins own the endpoint; nil for a
	// staff member's endpoint (OwnerID's).
	PartnerID *int64 `db:"partner_id"`
	OwnerID   int64  `db:"owner_id"`
	// ScopePartnerID narrows a staff endpoint to one partner; nil with
	// PartnerID nil: every partner its owner manages.
	ScopePartnerID      *int64         `db:"scope_partner_id"`
	URL                 string         `db:"url"`
	Description         string         `db:"description"`
	EventTypes          pq.StringArray `db:"event_types"`
	SecretEnc           []byte         `db:"secret_enc"`
	SecretHint          string         `db:"secret_hint"`
	PreviousSecretEnc   []byte         `db:"previous_secret_enc"`
	PreviousSecretUntil *time.Time     `db:"previous_secret_until"`
	Enabled             bool           `db:"enabled"`
	DisabledAt          *time.Time     `db:"disabled_at"`
	DisabledReason      string         `db:"disabled_reason"`
	FailingSince        *time.Time     `db:"failing_since"`
	CreatedAt           time.Time      `db:"created_at"`
	// Names the pages show: the owner's email, the partner (or scope)'s
	// name ("" for every partner).
	OwnerEmail  string `db:"owner_email"`
	PartnerName string `db:"partner_name"`
}

const webhookEndpointColumns = `
	e.id, e.partner_id, e.owner_id, e.scope_partner_id, e.url, e.description, e.event_types, e.secret_enc, e.secret_hint,
	e.previous_secret_enc, e.previous_secret_until, e.enabled, e.disabled_at, e.disabled_reason, e.failing_since, e.created_at,
	u.email AS owner_email, COALESCE(p.name, '') AS partner_name`

const webhookEndpointFrom = `
	FROM webhook_endpoints e JOIN users u ON u.id = e.owner_id
	LEFT JOIN partners p ON p.id = COALESCE(e.partner_id, e.scope_partner_id)`

// MaxWebhookEndpoints bounds the endpoints of one partner, and of one
// staff member: a receiver per system is a handful.
const MaxWebhookEndpoints = 20

// NewWebhookEndpoint is what InsertWebhookEndpoint stores.
type NewWebhookEndpoint struct {
	PartnerID      *int64
	OwnerID        int64
	ScopePartnerID *int64
	URL            string
	Description    string
	EventTypes     []string
	SecretEnc      []byte
	SecretHint     string
}

// InsertWebhookEndpoint stores an endpoint and returns its id.
func (s *Store) InsertWebhookEndpoint(ctx context.Context, e NewWebhookEndpoint) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `
		INSERT INTO webhook_endpoints (partner_id, owner_id, scope_partner_id, url, description, event_types, secret_enc, secret_hint)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		e.PartnerID, e.OwnerID, e.ScopePartnerID, e.URL, e.Description, pq.StringArray(e.EventTypes), e.SecretEnc, e.SecretHint)
	if err != nil {
		return 0, fmt.Errorf("insert webhook endpoint: %w", err)
	}
	return id, nil
}

// WebhookEndpointByID returns one endpoint; lock takes its row for the
// rest of the transaction.
func (s *Store) WebhookEndpointByID(ctx context.Context, id int64, lock bool) (*WebhookEndpoint, error) {
	q := `SELECT ` + webhookEndpointColumns + webhookEndpointFrom + ` WHERE e.id = $1`
	if lock {
		q += ` FOR UPDATE OF e`
	}
	var e WebhookEndpoint
	if err := s.q.GetContext(ctx, &e, q, id); err != nil {
		return nil, fmt.Errorf("webhook endpoint %d: %w", id, notFound(err))
	}
	return &e, nil
}

// WebhookEndpoints lists the endpoints of a partner (partnerID set), or
// the staff's (partnerID 0): every staff endpoint, or only ownerID's
// when ownerID is set. At most MaxWebhookEndpoints per owner, so the
// list is one page.
func (s *Store) WebhookEndpoints(ctx context.Context, partnerID, ownerID int64) ([]WebhookEndpoint, error) {
	var out []WebhookEndpoint
	err := s.q.SelectContext(ctx, &out, `SELECT `+webhookEndpointColumns+webhookEndpointFrom+`
		WHERE CASE WHEN $1::bigint <> 0 THEN e.partner_id = $1 ELSE e.partner_id IS NULL AND ($2::bigint = 0 OR e.owner_id = $2) END
		ORDER BY e.created_at, e.id LIMIT 500`, partnerID, ownerID)
	if err != nil {
		return nil, fmt.Errorf("webhook endpoints of partner %d owner %d: %w", partnerID, ownerID, err)
	}
	return out, nil
}

// CountWebhookEndpoints counts a partner's endpoints (partnerID set) or a
// staff member's.
func (s *Store) CountWebhookEndpoints(ctx context.Context, partnerID, ownerID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM webhook_endpoints
		WHERE CASE WHEN $1::bigint <> 0 THEN partner_id = $1 ELSE partner_id IS NULL AND owner_id = $2 END`, partnerID, ownerID)
	if err != nil {
		return 0, fmt.Errorf("count webhook endpoints: %w", err)
	}
	return n, nil
}

// UpdateWebhookEndpoint changes what an endpoint receives and where.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, id int64, url, description string, types []string, scopePartnerID *int64) error {
	_, err := s.q.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $2, description = $3, event_types = $4, scope_partner_id = $5 WHERE id = $1`,
		id, url, description, pq.StringArray(types), scopePartnerID)
	if err != nil {
		return fmt.Errorf("update webhook endpoint %d: %w", id, err)
	}
	return nil
}

// RotateWebhookSecret makes secretEnc the endpoint's secret; the one it
// replaces keeps signing until graceUntil.
func (s *Store) RotateWebhookSecret(ctx context.Context, id int64, secretEnc []byte, hint string, graceUntil time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE webhook_endpoints SET previous_secret_enc = secret_enc, previous_secret_until = $4,
		secret_enc = $2, secret_hint = $3 WHERE id = $1`, id, secretEnc, hint, graceUntil)
	if err != nil {
		return fmt.Errorf("rotate webhook secret %d: %w", id, err)
	}
	return nil
}

// SetWebhookEndpointEnabled enables an endpoint (afresh: nothing failing)
// or disables it for reason; disabling fails its pending deliveries, so
// enabling it later starts with new events only.
func (s *Store) SetWebhookEndpointEnabled(ctx context.Context, id int64, enabled bool, reason string, now time.Time) error {
	if enabled {
		_, err := s.q.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = true, disabled_at = NULL, disabled_reason = '', failing_since = NULL
			WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("enable webhook endpoint %d: %w", id, err)
		}
		return nil
	}
	_, err := s.q.ExecContext(ctx, `
		WITH e AS (UPDATE webhook_endpoints SET enabled = false, disabled_at = $3, disabled_reason = $2 WHERE id = $1 RETURNING id)
		UPDATE webhook_deliveries d SET state = 'failed', finished_at = $3 FROM e WHERE d.endpoint_id = e.id AND d.state = 'pending'`,
		id, reason, now)
	if err != nil {
		return fmt.Errorf("disable webhook endpoint %d: %w", id, err)
	}
	return nil
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries and log.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id int64) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete webhook endpoint %d: %w", id, err)
	}
	return nil
}

// WebhookSubscribers is who receives an event: the endpoints subscribed
// to it, with the names its payload carries.
type WebhookSubscribers struct {
	Endpoints   pq.Int64Array `db:"endpoints"`
	PartnerName string        `db:"partner_name"`
	ActorEmail  string        `db:"actor_email"`
}

// WebhookSubscribersOf returns the enabled endpoints subscribed to events
// of type typ of partnerID: the partner's own, staff endpoints for that
// partner, and staff endpoints for every partner their owner manages now
// (a platform admin manages every partner). Owners who left receive
// nothing.
func (s *Store) WebhookSubscribersOf(ctx context.Context, partnerID int64, typ string, actorID int64) (*WebhookSubscribers, error) {
	var w WebhookSubscribers
	err := s.q.GetContext(ctx, &w, `
		SELECT COALESCE((SELECT array_agg(e.id ORDER BY e.id) FROM webhook_endpoints e JOIN users u ON u.id = e.owner_id
		        WHERE e.enabled AND $2 = ANY (e.event_types)
		          AND (e.partner_id = $1
		               OR (e.partner_id IS NULL AND u.status = 'active'
		                   AND (e.scope_partner_id = $1 OR e.scope_partner_id IS NULL)
		                   AND (u.role = 'admin' OR (u.role = 'account_manager'
		                        AND EXISTS (SELECT 1 FROM partner_managers m WHERE m.partner_id = $1 AND m.user_id = u.id)))))),
		        '{}') AS endpoints,
		       COALESCE((SELECT name FROM partners WHERE id = $1), '') AS partner_name,
		       COALESCE((SELECT email FROM users WHERE id = $3), '') AS actor_email`, partnerID, typ, actorID)
	if err != nil {
		return nil, fmt.Errorf("webhook subscribers of %s at partner %d: %w", typ, partnerID, err)
	}
	return &w, nil
}

// LockUserRow locks a user's row until the transaction ends, to count
// what they own (their webhook endpoints) without a race.
func (s *Store) LockUserRow(ctx context.Context, id int64) error {
	var got int64
	if err := s.q.GetContext(ctx, &got, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, id); err != nil {
		return fmt.Errorf("lock user %d: %w", id, notFound(err))
	}
	return nil
}
