package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// DefaultTimeout bounds each Redis call when no timeout is given: a Redis
// that is down or hung costs a request at most this long.
const DefaultTimeout = 50 * time.Millisecond

// keyPrefix keeps Portico's keys apart from anything else in the Redis.
// The rate limiter's keys end up as "rate:portico:KEY" (redis_rate adds
// "rate:"), the quotas' as "portico:quota:KEY:YYYYMM".
const keyPrefix = "portico:"

// NewRedisClient connects to the Redis at redisURL (redis://, rediss:// or
// unix://) with the option Redis and RedisQuota rely on: the client honours
// each call's context deadline (ContextTimeoutEnabled), so a hung Redis
// costs a call the limiter's timeout and no more. The error never repeats
// the URL, which may hold a password.
func NewRedisClient(redisURL string) (*redis.Client, error) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, errors.New("REDIS_URL is not a valid redis:// URL (example: redis://:password@redis.internal:6379/0)")
	}
	opt.ContextTimeoutEnabled = true
	return redis.NewClient(opt), nil
}

// Redis is a GCRA limiter whose state lives in Redis, so every node sharing
// the Redis shares each limit. It uses github.com/go-redis/redis_rate
// (GCRA as a Lua script run with EVALSHA, timed by the Redis server's
// clock, so the nodes' clocks do not matter).
//
// The client must honour context deadlines (ContextTimeoutEnabled, as
// NewRedisClient sets it); otherwise a hung Redis holds a call for the
// client's read timeout instead of the limiter's.
type Redis struct {
	limiter *redis_rate.Limiter
	timeout time.Duration
}

// NewRedis returns a limiter on client whose calls each give up after
// timeout (DefaultTimeout when zero or less).
func NewRedis(client redis.UniversalClient, timeout time.Duration) *Redis {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Redis{limiter: redis_rate.NewLimiter(client), timeout: timeout}
}

// Allow implements Limiter. It fails when Redis does not answer within
// the timeout.
func (r *Redis) Allow(ctx context.Context, key string, perMinute int) (Decision, error) {
	if perMinute <= 0 {
		return Decision{Allowed: true}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := r.limiter.Allow(ctx, keyPrefix+key, redis_rate.PerMinute(perMinute))
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	d := Decision{
		Allowed:   res.Allowed > 0,
		Limit:     perMinute,
		Remaining: max(res.Remaining, 0),
		Reset:     max(res.ResetAfter, 0),
	}
	if !d.Allowed {
		d.RetryAfter = max(res.RetryAfter, 0)
	}
	return d, nil
}

// quotaScript counts one call unless the quota is used up, and makes sure
// the counter expires after its month (ARGV[2], Unix seconds) even when it
// was created by someone else without an expiry.
var quotaScript = redis.NewScript(`
local used = tonumber(redis.call("GET", KEYS[1]) or "0")
local limit = tonumber(ARGV[1])
if limit > 0 and used >= limit then
  return {used, 0}
end
used = redis.call("INCR", KEYS[1])
if redis.call("TTL", KEYS[1]) < 0 then
  redis.call("EXPIREAT", KEYS[1], ARGV[2])
end
return {used, 1}
`)

// RedisQuota counts monthly quotas in Redis: one counter per key and month
// (KEY:YYYYMM, incremented by a Lua script run with EVALSHA) that expires
// QuotaMargin after the month ends. Counts survive restarts of Portico and
// are shared by every node.
type RedisQuota struct {
	client  redis.UniversalClient
	timeout time.Duration
}

// NewRedisQuota returns a quota counter on client whose calls each give up
// after timeout (DefaultTimeout when zero or less).
func NewRedisQuota(client redis.UniversalClient, timeout time.Duration) *RedisQuota {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &RedisQuota{client: client, timeout: timeout}
}

// Use implements Quota.
func (q *RedisQuota) Use(ctx context.Context, key string, limit int64, now time.Time) (int64, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	expire := monthEnd(now).Add(QuotaMargin).Unix()
	res, err := quotaScript.Run(ctx, q.client, []string{quotaKeyOf(key, now)}, limit, expire).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("ratelimit: redis quota: %w", err)
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("ratelimit: redis quota: unexpected reply %v", res)
	}
	return res[0], res[1] == 1, nil
}

// quotaKeyOf is the Redis key of key's counter in the month of now.
func quotaKeyOf(key string, now time.Time) string {
	y, m, _ := now.UTC().Date()
	b := make([]byte, 0, len(keyPrefix)+len("quota:")+len(key)+8)
	b = append(b, keyPrefix...)
	b = append(b, "quota:"...)
	b = append(b, key...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(y), 10)
	if m < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(m), 10)
	return string(b)
}
