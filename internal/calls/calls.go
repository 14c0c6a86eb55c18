// Package calls records every call through the gateway: an audit row per
// call, written by a batched asynchronous writer into a time-partitioned
// table, plus per-minute usage rollups.
//
// The writer's promise is that every call the gateway answered has exactly
// one row: Record (or Admit) refuses a call when the bounded queue is full,
// the gateway answers 503 instead of serving it, and a queued call is
// written in a transaction that is retried until it commits, however long
// PostgreSQL is away, and never written twice. The one loss it allows is
// at shutdown: what is still queued when the shutdown deadline passes
// (PostgreSQL down at that moment) is counted in Stats.Dropped and logged
// as an error.
//
// In a server:
//
//	w := calls.NewWriter(st, nil, calls.WriterConfig{}, log)
//	ctx, cancel := context.WithCancel(context.Background())
//	done := make(chan error, 1)
//	go func() { done <- w.Run(ctx) }()
//	// per call, once the partner is known and before serving:
//	if !w.Admit() { /* answer 503 */ }
//	// ... serve, then exactly one of:
//	w.RecordAdmitted(call) // or w.Release() if the call is not audited
//	// (or, in one step after serving: if w.Record(call) != nil { ... })
//	// at shutdown: http.Server.Shutdown first, then
//	cancel()
//	err := <-done // non-nil: calls were dropped at the deadline
package calls

import "time"

// Call is one call through the gateway, as audited. It never holds a
// credential: the token appears by id only.
type Call struct {
	At          time.Time
	PartnerID   int64  // 0 when no credential was verified
	TokenID     int64  // 0 when no credential was verified
	API         string // slug
	Operation   string // operationId, "" when no operation matched
	Environment string // sandbox or live
	Method      string
	Path        string // the path without the query string
	Status      int
	Latency     time.Duration
	ClientIP    string
	UserAgent   string
	RequestID   string
	BytesIn     int64
	BytesOut    int64
}

// LatencyBuckets are the upper bounds of the usage rollup's latency
// histogram (api_usage_minutes.latency_buckets): element i counts the calls
// with LatencyBuckets[i-1] < latency <= LatencyBuckets[i], and the last
// element, one past these bounds, the calls slower than 10 s. Changing them
// needs a migration.
var LatencyBuckets = [...]time.Duration{
	250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// NumLatencyBuckets is the length of a rollup histogram.
const NumLatencyBuckets = len(LatencyBuckets) + 1

// Bucket returns the histogram element a latency counts in.
func Bucket(d time.Duration) int {
	for i, le := range LatencyBuckets {
		if d <= le {
			return i
		}
	}
	return len(LatencyBuckets)
}

// StatusClass returns the rollup's status class of an HTTP status: its
// hundreds digit, 1 to 5. A status outside 100–599 (none was written)
// counts as a server error.
func StatusClass(status int) int {
	if status < 100 || status > 599 {
		return 5
	}
	return status / 100
}
