// Package ratelimit decides whether a partner's call fits its limits:
// requests per minute per partner per access group (and optionally per
// token), and a monthly quota per partner. Limits are enforced in process
// by default, or shared by every node through Redis when REDIS_URL is set.
//
// Wiring, as the gateway is expected to do it:
//
//	var lim ratelimit.Limiter = ratelimit.NewMemory()
//	var quota ratelimit.Quota = ratelimit.NewMemoryQuota()
//	if cfg.RedisURL != "" {
//		rdb, err := ratelimit.NewRedisClient(cfg.RedisURL)
//		...
//		lim = ratelimit.NewRedis(rdb, 0)       // 0: DefaultTimeout, 50 ms
//		quota = ratelimit.NewRedisQuota(rdb, 0)
//	}
//	mode := ratelimit.FailOpen
//	if cfg.RateLimitFailClosed {
//		mode = ratelimit.FailClosed
//	}
//	lim = ratelimit.WithFailMode(lim, mode, logger)
//	quota = ratelimit.QuotaWithFailMode(quota, mode, logger)
//
// and per call:
//
//	d, err := lim.Allow(ctx, partnerID+"/"+groupID, group.PerMinute)
//	ratelimit.SetHeaders(w.Header(), "partner", d)
//	switch {
//	case err != nil:  // errors.Is(err, ratelimit.ErrUnavailable): 503
//	case !d.Allowed:  // 429
//	}
package ratelimit

import (
	"context"
	"time"
)

// Decision is the outcome of one check, with what the IETF httpapi
// RateLimit headers report.
type Decision struct {
	Allowed bool
	// Limit is the number of requests the window allows.
	Limit int
	// Remaining is what is left in the current window after this call.
	Remaining int
	// Reset is when the window has room again in full.
	Reset time.Duration
	// RetryAfter is how long a refused caller should wait.
	RetryAfter time.Duration
	// Degraded is set when no backend decided: the limiter was unreachable
	// and WithFailMode applied the configured failure mode. Remaining and
	// Reset are unknown then, and SetHeaders sends only RateLimit-Policy
	// (and Retry-After on a refusal).
	Degraded bool
}

// Limiter checks and counts one request against a per-minute limit under
// key. An error means the backend could not decide (Redis down); the
// caller applies the configured failure mode (see WithFailMode, which the
// gateway wraps every backend in). A perMinute of zero or less means no
// limit: the call is allowed, nothing is stored and Limit is 0.
type Limiter interface {
	Allow(ctx context.Context, key string, perMinute int) (Decision, error)
}
