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

// MaxCustomDays bounds a chosen range: a year and a day of daily buckets.
const MaxCustomDays = 366

// ParseCustom returns the range of whole UTC days from the day from to the
// day to, both included (YYYY-MM-DD, as a date input sends them), as of
// now: hourly buckets for one or two days, daily ones beyond. It returns a
// message saying what is wrong instead when the dates are not dates, run
// backwards, end after today or span more than MaxCustomDays.
func ParseCustom(from, to string, now time.Time) (Range, string) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if from == "" || to == "" || err1 != nil || err2 != nil {
		return Range{}, "Choose a first and a last day for the range, as dates (YYYY-MM-DD)."
	}
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case t.Before(f):
		return Range{}, "The range's last day comes before its first: swap them."
	case t.After(today):
		return Range{}, "The range ends after today: choose today as its last day at the latest."
	case t.Sub(f) >= MaxCustomDays*24*time.Hour:
		return Range{}, fmt.Sprintf("A chosen range spans at most %d days: choose a shorter one.", MaxCustomDays)
	}
	end := t.AddDate(0, 0, 1)
	days := int(end.Sub(f) / (24 * time.Hour))
	r := Range{Name: "custom", From: f, To: end, Step: 24 * time.Hour, Buckets: days}
	if days <= 2 {
		r.Step, r.Buckets = time.Hour, days*24
	}
	r.Label = f.Format("2 Jan 2006") + " to " + t.Format("2 Jan 2006")
	if days == 1 {
		r.Label = f.Format("2 Jan 2006")
	}
	return r, ""
}

// Start returns the start of bucket i.
func (r Range) Start(i int) time.Time { return r.From.Add(time.Duration(i) * r.Step) }

// Unit names a bucket's span: "hour" or "day".
func (r Range) Unit() string {
	if r.Step >= 24*time.Hour {
		return "day"
	}
	return "hour"
}

// BucketLabel names bucket i briefly, for an axis or a table row.
func (r Range) BucketLabel(i int) string {
	if r.Step < 24*time.Hour {
		if r.Buckets > 24 {
			return r.Start(i).Format("2 Jan 15:04")
		}
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

// NearQuotaPercent is the share of a monthly quota from which a partner
// is "close to quota" for its account manager.
const NearQuotaPercent = 80

// MonthStart is the start of now's month (UTC), where quotas renew.
func MonthStart(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}
