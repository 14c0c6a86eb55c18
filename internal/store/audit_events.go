package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEvent is one entry of the portal's audit trail.
type AuditEvent struct {
	ID         int64           `db:"id"`
	At         time.Time       `db:"at"`
	ActorID    *int64          `db:"actor_id"`
	Actor      string          `db:"actor"`
	PartnerID  *int64          `db:"partner_id"`
	Action     string          `db:"action"`
	TargetType string          `db:"target_type"`
	TargetID   *int64          `db:"target_id"`
	Target     string          `db:"target"`
	Details    json.RawMessage `db:"details"`
	IP         *string         `db:"ip"`
	RequestID  string          `db:"request_id"`
}

// InsertAuditEvent appends e to the trail; At, ID and an empty Details are
// filled in by the database, and an empty Actor with the actor's email.
func (s *Store) InsertAuditEvent(ctx context.Context, e AuditEvent) error {
	if len(e.Details) == 0 {
		e.Details = json.RawMessage(`{}`)
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO audit_events (actor_id, actor, partner_id, action, target_type, target_id, target, details, ip, request_id)
		VALUES ($1, COALESCE(NULLIF($2, ''), (SELECT email FROM users WHERE id = $1), ''), $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.ActorID, e.Actor, e.PartnerID, e.Action, e.TargetType, e.TargetID, e.Target, []byte(e.Details), e.IP, e.RequestID)
	if err != nil {
		return fmt.Errorf("insert audit event %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter narrows ListAuditEvents. PartnerID 0 means every partner
// and the provider's own events.
type AuditFilter struct {
	PartnerID int64
	Action    string
	Limit     int
}

// ListAuditEvents returns the newest events first.
func (s *Store) ListAuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var es []AuditEvent
	err := s.q.SelectContext(ctx, &es, `
		SELECT id, at, actor_id, actor, partner_id, action, target_type, target_id, target, details, host(ip) AS ip, request_id
		FROM audit_events
		WHERE ($1 = 0 OR partner_id = $1) AND ($2 = '' OR action = $2)
		ORDER BY at DESC, id DESC
		LIMIT $3`, f.PartnerID, f.Action, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return es, nil
}
