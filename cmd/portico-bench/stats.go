package main

import (
	"slices"
	"time"
)

// median is the middle value (the mean of the middle two for an even
// count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of ds,
// 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s)) + 0.999999)
	return s[min(max(rank, 1), len(s))-1]
}

// summary is a target's rounds reduced to their medians.
type summary struct {
	// RPS counts the answers that were served (2xx or 3xx) per second:
	// a 503 given while the audit queue is full is a refusal, not
	// throughput, and would flatter the ratios.
	RPS      float64
	P50, P99 time.Duration
	// Requests, Non2xx and Errors are totals over the rounds.
	Requests, Non2xx, Errors int64
}

// servedRPS is a round's rate of served answers: wrk's rate scaled by the
// share of answers that were not refusals.
func servedRPS(r wrkResult) float64 {
	if r.Requests <= 0 || r.Non2xx <= 0 {
		return r.RPS
	}
	return r.RPS * float64(max(r.Requests-r.Non2xx, 0)) / float64(r.Requests)
}

func summarize(rounds []wrkResult) summary {
	var s summary
	rps := make([]float64, len(rounds))
	p50 := make([]time.Duration, len(rounds))
	p99 := make([]time.Duration, len(rounds))
	for i, r := range rounds {
		rps[i], p50[i], p99[i] = servedRPS(r), r.P50, r.P99
		s.Requests += r.Requests
		s.Non2xx += r.Non2xx
		s.Errors += r.Errors
	}
	s.RPS, s.P50, s.P99 = median(rps), medianDuration(p50), medianDuration(p99)
	return s
}
