package store

import (
	"context"
	"database/sql"
	"errors"
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

// ErrDeliveryPending is a delivery still waiting to go out: sending it
// "again" would send it twice.
var ErrDeliveryPending = errors.New("the delivery is still queued")

// QueueWebhookAgain queues a manual delivery of the event of delivery id
// to the same endpoint ("send again") and returns the new delivery's id;
// a delivery still pending is ErrDeliveryPending. book (an account
// manager's id, 0 for none) limits it to events of partners they manage
// now, as WebhookLogPage does.
func (s *Store) QueueWebhookAgain(ctx context.Context, endpointID, deliveryID, book int64) (int64, error) {
	var state string
	err := s.q.GetContext(ctx, &state, `SELECT d.state FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
		WHERE d.id = $1 AND d.endpoint_id = $2 AND (ev.partner_id IS NULL OR `+bookFilter("ev.partner_id", 3)+`)
		FOR SHARE OF d`, deliveryID, endpointID, book)
	if err != nil {
		return 0, fmt.Errorf("send webhook delivery %d again: %w", deliveryID, notFound(err))
	}
	if state == "pending" {
		return 0, fmt.Errorf("send webhook delivery %d again: %w", deliveryID, ErrDeliveryPending)
	}
	var id int64
	err = s.q.GetContext(ctx, &id, `INSERT INTO webhook_deliveries (endpoint_id, event_id, manual)
		SELECT endpoint_id, event_id, true FROM webhook_deliveries WHERE id = $1 RETURNING id`, deliveryID)
	if err != nil {
		return 0, fmt.Errorf("send webhook delivery %d again: %w", deliveryID, err)
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
	// The heads are gathered first (ARRAY: one index probe per enabled
	// endpoint), then looked up by id: the planner cannot choose to walk
	// the due deliveries instead, every one of a backlog.
	err := s.q.GetContext(ctx, &d, webhookDueSelect+`
		WHERE d.id = ANY (ARRAY(
		        SELECT (SELECT h.id FROM webhook_deliveries h
		                WHERE h.endpoint_id = he.id AND h.state = 'pending' AND NOT h.manual
		                ORDER BY h.id LIMIT 1)
		        FROM webhook_endpoints he WHERE he.enabled))
		  AND d.state = 'pending' AND d.next_attempt_at <= $1 AND e.enabled
		ORDER BY d.next_attempt_at, d.id
		LIMIT 1
		FOR NO KEY UPDATE OF d, e SKIP LOCKED`, now)
	if !errors.Is(err, sql.ErrNoRows) {
		if err != nil {
			return nil, fmt.Errorf("claim webhook delivery: %w", err)
		}
		return &d, nil
	}
	// Manual deliveries are sent at once by SendNow; one is left pending
	// only when that could not claim it. Looking for them reads the due
	// deliveries, so only when no head is due.
	err = s.q.GetContext(ctx, &d, webhookDueSelect+`
		WHERE d.state = 'pending' AND d.manual AND d.next_attempt_at <= $1 AND e.enabled
		ORDER BY d.next_attempt_at, d.id
		LIMIT 1
		FOR NO KEY UPDATE OF d, e SKIP LOCKED`, now)
	if err != nil {
		return nil, fmt.Errorf("claim webhook delivery: %w", notFound(err))
	}
	return &d, nil
}

// LeaseWebhookDelivery takes one pending manual delivery of an enabled
// endpoint for a send by hand: it is kept from the workers until
// leaseUntil, and returned with what it takes to send it. ErrNotFound when
// a worker holds it or it is not pending.
func (s *Store) LeaseWebhookDelivery(ctx context.Context, id int64, leaseUntil time.Time) (*WebhookDue, error) {
	var d WebhookDue
	err := s.q.GetContext(ctx, &d, webhookDueSelect+`
		WHERE d.id = $1 AND d.state = 'pending' AND d.manual AND e.enabled FOR NO KEY UPDATE OF d SKIP LOCKED`, id)
	if err != nil {
		return nil, fmt.Errorf("lease webhook delivery %d: %w", id, notFound(err))
	}
	if _, err := s.q.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id = $1`, id, leaseUntil); err != nil {
		return nil, fmt.Errorf("lease webhook delivery %d: %w", id, err)
	}
	return &d, nil
}

// ManualSendsSince counts the deliveries sent by hand to an endpoint
// since a time, after taking a lock that serialises the count per
// endpoint for the rest of the transaction (a limit of sends by hand).
func (s *Store) ManualSendsSince(ctx context.Context, endpointID int64, since time.Time) (int, error) {
	if _, err := s.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('webhook_manual:' || $1::text, 0))`, endpointID); err != nil {
		return 0, fmt.Errorf("lock sends by hand to endpoint %d: %w", endpointID, err)
	}
	var n int
	err := s.q.GetContext(ctx, &n, `SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries
		WHERE endpoint_id = $1 AND manual AND created_at >= $2 LIMIT 100) d`, endpointID, since)
	if err != nil {
		return 0, fmt.Errorf("count sends by hand to endpoint %d: %w", endpointID, err)
	}
	return n, nil
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

// WebhookLogPage lists one page of an endpoint's attempts, newest first;
// book (an account manager's id, 0 for none) keeps to the events of the
// partners they manage now: a partner handed over takes its log along.
func (s *Store) WebhookLogPage(ctx context.Context, endpointID, book int64, from *Key, limit int) ([]WebhookAttempt, bool, error) {
	limit = pageLimit(limit)
	afterAt, afterID := after(from)
	var rows []WebhookAttempt
	err := s.q.SelectContext(ctx, &rows, `
		SELECT a.id, a.delivery_id, a.endpoint_id, a.at, a.status, a.response, a.error, a.duration_ms,
		       d.manual, d.state, ev.msg_id, ev.type, ev.body
		FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id JOIN webhook_events ev ON ev.id = d.event_id
		WHERE a.endpoint_id = $1 AND ($2::timestamptz IS NULL OR (a.at, a.id) < ($2::timestamptz, $3::bigint))
		  AND (ev.partner_id IS NULL OR `+bookFilter("ev.partner_id", 5)+`)
		ORDER BY a.at DESC, a.id DESC LIMIT $4`, endpointID, afterAt, afterID, limit+1, book)
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

// OpenTeamGrants lists a team's open grants (ended with the team when it
// is deleted).
func (s *Store) OpenTeamGrants(ctx context.Context, teamID int64) ([]GrantRow, error) {
	var rs []GrantRow
	if err := s.q.SelectContext(ctx, &rs, grantRowSelect+` WHERE gr.team_id = $1 AND gr.revoked_at IS NULL ORDER BY gr.id`, teamID); err != nil {
		return nil, fmt.Errorf("open grants of team %d: %w", teamID, err)
	}
	return rs, nil
}
