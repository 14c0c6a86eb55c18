package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// FailMode says what to do with a call when the limiter's backend cannot
// decide (PORTICO_RATELIMIT_FAILURE).
type FailMode int

const (
	// FailOpen allows the call unchecked and logs the outage loudly. The
	// default: a Redis outage must not take the partner APIs down with it.
	FailOpen FailMode = iota
	// FailClosed refuses the call: the gateway answers 503.
	FailClosed
)

func (m FailMode) String() string {
	if m == FailClosed {
		return "closed"
	}
	return "open"
}

// ErrUnavailable is returned, wrapped, by the limiters of WithFailMode and
// QuotaWithFailMode in FailClosed mode when the backend cannot decide; the
// gateway answers 503 with the Decision's Retry-After.
var ErrUnavailable = errors.New("ratelimit: limiter backend unavailable")

const (
	// logEvery spaces the failure log lines of one wrapper.
	logEvery = 10 * time.Second
	// breakerCooldown is how long after a backend failure the wrapper
	// applies its failure mode without asking the backend again, so an
	// outage costs one timeout per second rather than one per request.
	breakerCooldown = time.Second
	// closedRetryAfter is the Retry-After of a refusal in FailClosed mode.
	closedRetryAfter = time.Second
)

// WithFailMode wraps l so that a backend failure (an error from l) turns
// into the configured failure mode:
//
//   - FailOpen: the call is allowed with a Degraded decision and no error.
//   - FailClosed: a Degraded refusal (RetryAfter one second) and an error
//     wrapping ErrUnavailable, for a 503.
//
// Either way the outage is logged at error level at most once per 10 s
// (with the number of failed calls), and its end once. After a failure the
// backend is left alone for a second, during which calls get the failure
// mode at once: a down backend adds at most its timeout to one call per
// second. A call whose own context ended is not the backend's fault: its
// error is returned as is and trips nothing.
func WithFailMode(l Limiter, mode FailMode, log *slog.Logger) Limiter {
	return &failSafeLimiter{l: l, g: newGuard(mode, log, "rate limit")}
}

// QuotaWithFailMode is WithFailMode for a Quota: FailOpen counts nothing
// and allows (used is 0, unknown); FailClosed refuses with an error
// wrapping ErrUnavailable, except calls without a quota (limit <= 0), which
// are allowed uncounted in either mode.
func QuotaWithFailMode(q Quota, mode FailMode, log *slog.Logger) Quota {
	return &failSafeQuota{q: q, g: newGuard(mode, log, "monthly quota")}
}

type failSafeLimiter struct {
	l Limiter
	g *guard
}

func (f *failSafeLimiter) Allow(ctx context.Context, key string, perMinute int) (Decision, error) {
	if perMinute <= 0 { // no limit: nothing to ask, nothing to refuse
		return Decision{Allowed: true}, nil
	}
	if f.g.tripped() {
		return f.fallback(perMinute, nil)
	}
	d, err := f.l.Allow(ctx, key, perMinute)
	if err == nil {
		f.g.succeeded()
		return d, nil
	}
	if ctx.Err() != nil {
		return Decision{}, err
	}
	f.g.failed(err)
	return f.fallback(perMinute, err)
}

func (f *failSafeLimiter) fallback(perMinute int, err error) (Decision, error) {
	d := Decision{Limit: max(perMinute, 0), Degraded: true}
	if f.g.mode == FailOpen {
		d.Allowed = true
		return d, nil
	}
	d.RetryAfter = closedRetryAfter
	return d, unavailable(err)
}

type failSafeQuota struct {
	q Quota
	g *guard
}

func (f *failSafeQuota) Use(ctx context.Context, key string, limit int64, now time.Time) (int64, bool, error) {
	if f.g.tripped() {
		return f.fallback(limit, nil)
	}
	used, ok, err := f.q.Use(ctx, key, limit, now)
	if err == nil {
		f.g.succeeded()
		return used, ok, nil
	}
	if ctx.Err() != nil {
		return 0, false, err
	}
	f.g.failed(err)
	return f.fallback(limit, err)
}

// fallback allows an unlimited call in either mode: only counting failed.
func (f *failSafeQuota) fallback(limit int64, err error) (int64, bool, error) {
	if f.g.mode == FailOpen || limit <= 0 {
		return 0, true, nil
	}
	return 0, false, unavailable(err)
}

func unavailable(err error) error {
	if err == nil {
		return ErrUnavailable
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// guard holds a wrapper's outage state: a short circuit breaker and the
// rate-limited logging.
type guard struct {
	mode FailMode
	log  *slog.Logger
	what string
	now  func() time.Time

	down      atomic.Bool
	openUntil atomic.Int64 // Unix nanoseconds until which the backend is skipped
	nextLog   atomic.Int64 // Unix nanoseconds before which failures are only counted
	failures  atomic.Int64 // failed calls since the last log line
}

func newGuard(mode FailMode, log *slog.Logger, what string) *guard {
	if log == nil {
		log = slog.Default()
	}
	return &guard{mode: mode, log: log, what: what, now: time.Now}
}

// tripped reports whether the backend failed less than breakerCooldown ago.
func (g *guard) tripped() bool {
	if !g.down.Load() {
		return false
	}
	if g.now().UnixNano() < g.openUntil.Load() {
		g.failures.Add(1)
		return true
	}
	return false
}

func (g *guard) succeeded() {
	if g.down.Load() && g.down.CompareAndSwap(true, false) {
		g.log.Warn(g.what+" backend is answering again", "failed_calls", g.failures.Swap(0))
		g.nextLog.Store(0)
	}
}

func (g *guard) failed(err error) {
	now := g.now().UnixNano()
	g.openUntil.Store(now + int64(breakerCooldown))
	g.down.Store(true)
	n := g.failures.Add(1)
	next := g.nextLog.Load()
	if now < next || !g.nextLog.CompareAndSwap(next, now+int64(logEvery)) {
		return
	}
	g.failures.Add(-n)
	if g.mode == FailOpen {
		g.log.Error(g.what+" backend unavailable: allowing calls unchecked (PORTICO_RATELIMIT_FAILURE=open)",
			"err", err, "failed_calls", n)
		return
	}
	g.log.Error(g.what+" backend unavailable: refusing calls with 503 (PORTICO_RATELIMIT_FAILURE=closed)",
		"err", err, "failed_calls", n)
}
