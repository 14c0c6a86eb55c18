// Package usage is the arithmetic of the usage dashboards: the time ranges
// they offer, the latency quantiles read from the rollup's histograms, and
// the projection of a monthly quota to the month's end. It does no I/O; the
// store reads the rollup (api_usage_minutes), the handlers draw it.
package usage

import (
	"fmt"
	"time"

	"github.com/portico/portico/internal/calls"
)

// Range is a dashboard's time range: Buckets buckets of Step each, the
// last one holding now, so [From, To) ends at the end of the current hour
// (24 h) or UTC day (7 d, 30 d).
type Range struct {
	// Name is how the URL says it: "24h", "7d" or "30d".
	Name, Label string
	From, To    time.Time
	Step        time.Duration
	Buckets     int
}

// RangeNames are the ranges offered, shortest first; the first is the
// default.
var RangeNames = []string{"24h", "7d", "30d"}

// ParseRange returns the range the URL names ("" is 24h) as of now, or
// false for any other value.
func ParseRange(name string, now time.Time) (Range, bool) {
	now = now.UTC()
	switch name {
	case "", "24h":
		end := now.Truncate(time.Hour).Add(time.Hour)
		return Range{Name: "24h", Label: "Last 24 hours", From: end.Add(-24 * time.Hour), To: end, Step: time.Hour, Buckets: 24}, true
	case "7d", "30d":
		days := 7
		if name == "30d" {
			days = 30
		}
		end := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
		return Range{Name: name, Label: fmt.Sprintf("Last %d days", days), From: end.AddDate(0, 0, -days), To: end, Step: 24 * time.Hour, Buckets: days}, true
	}
	return Range{}, false
}

// Start returns the start of bucket i.
func (r Range) Start(i int) time.Time { return r.From.Add(time.Duration(i) * r.Step) }

// BucketLabel names bucket i briefly, for an axis or a table row.
func (r Range) BucketLabel(i int) string {
	if r.Step < 24*time.Hour {
		return r.Start(i).Format("15:04")
	}
	return r.Start(i).Format("2 Jan")
}

// Histogram is a rollup latency histogram: element i counts the calls of
// calls.LatencyBuckets[i-1] < latency <= calls.LatencyBuckets[i]; the last
// element counts those slower than the last bound.
type Histogram [calls.NumLatencyBuckets]int64

// Add adds o to h element by element.
func (h *Histogram) Add(o Histogram) {
	for i := range h {
		h[i] += o[i]
	}
}

// Total is the number of calls h counts.
func (h Histogram) Total() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile estimates the q-quantile (0 < q <= 1) of the latencies h
// counts, as Prometheus's histogram_quantile does: it finds the bucket
// holding the call of rank q×total and interpolates linearly between that
// bucket's bounds (the first bucket starts at 0), assuming the calls are
// spread evenly within it. A quantile in the open last bucket (slower than
// 10 s) is that bucket's lower bound, and Over says so. ok is false when h
// counts no call.
func (h Histogram) Quantile(q float64) (d time.Duration, over, ok bool) {
	total := h.Total()
	if total == 0 || q <= 0 || q > 1 {
		return 0, false, false
	}
	rank := q * float64(total)
	var seen float64
	for i, c := range h {
		if c == 0 {
			continue
		}
		if seen+float64(c) < rank {
			seen += float64(c)
			continue
		}
		if i == len(calls.LatencyBuckets) {
			return calls.LatencyBuckets[i-1], true, true
		}
		var lo time.Duration
		if i > 0 {
			lo = calls.LatencyBuckets[i-1]
		}
		hi := calls.LatencyBuckets[i]
		frac := (rank - seen) / float64(c)
		return lo + time.Duration(frac*float64(hi-lo)), false, true
	}
	// Rounding: rank is at most total, so the loop returned; keep the
	// compiler content with the slowest bound.
	return calls.LatencyBuckets[len(calls.LatencyBuckets)-1], true, true
}

// Projection estimates a month's calls at its end from used, the calls
// from the month's start to now, at the same average rate. It returns
// used itself in the month's first hour, when a rate says little.
func Projection(used int64, now time.Time) int64 {
	now = now.UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	elapsed := now.Sub(start)
	if elapsed < time.Hour {
		return used
	}
	return int64(float64(used) * float64(end.Sub(start)) / float64(elapsed))
}

// MonthStart is the start of now's month (UTC), where quotas renew.
func MonthStart(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}
