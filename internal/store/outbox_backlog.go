package store

import (
	"context"
	"fmt"
)

// OutboxBacklog counts the mails waiting to be delivered (pending, or
// being sent), up to limit: the metrics listener reads it at every scrape,
// so its cost is bounded by limit rows of the outbox_due partial index
// however far behind delivery is.
func (s *Store) OutboxBacklog(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(*) FROM (
			SELECT 1 FROM outbox WHERE status IN ('pending', 'sending') LIMIT $1
		) AS waiting`, limit)
	if err != nil {
		return 0, fmt.Errorf("outbox backlog: %w", err)
	}
	return n, nil
}
