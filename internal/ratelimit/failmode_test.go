package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var errDown = errors.New("dial tcp 10.0.0.9:6379: i/o timeout")

// flaky is a backend that fails while down is set, counting its calls.
type flaky struct {
	down  atomic.Bool
	calls atomic.Int64
}

func (f *flaky) Allow(ctx context.Context, key string, perMinute int) (Decision, error) {
	f.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	if f.down.Load() {
		return Decision{}, errDown
	}
	return Decision{Allowed: true, Limit: perMinute, Remaining: perMinute - 1, Reset: time.Second}, nil
}

func (f *flaky) Use(ctx context.Context, key string, limit int64, now time.Time) (int64, bool, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return 0, false, errDown
	}
	return 7, true, nil
}

func TestFailModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode      FailMode
		want      Decision
		wantErr   bool
		wantQuota bool
		wantLog   string
	}{
		{FailOpen, Decision{Allowed: true, Limit: 10, Degraded: true}, false, true, "allowing calls unchecked (PORTICO_RATELIMIT_FAILURE=open)"},
		{FailClosed, Decision{Limit: 10, RetryAfter: time.Second, Degraded: true}, true, false, "refusing calls with 503 (PORTICO_RATELIMIT_FAILURE=closed)"},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			t.Parallel()
			var logs strings.Builder
			log := slog.New(slog.NewTextHandler(&logs, nil))
			backend := &flaky{}
			l := WithFailMode(backend, tc.mode, log)
			q := QuotaWithFailMode(backend, tc.mode, log)
			ctx := context.Background()

			d, err := l.Allow(ctx, "k", 10)
			if diff := cmp.Diff(Decision{Allowed: true, Limit: 10, Remaining: 9, Reset: time.Second}, d); diff != "" || err != nil {
				t.Fatalf("backend up: %v (-want +got):\n%s", err, diff)
			}
			backend.down.Store(true)
			d, err = l.Allow(ctx, "k", 10)
			if diff := cmp.Diff(tc.want, d); diff != "" {
				t.Errorf("backend down (-want +got):\n%s", diff)
			}
			if (err != nil) != tc.wantErr || (err != nil && (!errors.Is(err, ErrUnavailable) || !errors.Is(err, errDown))) {
				t.Errorf("backend down: err = %v, want error %v wrapping ErrUnavailable and the cause", err, tc.wantErr)
			}
			used, ok, err := q.Use(ctx, "k", 10, time.Now())
			if ok != tc.wantQuota || used != 0 || (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrUnavailable)) {
				t.Errorf("quota with backend down = %d, %v, %v", used, ok, err)
			}
			if d, err := l.Allow(ctx, "k", 0); !d.Allowed || err != nil {
				t.Errorf("unlimited call with backend down = %+v, %v; want allowed", d, err)
			}
			if _, ok, err := q.Use(ctx, "k", 0, time.Now()); !ok || err != nil {
				t.Errorf("call without a quota with backend down = %v, %v; want allowed", ok, err)
			}
			if !strings.Contains(logs.String(), tc.wantLog) || !strings.Contains(logs.String(), "i/o timeout") {
				t.Errorf("log does not say what happens and why:\n%s", logs.String())
			}
		})
	}
}

func TestFailModeBreakerAndLogPacing(t *testing.T) {
	t.Parallel()
	c := newClock()
	var logs strings.Builder
	backend := &flaky{}
	l := WithFailMode(backend, FailOpen, slog.New(slog.NewTextHandler(&logs, nil))).(*failSafeLimiter)
	l.g.now = c.now
	ctx := context.Background()

	backend.down.Store(true)
	// 25 s of an outage at 100 calls a second.
	for range 2500 {
		if d, err := l.Allow(ctx, "k", 10); !d.Allowed || err != nil {
			t.Fatalf("FailOpen refused: %+v, %v", d, err)
		}
		c.advance(10 * time.Millisecond)
	}
	// The backend is asked once per breakerCooldown, not once per call.
	if n := backend.calls.Load(); n < 24 || n > 26 {
		t.Errorf("backend asked %d times in 25 s of outage, want about one a second", n)
	}
	// Logged at 0 s, 10 s and 20 s, each line counting the failed calls.
	if n := strings.Count(logs.String(), "level=ERROR"); n != 3 {
		t.Errorf("%d error lines in 25 s, want 3 (one per 10 s):\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "failed_calls=1000") && !strings.Contains(logs.String(), "failed_calls=1001") {
		t.Errorf("second line does not count the calls since the first:\n%s", logs.String())
	}

	backend.down.Store(false)
	c.advance(breakerCooldown)
	if d, _ := l.Allow(ctx, "k", 10); d.Degraded {
		t.Error("still degraded after the backend came back")
	}
	if !strings.Contains(logs.String(), "backend is answering again") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
	before := backend.calls.Load()
	for range 10 {
		l.Allow(ctx, "k", 10)
	}
	if backend.calls.Load()-before != 10 {
		t.Error("backend skipped while healthy")
	}
}

func TestFailModeIgnoresTheCallersOwnCancellation(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	backend := &flaky{}
	l := WithFailMode(backend, FailClosed, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Allow(ctx, "k", 10); !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Errorf("cancelled call: err = %v, want context.Canceled only", err)
	}
	if d, err := l.Allow(context.Background(), "k", 10); err != nil || d.Degraded {
		t.Errorf("a caller's cancellation tripped the breaker: %+v, %v", d, err)
	}
	if logs.Len() != 0 {
		t.Errorf("a caller's cancellation was logged as an outage:\n%s", logs.String())
	}
}

func TestFailModeOverMemoryAddsNothing(t *testing.T) {
	l := WithFailMode(NewMemory(), FailClosed, nil)
	ctx := context.Background()
	l.Allow(ctx, "k", 5)
	allocs := testing.AllocsPerRun(1000, func() { l.Allow(ctx, "k", 1<<30) })
	if allocs != 0 {
		t.Errorf("wrapped memory limiter allocates %v times per call", allocs)
	}
}
