package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/redistest"
)

// quotaNodes returns two Quota instances over one store: for memory the
// same counter twice, for Redis two clients (two gateway nodes).
func quotaBackends(t *testing.T, f func(t *testing.T, a, b Quota)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		q := NewMemoryQuota()
		f(t, q, q)
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		addr := redistest.Start(t)
		f(t, NewRedisQuota(node(t, addr), time.Second), NewRedisQuota(node(t, addr), time.Second))
	})
}

type use struct {
	Used int64
	OK   bool
}

func TestQuotaCountsRefusesAndResetsMonthly(t *testing.T) {
	t.Parallel()
	// Redis expires a month's counter after the month: test in the real
	// current month so the counters live.
	y, m, _ := time.Now().UTC().Date()
	march := time.Date(y, m, 14, 12, 0, 0, 0, time.UTC) // "March": this month
	april := monthEnd(march)
	quotaBackends(t, func(t *testing.T, a, b Quota) {
		ctx := context.Background()
		call := func(q Quota, key string, limit int64, now time.Time) use {
			t.Helper()
			used, ok, err := q.Use(ctx, key, limit, now)
			if err != nil {
				t.Fatal(err)
			}
			return use{used, ok}
		}
		var got []use
		for i := range 5 { // alternate nodes
			got = append(got, call([]Quota{a, b}[i%2], "partner-1/group-1", 3, march))
		}
		want := []use{{1, true}, {2, true}, {3, true}, {3, false}, {3, false}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("uses across two instances (-want +got):\n%s", diff)
		}

		for _, tc := range []struct {
			name  string
			q     Quota
			key   string
			limit int64
			now   time.Time
			want  use
		}{
			{"other key", b, "partner-2/group-1", 3, march, use{1, true}},
			{"same month, last second", a, "partner-1/group-1", 3, april.Add(-time.Second), use{3, false}},
			{"a raised limit allows again", a, "partner-1/group-1", 4, march, use{4, true}},
			{"no limit counts and allows", b, "partner-1/group-1", 0, march, use{5, true}},
			{"next month starts from zero", b, "partner-1/group-1", 3, april, use{1, true}},
			{"months are UTC: 23:00 on the last day in New York is next month", a, "partner-1/group-1", 3,
				april.Add(3 * time.Hour).In(time.FixedZone("EDT", -4*3600)), use{2, true}},
			{"the month after", a, "partner-1/group-1", 3, monthEnd(april), use{1, true}},
		} {
			if diff := cmp.Diff(tc.want, call(tc.q, tc.key, tc.limit, tc.now)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
	})
}

func TestRedisQuotaSurvivesRestartAndExpiresAfterTheMonth(t *testing.T) {
	t.Parallel()
	addr := redistest.Start(t)
	ctx := context.Background()
	now := time.Now()
	first := node(t, addr)
	q := NewRedisQuota(first, time.Second)
	for range 3 {
		if _, _, err := q.Use(ctx, "p", 10, now); err != nil {
			t.Fatal(err)
		}
	}
	first.Close() // the process ends

	client := node(t, addr)
	used, ok, err := NewRedisQuota(client, time.Second).Use(ctx, "p", 10, now)
	if err != nil || !ok || used != 4 {
		t.Errorf("after a restart: used %d, ok %v, err %v; want 4, true", used, ok, err)
	}
	ttl, err := client.TTL(ctx, quotaKeyOf("p", now)).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := time.Until(monthEnd(now).Add(QuotaMargin))
	if ttl < want-5*time.Second || ttl > want+5*time.Second {
		t.Errorf("counter TTL %v, want about %v (month end + %v)", ttl, want, QuotaMargin)
	}
	// A counter seeded without an expiry gets one on its next use.
	key := quotaKeyOf("seeded", now)
	if err := client.Set(ctx, key, 100, 0).Err(); err != nil {
		t.Fatal(err)
	}
	used, _, err = NewRedisQuota(client, time.Second).Use(ctx, "seeded", 1000, now)
	if err != nil || used != 101 {
		t.Fatalf("seeded counter: used %d, err %v", used, err)
	}
	if ttl, _ := client.TTL(ctx, key).Result(); ttl <= 0 {
		t.Errorf("seeded counter has TTL %v after a use, want one", ttl)
	}
}

func TestQuotaKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), "portico:quota:p/g:202603"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), "portico:quota:p/g:202612"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.FixedZone("X", -3600)), "portico:quota:p/g:202701"},
	} {
		if got := quotaKeyOf("p/g", tc.now); got != tc.want {
			t.Errorf("quotaKeyOf(%v) = %q, want %q", tc.now, got, tc.want)
		}
	}
}

func TestMemoryQuotaSeedAndForgetsOldMonths(t *testing.T) {
	t.Parallel()
	q := NewMemoryQuota()
	ctx := context.Background()
	march := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	q.Seed("p", march, 41)
	q.Seed("p", march, 7) // lower: kept at 41
	used, ok, _ := q.Use(ctx, "p", 42, march)
	if diff := cmp.Diff(use{42, true}, use{used, ok}); diff != "" {
		t.Errorf("after Seed (-want +got):\n%s", diff)
	}
	for i := range 1000 {
		q.Use(ctx, string(rune('a'+i%26))+"-key", 0, march)
	}
	april := march.AddDate(0, 1, 0)
	for i := range 1000 { // every shard sees April
		q.Use(ctx, fmt.Sprint("april-", i), 0, april)
	}
	n := 0
	for i := range q.shards {
		for k := range q.shards[i].m {
			if k.month == monthOf(march) {
				n++
			}
		}
	}
	if n != 0 {
		t.Errorf("%d March counters kept after April began", n)
	}
}

func BenchmarkMemoryQuotaUse(b *testing.B) {
	q := NewMemoryQuota()
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		q.Use(ctx, "partner-42/group-7", 0, now)
	}
}
