package usage

import (
	"time"

	"github.com/portico/portico/internal/store"
)

// TopRows bounds every ranked table of the dashboards, their CSV
// downloads and the management API's answer.
const TopRows = 20

// Sums are a range's calls per bucket, added up from the rollup's points
// (store.UsageSeries): the dashboards' charts, their CSV downloads and the
// management API's series all read them.
type Sums struct {
	// Sandbox and Live count the calls per bucket by the environment of
	// the token; ClientErrors and ServerErrors those answered 4xx and 5xx.
	Sandbox, Live, ClientErrors, ServerErrors []int64
	// Unauthorized (401), Forbidden (403) and RateLimited (429) are the
	// refusals the partner can act on: a bad or expired token, a call
	// outside the grants, the rate limit.
	Unauthorized, Forbidden, RateLimited []int64
	// Hist is each bucket's latency histogram, All the whole range's.
	Hist  []Histogram
	All   Histogram
	Total int64
}

// Sum adds points up per bucket of r; a point outside r's buckets is
// left out.
func Sum(points []store.UsagePoint, r Range) Sums {
	n := r.Buckets
	s := Sums{Sandbox: make([]int64, n), Live: make([]int64, n), ClientErrors: make([]int64, n), ServerErrors: make([]int64, n),
		Unauthorized: make([]int64, n), Forbidden: make([]int64, n), RateLimited: make([]int64, n), Hist: make([]Histogram, n)}
	for _, p := range points {
		i := p.Bucket
		if i < 0 || i >= n {
			continue
		}
		if p.Environment == "live" {
			s.Live[i] += p.Calls
		} else {
			s.Sandbox[i] += p.Calls
		}
		s.ClientErrors[i] += p.ClientErrors
		s.ServerErrors[i] += p.ServerErrors
		s.Unauthorized[i] += p.Unauthorized
		s.Forbidden[i] += p.Forbidden
		s.RateLimited[i] += p.RateLimited
		h := HistogramOf(p.Latency)
		s.Hist[i].Add(h)
		s.All.Add(h)
		s.Total += p.Calls
	}
	return s
}

// HistogramOf copies a rollup histogram read from the database.
func HistogramOf(a []int64) Histogram {
	var h Histogram
	copy(h[:], a)
	return h
}

// Millis is the q-quantile of h in milliseconds (see Quantile); ok is
// false when h counts no call.
func (h Histogram) Millis(q float64) (ms float64, over, ok bool) {
	d, over, ok := h.Quantile(q)
	return float64(d) / float64(time.Millisecond), over, ok
}
