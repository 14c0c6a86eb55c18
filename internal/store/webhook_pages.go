package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// WebhookQueueSizes counts the deliveries waiting to go out to each of
// the endpoints ids, in one query for a list page; an endpoint with none
// is left out of the map.
func (s *Store) WebhookQueueSizes(ctx context.Context, ids []int64) (map[int64]int, error) {
	var rows []struct {
		ID int64 `db:"endpoint_id"`
		N  int   `db:"n"`
	}
	err := s.q.SelectContext(ctx, &rows, `SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
		WHERE endpoint_id = ANY ($1) AND state = 'pending' GROUP BY endpoint_id`, pq.Int64Array(ids))
	if err != nil {
		return nil, fmt.Errorf("webhook queues: %w", err)
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.ID] = r.N
	}
	return out, nil
}

// PartnerChoice is a partner as a select offers it.
type PartnerChoice struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// MaxPartnerChoices bounds the partners a select lists.
const MaxPartnerChoices = 500

// WebhookPartnerChoices lists, by name, the partners whose events a staff
// member's endpoint may be narrowed to: those managerID manages, or
// (all, a platform admin) every partner whose partnership has not ended;
// at most MaxPartnerChoices.
func (s *Store) WebhookPartnerChoices(ctx context.Context, managerID int64, all bool) ([]PartnerChoice, error) {
	var out []PartnerChoice
	err := s.q.SelectContext(ctx, &out, `SELECT p.id, p.name FROM partners p
		WHERE p.status <> 'ended' AND ($2 OR EXISTS (SELECT 1 FROM partner_managers m WHERE m.partner_id = p.id AND m.user_id = $1))
		ORDER BY lower(p.name), p.id LIMIT $3`, managerID, all, MaxPartnerChoices)
	if err != nil {
		return nil, fmt.Errorf("partner choices of %d: %w", managerID, err)
	}
	return out, nil
}
