package usage

import (
	"strings"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	one := func(i int, n int64) Histogram { var h Histogram; h[i] = n; return h }
	var spread Histogram
	spread[0], spread[6], spread[9] = 50, 45, 5 // ≤250 µs, 10–25 ms, 100–250 ms
	tests := []struct {
		name string
		h    Histogram
		q    float64
		want time.Duration
		over bool
	}{
		// 100 calls in (10 ms, 25 ms]: the median is halfway through it.
		{"median within one bucket", one(6, 100), 0.5, 17500 * time.Microsecond, false},
		{"p95 within one bucket", one(6, 100), 0.95, 10*ms + 14250*time.Microsecond, false},
		// The first bucket starts at 0.
		{"first bucket", one(0, 4), 0.5, 125 * time.Microsecond, false},
		// Rank 50 is the last call of the first bucket: its upper bound.
		{"p50 at a bucket's edge", spread, 0.5, 250 * time.Microsecond, false},
		// Rank 95 is the 45th of 45 calls in (10, 25] ms.
		{"p95 at the end of a bucket", spread, 0.95, 25 * ms, false},
		// Rank 99 is the 4th of 5 calls in (100, 250] ms.
		{"p99 in the slow tail", spread, 0.99, 100*ms + 120*ms, false},
		{"slower than the last bound", one(15, 3), 0.5, 10 * time.Second, true},
		{"p100 is the top of the last bucket used", spread, 1, 250 * ms, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, over, ok := tc.h.Quantile(tc.q)
			if !ok || got != tc.want || over != tc.over {
				t.Errorf("Quantile(%v) = %v, over %v, ok %v; want %v, over %v", tc.q, got, over, ok, tc.want, tc.over)
			}
		})
	}
	if _, _, ok := (Histogram{}).Quantile(0.5); ok {
		t.Error("an empty histogram has a quantile")
	}
}

func TestHistogramAdd(t *testing.T) {
	t.Parallel()
	a, b := Histogram{1, 2}, Histogram{3, 0, 5}
	a.Add(b)
	if a != (Histogram{4, 2, 5}) || a.Total() != 11 {
		t.Errorf("sum = %v (total %d), want [4 2 5 0…] (11)", a, a.Total())
	}
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 14, 35, 0, 0, time.UTC)
	tests := []struct {
		name     string
		from, to time.Time
		buckets  int
	}{
		{"", time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), 24},
		{"24h", time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), 24},
		{"7d", time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), 7},
		{"30d", time.Date(2026, 2, 9, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), 30},
	}
	for _, tc := range tests {
		r, ok := ParseRange(tc.name, now)
		if !ok || !r.From.Equal(tc.from) || !r.To.Equal(tc.to) || r.Buckets != tc.buckets ||
			!r.Start(r.Buckets).Equal(r.To) {
			t.Errorf("ParseRange(%q) = %+v, %v; want [%v, %v) in %d buckets", tc.name, r, ok, tc.from, tc.to, tc.buckets)
		}
	}
	for _, bad := range []string{"1h", "24H", "all", "7d "} {
		if _, ok := ParseRange(bad, now); ok {
			t.Errorf("ParseRange(%q) accepted", bad)
		}
	}
}

func TestProjection(t *testing.T) {
	t.Parallel()
	// 10 of March's 31 days gone: 1000 calls so far make 3100.
	if got := Projection(1000, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)); got != 3100 {
		t.Errorf("Projection = %d, want 3100", got)
	}
	if got := Projection(7, time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)); got != 7 {
		t.Errorf("Projection in the first hour = %d, want 7", got)
	}
}

func TestParseCustom(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 14, 35, 0, 0, time.UTC)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		from, to string
		want     Range
	}{
		{"2026-03-10", "2026-03-10", Range{Name: "custom", Label: "10 Mar 2026", From: day(3, 10), To: day(3, 11), Step: time.Hour, Buckets: 24}},
		{"2026-03-08", "2026-03-09", Range{Name: "custom", Label: "8 Mar 2026 to 9 Mar 2026", From: day(3, 8), To: day(3, 10), Step: time.Hour, Buckets: 48}},
		{"2026-02-01", "2026-02-28", Range{Name: "custom", Label: "1 Feb 2026 to 28 Feb 2026", From: day(2, 1), To: day(3, 1), Step: 24 * time.Hour, Buckets: 28}},
		{"2025-03-10", "2026-03-10", Range{Name: "custom", Label: "10 Mar 2025 to 10 Mar 2026", From: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), To: day(3, 11), Step: 24 * time.Hour, Buckets: 366}},
	}
	for _, tc := range tests {
		r, msg := ParseCustom(tc.from, tc.to, now)
		if msg != "" || r != tc.want || !r.Start(r.Buckets).Equal(r.To) {
			t.Errorf("ParseCustom(%q, %q) = %+v, %q; want %+v", tc.from, tc.to, r, msg, tc.want)
		}
	}
	for _, bad := range []struct{ from, to, says string }{
		{"", "2026-03-01", "as dates"},
		{"2026-3-1", "2026-03-02", "as dates"},
		{"2026-03-05", "2026-03-04", "swap"},
		{"2026-03-05", "2026-03-11", "after today"},
		{"2025-03-09", "2026-03-10", "at most 366 days"},
	} {
		if _, msg := ParseCustom(bad.from, bad.to, now); !strings.Contains(msg, bad.says) {
			t.Errorf("ParseCustom(%q, %q) says %q, want it to say %q", bad.from, bad.to, msg, bad.says)
		}
	}
}
