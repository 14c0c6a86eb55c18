package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// InsertWebhookEvent stores an event and queues one delivery of it to
// each endpoint, in the caller's transaction: the event goes out if and
// only if the action that caused it commits.
func (s *Store) InsertWebhookEvent(ctx context.Context, msgID string, partnerID *int64, typ, body string, endpoints []int64, manual bool) (eventID int64, err error) {
	// One statement: the event never exists without its deliveries, even
	// outside a transaction.
	err = s.q.GetContext(ctx, &eventID, `
		WITH ev AS (INSERT INTO webhook_events (msg_id, partner_id, type, body) VALUES ($1, $2, $3, $4) RETURNING id),
		     d AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, manual) SELECT unnest($5::bigint[]), ev.id, $6 FROM ev)
		SELECT id FROM ev`, msgID, partnerID, typ, body, pq.Int64Array(endpoints), manual)
	if err != nil {
		return 0, fmt.Errorf("queue webhook event %s: %w", typ, err)
	}
	return eventID, nil
}

// QueueWebhookAgain queues a manual delivery of the event of delivery id
// to the same endpoint ("send again") and returns the new delivery's id.
func (s *Store) QueueWebhookAgain(ctx context.Context, endpointID, deliveryID int64) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `INSERT INTO webhook_deliveries (endpoint_id, event_id, manual)
		SELECT endpoint_id, event_id, true FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2 RETURNING id`, deliveryID, endpointID)
	if err != nil {
		return 0, fmt.Errorf("send webhook delivery %d again: %w", deliveryID, notFound(err))
	}
	return id, nil
}

// WebhookDue is a delivery claimed for an attempt, with what it takes to
// sign and send it.
type WebhookDue struct {
	ID                  int64      `db:"id"`
	EndpointID          int64      `db:"endpoint_id"`
	Manual              bool       `db:"manual"`
	Attempts            int        `db:"attempts"`
	CreatedAt           time.Time  `db:"created_at"`
	MsgID               string     `db:"msg_id"`
	Type                string     `db:"type"`
	Body                string     `db:"body"`
	URL                 string     `db:"url"`
	SecretEnc           []byte     `db:"secret_enc"`
	PreviousSecretEnc   []byte     `db:"previous_secret_enc"`
	PreviousSecretUntil *time.Time `db:"previous_secret_until"`
	FailingSince        *time.Time `db:"failing_since"`
}

const webhookDueSelect = `
	SELECT d.id, d.endpoint_id, d.manual, d.attempts, d.created_at, ev.msg_id, ev.type, ev.body,
	       e.url, e.secret_enc, e.previous_secret_enc, e.previous_secret_until, e.failing_since
	FROM webhook_deliveries d
	JOIN webhook_endpoints e ON e.id = d.endpoint_id
	JOIN webhook_events ev ON ev.id = d.event_id`

// ClaimWebhookDelivery locks the next delivery due at now and returns it;
// ErrNotFound when none is. Automatic deliveries leave in order per
// endpoint: only the oldest pending one of each endpoint (its head) may
// go, so one backing off, or being sent by another worker, holds back
// the rest of its endpoint's queue. Heads are found per endpoint through
// the pending index, so a long queue behind a failing receiver costs
// nothing to the others. SKIP LOCKED lets any number of workers on any
// node claim side by side, never the same row; a head another worker
// holds is skipped, never passed (the next one is not a head). The lock
// lasts until the caller's transaction ends, so a worker that dies
// mid-send gives the delivery back untouched. The endpoint's row is
// locked too, first: a page disabling or editing the endpoint (which
// locks it, then its deliveries) waits for the send instead of
// deadlocking with it, and NO KEY UPDATE leaves actions free to queue
// new deliveries to it meanwhile.
func (s *Store) ClaimWebhookDelivery(ctx context.Context, now time.Time) (*WebhookDue, error) {
	var d WebhookDue
	err := s.q.GetContext(ctx, &d, webhookDueSelect+`
		WHERE d.id IN (
		        SELECT (SELECT h.id FROM webhook_deliveries h
		                WHERE h.endpoint_id = he.id AND h.state = 'pending' AND NOT h.manual
		                ORDER BY h.id LIMIT 1)
		        FROM webhook_endpoints he WHERE he.enabled
		        UNION ALL
		        SELECT m.id FROM webhook_deliveries m WHERE m.state = 'pending' AND m.manual AND m.next_attempt_at <= $1)
		  AND d.state = 'pending' AND d.next_attempt_at <= $1 AND e.enabled
		ORDER BY d.next_attempt_at, d.id
		LIMIT 1
		FOR NO KEY UPDATE OF d, e SKIP LOCKED`, now)
	if err != nil {
		return nil, fmt.Errorf("claim webhook delivery: %w", notFound(err))
	}
	return &d, nil
}

// ClaimWebhookDeliveryByID locks one pending delivery of an enabled
// endpoint ("send a test event" sends it at once), waiting for a worker
// sending to the same endpoint; ErrNotFound when it is not pending (any
// more: a worker sent it first).
func (s *Store) ClaimWebhookDeliveryByID(ctx context.Context, id int64) (*WebhookDue, error) {
	var d WebhookDue
	err := s.q.GetContext(ctx, &d, webhookDueSelect+`
		WHERE d.id = $1 AND d.state = 'pending' AND e.enabled FOR NO KEY UPDATE OF d, e`, id)
	if err != nil {
		return nil, fmt.Errorf("claim webhook delivery %d: %w", id, notFound(err))
	}
	return &d, nil
}

// WebhookAttempt is one try of a delivery, as the log shows it.
type WebhookAttempt struct {
	ID         int64     `db:"id"`
	DeliveryID int64     `db:"delivery_id"`
	EndpointID int64     `db:"endpoint_id"`
	At         time.Time `db:"at"`
	// Status is the receiver's HTTP status; nil when none answered.
	Status     *int   `db:"status"`
	Response   string `db:"response"`
	Error      string `db:"error"`
	DurationMS int    `db:"duration_ms"`
	// From the delivery and its event.
	Manual bool   `db:"manual"`
	State  string `db:"state"`
	MsgID  string `db:"msg_id"`
	Type   string `db:"type"`
	Body   string `db:"body"`
}

// Key is the attempt's place in the log, newest first.
func (a WebhookAttempt) Key() Key { return TimeKey(a.At, a.ID) }

// WebhookLog pages an endpoint's delivery log.
var WebhookLog = PageList{name: "wl", timed: true}

// WebhookOutcome is what one attempt found, and what becomes of the
// delivery: State "delivered", "failed" (given up) or "pending" again at
// NextAttemptAt.
type WebhookOutcome struct {
	At            time.Time
	Status        *int
	Response      string
	Error         string
	Duration      time.Duration
	State         string
	NextAttemptAt time.Time
}

// RecordWebhookAttempt logs an attempt of a claimed delivery and moves
// the delivery on.
func (s *Store) RecordWebhookAttempt(ctx context.Context, d *WebhookDue, o WebhookOutcome) error {
	_, err := s.q.ExecContext(ctx, `
		WITH a AS (INSERT INTO webhook_attempts (delivery_id, endpoint_id, at, status, response, error, duration_ms)
		           VALUES ($1, $2, $3, $4, $5, $6, $7))
		UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $4, state = $8, next_attempt_at = $9,
		       finished_at = CASE WHEN $8 = 'pending' THEN NULL ELSE $3::timestamptz END
		WHERE id = $1`,
		d.ID, d.EndpointID, o.At, o.Status, o.Response, o.Error, int(o.Duration/time.Millisecond), o.State, o.NextAttemptAt)
	if err != nil {
		return fmt.Errorf("record webhook attempt of delivery %d: %w", d.ID, err)
	}
	return nil
}

// MarkWebhookEndpointHealth clears an endpoint's failing mark after a
// success, or sets it at the first failure after one; it returns since
// when the endpoint has been failing (nil: it is not).
func (s *Store) MarkWebhookEndpointHealth(ctx context.Context, endpointID int64, ok bool, now time.Time) (*time.Time, error) {
	var since *time.Time
	err := s.q.GetContext(ctx, &since, `UPDATE webhook_endpoints
		SET failing_since = CASE WHEN $2 THEN NULL ELSE COALESCE(failing_since, $3) END
		WHERE id = $1 RETURNING failing_since`, endpointID, ok, now)
	if err != nil {
		return nil, fmt.Errorf("mark webhook endpoint %d: %w", endpointID, notFound(err))
	}
	return since, nil
}

// WebhookLogPage lists one page of an endpoint's attempts, newest first.
func (s *Store) WebhookLogPage(ctx context.Context, endpointID int64, from *Key, limit int) ([]WebhookAttempt, bool, error) {
	limit = pageLimit(limit)
	afterAt, afterID := after(from)
	var rows []WebhookAttempt
	err := s.q.SelectContext(ctx, &rows, `
		SELECT a.id, a.delivery_id, a.endpoint_id, a.at, a.status, a.response, a.error, a.duration_ms,
		       d.manual, d.state, ev.msg_id, ev.type, ev.body
		FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id JOIN webhook_events ev ON ev.id = d.event_id
		WHERE a.endpoint_id = $1 AND ($2::timestamptz IS NULL OR (a.at, a.id) < ($2::timestamptz, $3::bigint))
		ORDER BY a.at DESC, a.id DESC LIMIT $4`, endpointID, afterAt, afterID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("webhook log of endpoint %d: %w", endpointID, err)
	}
	rows, more := cut(rows, limit)
	return rows, more, nil
}

// WebhookQueue counts an endpoint's deliveries waiting to go out.
func (s *Store) WebhookQueue(ctx context.Context, endpointID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND state = 'pending'`, endpointID)
	if err != nil {
		return 0, fmt.Errorf("webhook queue of endpoint %d: %w", endpointID, err)
	}
	return n, nil
}

// DeleteOldWebhookEvents deletes events (with their deliveries and log)
// older than before whose deliveries are all finished, at most limit.
func (s *Store) DeleteOldWebhookEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM webhook_events WHERE id IN (
		SELECT ev.id FROM webhook_events ev WHERE ev.created_at < $1
		  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ev.id AND d.state = 'pending')
		ORDER BY ev.created_at LIMIT $2)`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old webhook events: %w", err)
	}
	return res.RowsAffected()
}

// GrantRowByID returns one grant, open or revoked, with its names (for
// the payload of a webhook event).
func (s *Store) GrantRowByID(ctx context.Context, id int64) (*GrantRow, error) {
	var r GrantRow
	if err := s.q.GetContext(ctx, &r, grantRowSelect+` WHERE gr.id = $1`, id); err != nil {
		return nil, fmt.Errorf("grant %d: %w", id, notFound(err))
	}
	return &r, nil
}

// DeliveryOf returns the delivery of an event to an endpoint.
func (s *Store) DeliveryOf(ctx context.Context, eventID, endpointID int64) (int64, error) {
	var id int64
	err := s.q.GetContext(ctx, &id, `SELECT id FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2 ORDER BY id LIMIT 1`, eventID, endpointID)
	if err != nil {
		return 0, fmt.Errorf("delivery of event %d to endpoint %d: %w", eventID, endpointID, notFound(err))
	}
	return id, nil
}
