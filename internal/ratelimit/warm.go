package ratelimit

import (
	"context"
	"fmt"

	"github.com/go-redis/redis_rate/v10"
)

// Warm readies the limiter before a node serves: it opens a connection to
// Redis and has Redis load the limiter's script (a call of cost 0 on a key
// of its own, which stores nothing). Without it the first calls of a fresh
// node spend their DefaultTimeout on the dial and the script's load, time
// out on a busy machine, and trip WithFailMode for a second: every call of
// that second unlimited (fail open) or refused with 503 (fail closed), at
// every start.
func (r *Redis) Warm(ctx context.Context) error {
	if _, err := r.limiter.AllowN(ctx, keyPrefix+"warm-up", redis_rate.PerMinute(1), 0); err != nil {
		return fmt.Errorf("ratelimit: redis: %w", err)
	}
	return nil
}

// Warm readies the quota counter as Redis.Warm does the limiter: a
// connection, and its script loaded.
func (q *RedisQuota) Warm(ctx context.Context) error {
	if err := quotaScript.Load(ctx, q.client).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis quota: %w", err)
	}
	return nil
}
