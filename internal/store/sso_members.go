package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// UsersSigningInThroughSSO returns which of the users have an identity
// linked at an identity provider (they sign in through it), in one query
// for a whole page of members.
func (s *Store) UsersSigningInThroughSSO(ctx context.Context, userIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := s.q.SelectContext(ctx, &ids, `SELECT user_id FROM user_identities WHERE user_id = ANY($1)`, pq.Int64Array(userIDs))
	if err != nil {
		return nil, fmt.Errorf("users signing in through sso: %w", err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
