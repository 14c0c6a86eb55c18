package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// SandboxWorkOrder is a work order a partner wrote in the sandbox: one it
// opened, or a generated one whose status it changed.
type SandboxWorkOrder struct {
	ID        string    `db:"id"`
	Body      []byte    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
}

// SandboxWorkOrders lists a partner's sandbox work orders, newest first.
func (s *Store) SandboxWorkOrders(ctx context.Context, partnerID int64) ([]SandboxWorkOrder, error) {
	var ws []SandboxWorkOrder
	err := s.q.SelectContext(ctx, &ws, `
		SELECT id, body, created_at FROM sandbox_work_orders WHERE partner_id = $1
		ORDER BY created_at DESC, id DESC`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("sandbox work orders of partner %d: %w", partnerID, err)
	}
	return ws, nil
}

// SandboxWorkOrder returns one of a partner's sandbox work orders; lock
// also locks its row until the transaction ends.
func (s *Store) SandboxWorkOrder(ctx context.Context, partnerID int64, id string, lock bool) (*SandboxWorkOrder, error) {
	q := `SELECT id, body, created_at FROM sandbox_work_orders WHERE partner_id = $1 AND id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	var w SandboxWorkOrder
	if err := s.q.GetContext(ctx, &w, q, partnerID, id); err != nil {
		return nil, fmt.Errorf("sandbox work order %s: %w", id, notFound(err))
	}
	return &w, nil
}

// InsertSandboxWorkOrder stores a work order unless the partner has one
// with this id already, and reports whether it did.
func (s *Store) InsertSandboxWorkOrder(ctx context.Context, partnerID int64, id string, body []byte, alarmID *string, createdAt time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO sandbox_work_orders (partner_id, id, body, alarm_id, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (partner_id, id) DO NOTHING`, partnerID, id, body, alarmID, createdAt)
	if err != nil {
		return false, fmt.Errorf("store sandbox work order %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UpdateSandboxWorkOrder replaces the body of a stored work order.
func (s *Store) UpdateSandboxWorkOrder(ctx context.Context, partnerID int64, id string, body []byte) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE sandbox_work_orders SET body = $3, updated_at = now() WHERE partner_id = $1 AND id = $2`, partnerID, id, body)
	if err != nil {
		return fmt.Errorf("update sandbox work order %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update sandbox work order %s: %w", id, ErrNotFound)
	}
	return nil
}

// SandboxAlarmWorkOrders maps each of the given alarm ids to the newest
// stored work order of the partner opened for it.
func (s *Store) SandboxAlarmWorkOrders(ctx context.Context, partnerID int64, alarmIDs []string) (map[string]string, error) {
	var rows []struct {
		AlarmID string `db:"alarm_id"`
		ID      string `db:"id"`
	}
	err := s.q.SelectContext(ctx, &rows, `
		SELECT DISTINCT ON (alarm_id) alarm_id, id FROM sandbox_work_orders
		WHERE partner_id = $1 AND alarm_id = ANY($2)
		ORDER BY alarm_id, created_at DESC, id DESC`, partnerID, pq.StringArray(alarmIDs))
	if err != nil {
		return nil, fmt.Errorf("sandbox work orders of alarms: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.AlarmID] = r.ID
	}
	return out, nil
}

// NextSandboxCounter increments a partner's named sandbox counter and
// returns its new value (1 the first time).
func (s *Store) NextSandboxCounter(ctx context.Context, partnerID int64, name string) (int64, error) {
	var v int64
	err := s.q.GetContext(ctx, &v, `
		INSERT INTO sandbox_counters (partner_id, name, value) VALUES ($1, $2, 1)
		ON CONFLICT (partner_id, name) DO UPDATE SET value = sandbox_counters.value + 1
		RETURNING value`, partnerID, name)
	if err != nil {
		return 0, fmt.Errorf("sandbox counter %s: %w", name, err)
	}
	return v, nil
}

// ResetSandbox deletes everything a partner wrote in the sandbox and
// returns the number of work orders deleted.
func (s *Store) ResetSandbox(ctx context.Context, partnerID int64) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sandbox_work_orders WHERE partner_id = $1`, partnerID)
	if err != nil {
		return 0, fmt.Errorf("reset sandbox of partner %d: %w", partnerID, err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.q.ExecContext(ctx, `DELETE FROM sandbox_counters WHERE partner_id = $1`, partnerID); err != nil {
		return 0, fmt.Errorf("reset sandbox counters of partner %d: %w", partnerID, err)
	}
	return n, nil
}
