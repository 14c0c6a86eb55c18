package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a settable time for tests.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

func TestMemoryBurstThenRefusal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, limit := range []int{1, 2, 5, 60, 1000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			m := newMemory(newClock().now)
			interval := Window / time.Duration(limit)
			for i := range limit {
				d, err := m.Allow(ctx, "p1", limit)
				if err != nil {
					t.Fatal(err)
				}
				want := Decision{Allowed: true, Limit: limit, Remaining: limit - 1 - i, Reset: time.Duration(i+1) * interval}
				if diff := cmp.Diff(want, d); diff != "" {
					t.Fatalf("call %d (-want +got):\n%s", i+1, diff)
				}
			}
			for range 3 {
				d, _ := m.Allow(ctx, "p1", limit)
				want := Decision{Allowed: false, Limit: limit, Remaining: 0, Reset: Window, RetryAfter: interval}
				if diff := cmp.Diff(want, d); diff != "" {
					t.Fatalf("call after the burst (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestMemoryRefillsOverTime(t *testing.T) {
	t.Parallel()
	// 6 per minute: a burst of 6, then one call every 10 s.
	type step struct {
		after time.Duration // clock advance before the call
		want  Decision
	}
	const limit = 6
	allowed := func(remaining int, reset time.Duration) Decision {
		return Decision{Allowed: true, Limit: limit, Remaining: remaining, Reset: reset}
	}
	refused := func(reset, retry time.Duration) Decision {
		return Decision{Limit: limit, Reset: reset, RetryAfter: retry}
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"one call regained per interval", []step{
			{5 * time.Second, refused(55*time.Second, 5*time.Second)},
			{5 * time.Second, allowed(0, 60*time.Second)},
			{0, refused(60*time.Second, 10*time.Second)},
			{9 * time.Second, refused(51*time.Second, 1*time.Second)},
			{1 * time.Second, allowed(0, 60*time.Second)},
		}},
		{"full again after a window", []step{
			{time.Minute, allowed(5, 10*time.Second)},
			{0, allowed(4, 20*time.Second)},
		}},
		{"idle longer than a window still caps at the burst", []step{
			{time.Hour, allowed(5, 10*time.Second)},
		}},
		{"half a window regains half the burst", []step{
			{30 * time.Second, allowed(2, 40*time.Second)},
			{0, allowed(1, 50*time.Second)},
			{0, allowed(0, 60*time.Second)},
			{0, refused(60*time.Second, 10*time.Second)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			m := newMemory(c.now)
			ctx := context.Background()
			for range limit {
				if d, _ := m.Allow(ctx, "k", limit); !d.Allowed {
					t.Fatal("burst refused")
				}
			}
			for i, s := range tc.steps {
				c.advance(s.after)
				d, err := m.Allow(ctx, "k", limit)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(s.want, d); diff != "" {
					t.Fatalf("step %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestMemoryKeysAreIndependent(t *testing.T) {
	t.Parallel()
	m := newMemory(newClock().now)
	ctx := context.Background()
	for range 3 {
		m.Allow(ctx, "partner-a/group-1", 3)
	}
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"partner-a/group-1", false},
		{"partner-a/group-2", true},
		{"partner-b/group-1", true},
		{"partner-a/group-1/token-9", true},
	} {
		d, _ := m.Allow(ctx, tc.key, 3)
		if d.Allowed != tc.want {
			t.Errorf("Allow(%q) = %v, want %v", tc.key, d.Allowed, tc.want)
		}
	}
}

func TestMemoryUnlimited(t *testing.T) {
	t.Parallel()
	m := NewMemory()
	for _, limit := range []int{0, -1} {
		for range 100 {
			d, err := m.Allow(context.Background(), "k", limit)
			if diff := cmp.Diff(Decision{Allowed: true}, d); diff != "" || err != nil {
				t.Fatalf("limit %d: %v (-want +got):\n%s", limit, err, diff)
			}
		}
	}
	if n := m.Len(); n != 0 {
		t.Errorf("unlimited calls stored %d keys", n)
	}
}

func TestMemoryDropsIdleKeys(t *testing.T) {
	t.Parallel()
	c := newClock()
	m := newMemory(c.now)
	ctx := context.Background()
	for i := range 2000 {
		m.Allow(ctx, fmt.Sprint("old-", i), 100)
	}
	if n := m.Len(); n != 2000 {
		t.Fatalf("Len = %d, want 2000", n)
	}
	// Two minutes on every old bucket is full again; the first call into
	// each shard sweeps it.
	c.advance(2 * time.Minute)
	for i := range 5000 {
		m.Allow(ctx, fmt.Sprint("new-", i), 100)
	}
	if n := m.Len(); n != 5000 {
		t.Errorf("Len = %d after the idle keys expired, want the 5000 new ones", n)
	}
	// A key still draining when its shard is swept keeps its state: burst
	// it 10 s before the sweep, call it just after.
	sh := &m.shards[maphash.String(m.seed, "busy")%memShards]
	sh.mu.Lock()
	due := sh.nextSweep
	sh.mu.Unlock()
	c.t.Store(m.epoch.Add(time.Duration(due) - 10*time.Second).UnixNano())
	for range 3 {
		m.Allow(ctx, "busy", 3)
	}
	c.advance(10 * time.Second)
	if d, _ := m.Allow(ctx, "busy", 3); d.Allowed {
		t.Error("a draining key lost its state in a sweep")
	}
	sh.mu.Lock()
	swept := sh.nextSweep > due
	sh.mu.Unlock()
	if !swept {
		t.Error("the shard was not swept")
	}
}

func TestMemoryConcurrentCallsShareOneLimit(t *testing.T) {
	t.Parallel()
	m := newMemory(newClock().now)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 200 {
				if d, _ := m.Allow(context.Background(), "shared", 500); d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 500 {
		t.Errorf("%d calls allowed, want exactly 500", n)
	}
}

func TestMemoryExistingKeyDoesNotAllocate(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	m.Allow(ctx, "partner-42/group-7", 1_000_000)
	allocs := testing.AllocsPerRun(1000, func() {
		m.Allow(ctx, "partner-42/group-7", 1_000_000)
	})
	if allocs != 0 {
		t.Errorf("Allow on an existing key allocates %v times per call", allocs)
	}
}

func BenchmarkMemoryAllowExistingKey(b *testing.B) {
	m := NewMemory()
	ctx := context.Background()
	m.Allow(ctx, "partner-42/group-7", 1<<30)
	b.ReportAllocs()
	for b.Loop() {
		m.Allow(ctx, "partner-42/group-7", 1<<30)
	}
}

func BenchmarkMemoryAllowParallel1000Keys(b *testing.B) {
	m := NewMemory()
	ctx := context.Background()
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("partner-%d/group-%d", i, i%7)
		m.Allow(ctx, keys[i], 1<<30)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Allow(ctx, keys[i%len(keys)], 1<<30)
			i++
		}
	})
}
