package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/redistest"
)

// node is one gateway node's view of a Redis: its own client.
func node(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c, err := NewRedisClient("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// backends runs f against the in-process limiter and against Redis.
func backends(t *testing.T, f func(t *testing.T, l Limiter)) {
	t.Run("memory", func(t *testing.T) { t.Parallel(); f(t, NewMemory()) })
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		f(t, NewRedis(node(t, redistest.Start(t)), time.Second))
	})
}

func TestBurstThenRefusalOnEveryBackend(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, l Limiter) {
		ctx := context.Background()
		for _, limit := range []int{1, 3, 10} {
			key := fmt.Sprint("partner-1/group-", limit)
			interval := Window / time.Duration(limit)
			var remaining []int
			for range limit {
				d, err := l.Allow(ctx, key, limit)
				if err != nil {
					t.Fatal(err)
				}
				if !d.Allowed || d.Limit != limit || d.Reset <= 0 || d.Reset > Window {
					t.Fatalf("limit %d: burst call refused or odd: %+v", limit, d)
				}
				remaining = append(remaining, d.Remaining)
			}
			var want []int
			for i := limit - 1; i >= 0; i-- {
				want = append(want, i)
			}
			if diff := cmp.Diff(want, remaining); diff != "" {
				t.Errorf("limit %d: Remaining over the burst (-want +got):\n%s", limit, diff)
			}
			d, err := l.Allow(ctx, key, limit)
			if err != nil {
				t.Fatal(err)
			}
			// Redis's clock moved on a little during the burst.
			if d.Allowed || d.Remaining != 0 || d.RetryAfter <= interval-time.Second || d.RetryAfter > interval {
				t.Errorf("limit %d: call after the burst = %+v, want refused with RetryAfter about %v", limit, d, interval)
			}
			if d.Reset <= Window-time.Second || d.Reset > Window {
				t.Errorf("limit %d: Reset = %v after the burst, want about %v", limit, d.Reset, Window)
			}
		}
		if d, _ := l.Allow(ctx, "partner-2/group-1", 1); !d.Allowed {
			t.Error("another key was refused")
		}
		if d, err := l.Allow(ctx, "partner-1/group-1", 0); !d.Allowed || err != nil {
			t.Errorf("unlimited call = %+v, %v", d, err)
		}
	})
}

func TestRedisRefillsOverTime(t *testing.T) {
	t.Parallel()
	l := NewRedis(node(t, redistest.Start(t)), time.Second)
	ctx := context.Background()
	const limit = 240 // one call back every 250 ms
	var d Decision
	for i := 0; ; i++ {
		var err error
		if d, err = l.Allow(ctx, "k", limit); err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			break
		}
		if i > limit {
			t.Fatalf("%d calls allowed of a limit of %d", i, limit)
		}
	}
	time.Sleep(d.RetryAfter + 20*time.Millisecond)
	if d, _ := l.Allow(ctx, "k", limit); !d.Allowed {
		t.Fatalf("refused after waiting Retry-After: %+v", d)
	}
	if d, _ := l.Allow(ctx, "k", limit); d.Allowed {
		t.Fatalf("a second call allowed right after the regained one: %+v", d)
	}
}

func TestRedisNodesShareOneLimit(t *testing.T) {
	t.Parallel()
	addr := redistest.Start(t)
	nodes := []Limiter{NewRedis(node(t, addr), time.Second), NewRedis(node(t, addr), time.Second)}
	ctx := context.Background()
	const limit = 10
	allowed := map[int]int{}
	for i := range 3 * limit {
		d, err := nodes[i%2].Allow(ctx, "partner-7/group-1", limit)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed[i%2]++
		}
	}
	if diff := cmp.Diff(map[int]int{0: 5, 1: 5}, allowed); diff != "" {
		t.Errorf("calls allowed per node (-want +got):\n%s", diff)
	}

	// Concurrently too: 4 nodes × 50 calls on a limit of 60.
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for range 4 {
		l := NewRedis(node(t, addr), time.Second)
		wg.Go(func() {
			for range 50 {
				d, err := l.Allow(ctx, "partner-8/group-1", 60)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					mu.Lock()
					total++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if total != 60 {
		t.Errorf("4 nodes allowed %d calls on a shared limit of 60", total)
	}
}

func TestRedisDownFailsFastAndFailModeApplies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		down func(*redistest.Server) error
	}{
		{"stopped", func(s *redistest.Server) error { s.Stop(); return nil }},
		{"hung", (*redistest.Server).Pause}, // accepts connections, answers nothing
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.StartServer(t)
			t.Cleanup(func() { _ = srv.Resume() })
			client := node(t, srv.Addr)
			ctx := context.Background()
			raw := NewRedis(client, 50*time.Millisecond)
			quota := NewRedisQuota(client, 50*time.Millisecond)
			if _, err := raw.Allow(ctx, "k", 10); err != nil { // a pooled connection now exists
				t.Fatal(err)
			}
			if err := tc.down(srv); err != nil {
				t.Fatal(err)
			}

			start := time.Now()
			_, err := raw.Allow(ctx, "k", 10)
			if took := time.Since(start); err == nil || took > time.Second {
				t.Fatalf("Allow with Redis %s: err %v after %v, want an error within 1 s", tc.name, err, took)
			} else {
				t.Logf("Allow with Redis %s failed after %v: %v", tc.name, took, err)
			}
			start = time.Now()
			_, _, err = quota.Use(ctx, "k", 10, time.Now())
			if took := time.Since(start); err == nil || took > time.Second {
				t.Fatalf("quota Use with Redis %s: err %v after %v, want an error within 1 s", tc.name, err, took)
			}

			var logs strings.Builder
			log := slog.New(slog.NewTextHandler(&logs, nil))
			open := WithFailMode(raw, FailOpen, log)
			d, err := open.Allow(ctx, "k", 10)
			if diff := cmp.Diff(Decision{Allowed: true, Limit: 10, Degraded: true}, d); diff != "" || err != nil {
				t.Errorf("FailOpen: %v (-want +got):\n%s", err, diff)
			}
			closed := WithFailMode(raw, FailClosed, log)
			start = time.Now()
			d, err = closed.Allow(ctx, "k", 10)
			if diff := cmp.Diff(Decision{Limit: 10, RetryAfter: time.Second, Degraded: true}, d); diff != "" || !errors.Is(err, ErrUnavailable) {
				t.Errorf("FailClosed: %v (-want +got):\n%s", err, diff)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("FailClosed took %v", took)
			}
			if _, ok, err := QuotaWithFailMode(quota, FailOpen, log).Use(ctx, "k", 10, time.Now()); !ok || err != nil {
				t.Errorf("quota FailOpen = %v, %v; want allowed", ok, err)
			}
			if _, ok, err := QuotaWithFailMode(quota, FailClosed, log).Use(ctx, "k", 10, time.Now()); ok || !errors.Is(err, ErrUnavailable) {
				t.Errorf("quota FailClosed = %v, %v; want refused with ErrUnavailable", ok, err)
			}
			if n := strings.Count(logs.String(), "level=ERROR"); n != 4 {
				t.Errorf("%d error lines logged, want one per wrapper:\n%s", n, logs.String())
			}
		})
	}
}

func TestRedisComesBack(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t)
	t.Cleanup(func() { _ = srv.Resume() })
	l := NewRedis(node(t, srv.Addr), 50*time.Millisecond)
	ctx := context.Background()
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Allow(ctx, "k", 10); err == nil {
		t.Fatal("a hung Redis answered")
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := l.Allow(ctx, "k", 10)
		if err == nil && d.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing 5 s after Redis resumed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewRedisClientRejectsBadURLWithoutEchoingIt(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://:secret@host", "redis://:secret@host:6379/notadb", "::secret"} {
		_, err := NewRedisClient(u)
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("NewRedisClient(%q) = %v; want an error that does not repeat the URL", u, err)
		}
	}
}

func TestNewRedisClientAcceptsTheURLsConfigAccepts(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"redis://127.0.0.1:6379", "redis://:pw@redis.internal:6379/2", "rediss://user:pw@redis.example.com", "unix:///run/redis/redis.sock"} {
		c, err := NewRedisClient(u)
		if err != nil {
			t.Errorf("NewRedisClient(%q): %v", u, err)
			continue
		}
		if !c.Options().ContextTimeoutEnabled {
			t.Errorf("NewRedisClient(%q) ignores context deadlines", u)
		}
		c.Close()
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	l := NewRedis(node(b, redistest.Start(b)), time.Second)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Allow(ctx, "partner-42/group-7", 1<<30); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedisAllowParallel(b *testing.B) {
	l := NewRedis(node(b, redistest.Start(b)), time.Second)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Allow(ctx, "partner-42/group-7", 1<<30); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
